// Stage: kernel library. mul kernel (Mul): quantized elementwise product with numpy broadcasting and optional epilogue.
// Contract: out = clamp(zp + MBQM((a - zA) * (b - zB), sA*sB/sOut)) (TFLite MUL); int16 products use the wide path.

import { multiplyByQuantizedMultiplierWide, quantizeMultiplier, qRange, quantizeValue } from './fixedpoint.js';
import { epilogueFn, preActivationZeroPoint } from './activations.js';
import { binaryWork } from './add.js';
import { broadcastIndex, sameShape } from './broadcast.js';
import { allocCodes, numel, outTensor, qdtypeOf, runtimePair, scalar } from './common.js';
import type { OutputClamp } from './output-stage.js';
import type { Invocation, KernelDef, ParamValues, QTensor, QuantParams } from './types.js';

export function mulParams(aQ: QuantParams, bQ: QuantParams, outQ: QuantParams, clamp: OutputClamp = {}): ParamValues {
  const m = quantizeMultiplier((aQ.scale * bQ.scale) / outQ.scale);
  const { qmin, qmax } = qRange(outQ.dtype);
  return {
    multiplier: Int32Array.of(m.multiplier),
    shift: Int32Array.of(m.shift),
    out_min: Int32Array.of(Math.max(qmin, quantizeValue(clamp.lo ?? -Infinity, outQ.scale, outQ.zeroPoint, outQ.dtype))),
    out_max: Int32Array.of(Math.min(qmax, quantizeValue(clamp.hi ?? Infinity, outQ.scale, outQ.zeroPoint, outQ.dtype))),
  };
}

function runMul(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues): QTensor[] {
  const [a, b] = [inputs[0]!, inputs[1]!];
  const o = inv.outputs[0]!;
  const n = numel(o.shape);
  const ia = sameShape(a.shape, o.shape) ? null : broadcastIndex(o.shape, a.shape);
  const ib = sameShape(b.shape, o.shape) ? null : broadcastIndex(o.shape, b.shape);
  const m = scalar(inv, params, 'multiplier');
  const s = scalar(inv, params, 'shift');
  const lo = scalar(inv, params, 'out_min');
  const hi = scalar(inv, params, 'out_max');
  const zp = preActivationZeroPoint(inv, epilogueParams);
  const epi = epilogueFn(inv, epilogueParams);
  const channels = o.shape.length >= 2 ? o.shape[1]! : 1;
  const inner = o.shape.length >= 2 ? n / (o.shape[0]! * channels) : n;
  const out = allocCodes(qdtypeOf(o), n);
  for (let i = 0; i < n; i++) {
    const p = (a.data[ia ? ia[i]! : i]! - a.zeroPoint) * (b.data[ib ? ib[i]! : i]! - b.zeroPoint);
    let q = zp + multiplyByQuantizedMultiplierWide(p, m, s);
    q = q < lo ? lo : q;
    q = q > hi ? hi : q;
    out[i] = epi ? epi(q, Math.floor(i / inner) % channels) : q;
  }
  return [outTensor(o, out)];
}

export const MUL: KernelDef = {
  name: 'mul',
  ops: ['Mul'],
  role: 'elementwise',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  summary: 'quantized elementwise product with broadcasting and optional activation epilogue',
  paramFields: [
    { name: 'multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of sA*sB/sOut' },
    { name: 'shift', dtype: 'int32', count: '1', doc: 'shift of multiplier' },
    { name: 'out_min', dtype: 'int32', count: '1', doc: 'lowest output code' },
    { name: 'out_max', dtype: 'int32', count: '1', doc: 'highest output code' },
  ],
  bind: (c) => mulParams(...runtimePair(c), c.outQ),
  run: runMul,
  work: (inv, target) => binaryWork(inv, target, MUL.defaultCyclesPerVector),
  defaultCyclesPerVector: 2,
};
