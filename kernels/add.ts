// Stage: kernel library. add kernel (Add): TFLite-style quantized addition with numpy broadcasting and optional epilogue.
// Contract: both operands rescaled to a common fixed-point scale (left_shift headroom), summed, requantized, clamped;
//   kernels/sub.ts runs the same arithmetic with the second operand negated.

import { multiplyByQuantizedMultiplierWide, quantizeMultiplier, qRange, quantizeValue } from './fixedpoint.js';
import { epilogueFn, preActivationZeroPoint } from './activations.js';
import { broadcastIndex, sameShape } from './broadcast.js';
import { allocCodes, stagedWork, field, laneVectors, numel, outTensor, qdtypeOf, runtimePair, scalar, cyclesPerVector } from './common.js';
import type { OutputClamp } from './output-stage.js';
import type { Invocation, KernelDef, KernelWork, ParamField, ParamValues, QTensor, QuantParams, Target } from './types.js';

/**
 * As TFLite: left_shift = 20 (int8) / 15 (any int16 operand); twice = 2*max(sA, sB); m_A = sA/twice, m_B = sB/twice,
 * m_out = twice / (2^left_shift * sOut). out = clamp(zp + MBQM(MBQM((a-zA) << ls, m_A) + MBQM((b-zB) << ls, m_B), m_out)).
 * `outQ` is what the output stage writes (the epilogue activation's input when one is folded in).
 */
export function addParams(aQ: QuantParams, bQ: QuantParams, outQ: QuantParams, clamp: OutputClamp = {}): ParamValues {
  // 15 whenever an int16 tensor takes part (an int16 input shifted by 20 would overflow the 32-bit stage)
  const leftShift = [aQ, bQ, outQ].every((q) => q.dtype === 'int8') ? 20 : 15;
  const twice = 2 * Math.max(aQ.scale, bQ.scale);
  const ma = quantizeMultiplier(aQ.scale / twice);
  const mb = quantizeMultiplier(bQ.scale / twice);
  const mo = quantizeMultiplier(twice / (2 ** leftShift * outQ.scale));
  const { qmin, qmax } = qRange(outQ.dtype);
  return {
    left_shift: Int32Array.of(leftShift),
    a_multiplier: Int32Array.of(ma.multiplier), a_shift: Int32Array.of(ma.shift),
    b_multiplier: Int32Array.of(mb.multiplier), b_shift: Int32Array.of(mb.shift),
    out_multiplier: Int32Array.of(mo.multiplier), out_shift: Int32Array.of(mo.shift),
    out_min: Int32Array.of(Math.max(qmin, quantizeValue(clamp.lo ?? -Infinity, outQ.scale, outQ.zeroPoint, outQ.dtype))),
    out_max: Int32Array.of(Math.min(qmax, quantizeValue(clamp.hi ?? Infinity, outQ.scale, outQ.zeroPoint, outQ.dtype))),
  };
}

/** The rescaled term MBQM((x - zp) << ls, m, s) of every int8 code x: one table per operand replaces two requantizations per element. */
function operandTable(zp: number, ls: number, m: number, s: number): Float64Array {
  const t = new Float64Array(256);
  for (let v = -128; v < 128; v++) t[v + 128] = multiplyByQuantizedMultiplierWide((v - zp) * ls, m, s);
  return t;
}

/** a + sign * b of both rescaled operands computed from scratch: the reference the table path must match bit for bit. */
function addScalar(sign: 1 | -1, xa: number, xb: number, am: number, as: number, bm: number, bs: number): number {
  return multiplyByQuantizedMultiplierWide(xa, am, as) + sign * multiplyByQuantizedMultiplierWide(xb, bm, bs);
}

/** The add; `tables: false` forces the per-element rescaling (tests compare both). */
export function runAdd(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues, tables = true): QTensor[] {
  return runRescaled(1, inv, inputs, params, epilogueParams, tables);
}

/** run() of add (sign 1) and sub (sign -1): both operands rescaled to a common scale, combined, requantized. */
export function rescaledRun(sign: 1 | -1): KernelDef['run'] {
  return (inv, inputs, params, epilogueParams) => runRescaled(sign, inv, inputs, params, epilogueParams, true);
}

