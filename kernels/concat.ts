// Stage: kernel library. concat kernel (Concat): joins inputs along an axis, requantizing inputs whose
// quantization differs from the output's.
// Contract: input k code x -> out_zp + MBQM(x - zp_k, s_k/s_out) clamped; identical quantization copies codes.

import { multiplyByQuantizedMultiplier, qRange, quantizeMultiplier } from './fixedpoint.js';
import { allocCodes, field, kernelError, numel, outTensor, qdtypeOf } from './common.js';
import { copyWork } from './movement.js';
import type { Invocation, KernelDef, ParamValues, QTensor, QuantParams } from './types.js';

export function concatParams(inQs: readonly QuantParams[], outQ: QuantParams): ParamValues {
  const m = new Int32Array(inQs.length);
  const s = new Int32Array(inQs.length);
  inQs.forEach((q, k) => {
    const qm = quantizeMultiplier(q.scale / outQ.scale);
    m[k] = qm.multiplier;
    s[k] = qm.shift;
  });
  return { multiplier: m, shift: s };
}

function runConcat(inv: Invocation, inputs: QTensor[], params: ParamValues): QTensor[] {
  const o = inv.outputs[0]!;
  const axis = typeof inv.attrs['axis'] === 'number' ? inv.attrs['axis'] : 1;
  if (axis < 0 || axis >= o.shape.length) throw kernelError(inv, `axis ${axis} out of range for rank ${o.shape.length}`);
  const mult = field<Int32Array>(inv, params, 'multiplier');
  const shift = field<Int32Array>(inv, params, 'shift');
  const { qmin, qmax } = qRange(qdtypeOf(o));
  const out = allocCodes(qdtypeOf(o), numel(o.shape));
  const outer = numel(o.shape.slice(0, axis));
  const outRow = numel(o.shape.slice(axis));
  let col = 0;
  inputs.forEach((x, k) => {
    const row = numel(x.shape.slice(axis));
    const same = x.scale === o.scale && x.zeroPoint === o.zeroPoint;
    for (let r = 0; r < outer; r++) {
      for (let i = 0; i < row; i++) {
        const v = x.data[r * row + i]!;
        let q = same ? v : o.zeroPoint + multiplyByQuantizedMultiplier(v - x.zeroPoint, mult[k]!, shift[k]!);
        q = q < qmin ? qmin : q > qmax ? qmax : q;
        out[r * outRow + col + i] = q;
      }
    }
    col += row;
  });
  if (col !== outRow) throw kernelError(inv, `inputs cover ${col} of ${outRow} elements per row along axis ${axis}`);
  return [outTensor(o, out)];
}

export const CONCAT: KernelDef = {
  name: 'concat',
  ops: ['Concat'],
  role: 'movement',
  inputs: { min: 1, max: Infinity },
  outputs: { min: 1, max: 1 },
  summary: 'concatenation along an axis with per-input requantization',
  paramFields: [
    { name: 'multiplier', dtype: 'int32', count: 'inputs', doc: 'Q31 multiplier of s_k/s_out per input' },
    { name: 'shift', dtype: 'int32', count: 'inputs', doc: 'shift of multiplier[k]' },
  ],
  bind: (c) => concatParams(c.inQ, c.outQ),
  run: runConcat,
  work: (inv, target) => copyWork(inv, target, CONCAT),
  defaultCyclesPerVector: 1,
};