function runRescaled(sign: 1 | -1, inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams: ParamValues | undefined, tables: boolean): QTensor[] {
  const [a, b] = [inputs[0]!, inputs[1]!];
  const o = inv.outputs[0]!;
  const n = numel(o.shape);
  const ia = sameShape(a.shape, o.shape) ? null : broadcastIndex(o.shape, a.shape);
  const ib = sameShape(b.shape, o.shape) ? null : broadcastIndex(o.shape, b.shape);
  const ls = 2 ** scalar(inv, params, 'left_shift');
  const [am, as, bm, bs] = ['a_multiplier', 'a_shift', 'b_multiplier', 'b_shift'].map((f) => scalar(inv, params, f)) as [number, number, number, number];
  const om = scalar(inv, params, 'out_multiplier');
  const os = scalar(inv, params, 'out_shift');
  const lo = field<Int32Array>(inv, params, 'out_min')[0]!;
  const hi = field<Int32Array>(inv, params, 'out_max')[0]!;
  const zp = preActivationZeroPoint(inv, epilogueParams);
  const epi = epilogueFn(inv, epilogueParams);
  const channels = o.shape.length >= 2 ? o.shape[1]! : 1;
  const inner = o.shape.length >= 2 ? n / (o.shape[0]! * channels) : n;
  const out = allocCodes(qdtypeOf(o), n);
  // int8 operands: each operand's rescaled term depends on its code alone (256 values), so it is looked up
  const ta = tables && a.data instanceof Int8Array && n > 512 ? operandTable(a.zeroPoint, ls, am, as) : null;
  const tb = ta && b.data instanceof Int8Array ? operandTable(b.zeroPoint, ls, bm, bs) : null;
  const ad = a.data, bd = b.data;
  for (let i = 0; i < n; i++) {
    const ca = ad[ia ? ia[i]! : i]!, cb = bd[ib ? ib[i]! : i]!;
    const sum = tb ? ta![ca + 128]! + sign * tb[cb + 128]! : addScalar(sign, (ca - a.zeroPoint) * ls, (cb - b.zeroPoint) * ls, am, as, bm, bs);
    let q = zp + multiplyByQuantizedMultiplierWide(sum, om, os);
    q = q < lo ? lo : q;
    q = q > hi ? hi : q;
    out[i] = epi ? epi(q, Math.floor(i / inner) % channels) : q;
  }
  return [outTensor(o, out)];
}

/** Elementwise work shared by add and mul: output lane vectors times cycles per vector, plus the epilogue term. */
export function binaryWork(inv: Invocation, target: Target, defaultCpv: number): KernelWork {
  const o = inv.outputs[0]!;
  const vectors = laneVectors(o.shape, target.vectorLanes[qdtypeOf(o)]);
  const computeCycles = vectors * cyclesPerVector(target, inv.kernel, defaultCpv);
  return stagedWork(inv, target, { macs: 0, computeCycles, outputStageCycles: vectors, outVectors: vectors });
}

/** The table of add and sub (addParams). */
export const RESCALED_FIELDS: readonly ParamField[] = [
  { name: 'left_shift', dtype: 'int32', count: '1', doc: 'headroom shift: 20 (int8) or 15 (int16)' },
  { name: 'a_multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of sA / (2*max(sA,sB))' },
  { name: 'a_shift', dtype: 'int32', count: '1', doc: 'shift of a_multiplier' },
  { name: 'b_multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of sB / (2*max(sA,sB))' },
  { name: 'b_shift', dtype: 'int32', count: '1', doc: 'shift of b_multiplier' },
  { name: 'out_multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of 2*max(sA,sB) / (2^left_shift * sOut)' },
  { name: 'out_shift', dtype: 'int32', count: '1', doc: 'shift of out_multiplier' },
  { name: 'out_min', dtype: 'int32', count: '1', doc: 'lowest output code' },
  { name: 'out_max', dtype: 'int32', count: '1', doc: 'highest output code' },
];

export const ADD: KernelDef = {
  name: 'add',
  ops: ['Add'],
  role: 'elementwise',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  summary: 'quantized addition with broadcasting and optional activation epilogue',
  paramFields: RESCALED_FIELDS,
  bind: (c) => addParams(...runtimePair(c), c.outQ),
  run: rescaledRun(1),
  work: (inv, target) => binaryWork(inv, target, ADD.defaultCyclesPerVector),
  defaultCyclesPerVector: 2,
};
