// Stage: kernel library. div kernel (Div): quantized division of two run-time tensors, or of a run-time tensor by a
// constant (or a constant by a tensor), numpy broadcasting.
// Contract: y = clamp(out_zp + RDIV(RDIV(nA * M[e], d), 2^(31 - S[e]))) with nA = a - zA (1 for a constant
// numerator), d = b - zB (1 for a constant divisor) and M[e] * 2^(S[e]-31) the real factor (sA/(sB*sOut), or folded
// with the constant's element e). RDIV rounds half away from zero; |nA * M| < 2^47 so every step is exact integer
// arithmetic (an int64 by int32 division on the device). Error <= 0.75 LSB of the exact quotient.

import { qRange, quantizeMultiplier } from './fixedpoint.js';
import { broadcastIndex } from './broadcast.js';
import { allocCodes, cyclesPerVector, field, kernelError, numel, outTensor, qdtypeOf, scalar, streamWork } from './common.js';
import { codeReader, type Operand } from './operands.js';
import type { Invocation, KernelDef, ParamField, ParamValues, QTensor, QuantParams } from './types.js';

export const DIV_FIELDS: readonly ParamField[] = [
  { name: 'out_zp', dtype: 'int32', count: '1', doc: 'output zero point' },
  { name: 'operands', dtype: 'int32', count: '1', doc: 'which operands are run-time inputs: 3 = both, 1 = numerator only (constant divisor), 2 = divisor only (constant numerator)' },
  { name: 'multiplier', dtype: 'int32', count: 'prod(mult_dims)', doc: 'Q31 mantissa of the real factor: sA/(sB*sOut); times 1/c[e] for a constant divisor c, c[e]/(sB*sOut) for a constant numerator' },
  { name: 'shift', dtype: 'int32', count: 'prod(mult_dims)', doc: 'exponent of multiplier (real = multiplier * 2^(shift-31))' },
  { name: 'mult_dims', dtype: 'int32', count: 'rank of the constant (0 for two run-time operands)', doc: 'shape of multiplier/shift, broadcast to the output' },
  { name: 'out_min', dtype: 'int32', count: '1', doc: 'lowest output code' },
  { name: 'out_max', dtype: 'int32', count: '1', doc: 'highest output code' },
];

/** Table of A / B for the output quantization `outQ`; `fail` reports a constant divisor holding 0. */
export function divParams(a: Operand, b: Operand, outQ: QuantParams, fail: (problem: string) => never): ParamValues {
  const { qmin, qmax } = qRange(outQ.dtype);
  let real: number[];
  let dims: readonly number[] = [];
  let operands = 3;
  if ('q' in a && 'q' in b) real = [a.q.scale / (b.q.scale * outQ.scale)];
  else if ('q' in a && 'constant' in b) {
    operands = 1;
    dims = b.constant.dims;
    real = Array.from(b.constant.values, (c, i) => {
      if (c === 0 || !Number.isFinite(c)) fail(`the constant divisor holds ${c} at index ${i}; the div kernel needs finite non-zero divisors`);
      return a.q.scale / (c * outQ.scale);
    });
  } else if ('constant' in a && 'q' in b) {
    operands = 2;
    dims = a.constant.dims;
    real = Array.from(a.constant.values, (c) => c / (b.q.scale * outQ.scale));
  } else fail('both operands of Div are constants (it should have been folded on import)');
  const ms = real.map((r) => quantizeMultiplier(r));
  return {
    out_zp: Int32Array.of(outQ.zeroPoint),
    operands: Int32Array.of(operands),
    multiplier: Int32Array.from(ms, (m) => m.multiplier),
    shift: Int32Array.from(ms, (m) => m.shift),
    mult_dims: Int32Array.from(dims),
    out_min: Int32Array.of(qmin),
    out_max: Int32Array.of(qmax),
  };
}

/** n / d rounded half away from zero, exactly, for integers |n| < 2^52 and d != 0. */
export function roundedDiv(n: number, d: number): number {
  let q = Math.trunc(n / d);
  let r = n - q * d; // exact: |q * d| <= |n| + |d|
  // the double quotient may be one off near an integer: bring r to the sign of n and below |d|
  if (r !== 0 && Math.sign(r) !== Math.sign(n)) { q -= Math.sign(n) * Math.sign(d); r = n - q * d; }
  if (Math.abs(r) >= Math.abs(d)) { q += Math.sign(n) * Math.sign(d); r = n - q * d; }
  return 2 * Math.abs(r) >= Math.abs(d) ? q + Math.sign(n) * Math.sign(d) : q;
}

function runDiv(inv: Invocation, inputs: QTensor[], params: ParamValues): QTensor[] {
  const o = inv.outputs[0]!;
  const n = numel(o.shape);
  const operands = scalar(inv, params, 'operands');
  const runtime = [operands & 1, operands & 2].filter((b) => b !== 0).length;
  if (runtime !== inputs.length) throw kernelError(inv, `operands = ${operands} needs ${runtime} run-time inputs, got ${inputs.length}`);
  const a = operands & 1 ? inputs[0]! : null;
  const b = operands & 2 ? inputs[inputs.length - 1]! : null;
  const ra = a && codeReader(a, o.shape), rb = b && codeReader(b, o.shape);
  const mult = field<Int32Array>(inv, params, 'multiplier'), shift = field<Int32Array>(inv, params, 'shift');
  const mdims = [...field<Int32Array>(inv, params, 'mult_dims')];
  if (numel(mdims) !== mult.length || shift.length !== mult.length) throw kernelError(inv, `multiplier/shift do not match mult_dims [${mdims.join(',')}]`);
  const im = mult.length === 1 ? null : broadcastIndex(o.shape, mdims);
  const zp = scalar(inv, params, 'out_zp');
  const lo = scalar(inv, params, 'out_min'), hi = scalar(inv, params, 'out_max');
  const out = allocCodes(qdtypeOf(o), n);
  for (let i = 0; i < n; i++) {
    const na = ra ? ra(i) - a!.zeroPoint : 1;
    const d = rb ? rb(i) - b!.zeroPoint : 1;
    const e = im ? im[i]! : 0;
    const num = na * mult[e]!;
    let y: number;
    // x/0 is +-inf (saturates), 0/0 is NaN (the zero point, as quantizing NaN gives)
    if (d === 0) y = num === 0 ? zp : num > 0 ? hi : lo;
    else y = zp + roundedDiv(roundedDiv(num, d), 2 ** (31 - shift[e]!));
    out[i] = y < lo ? lo : y > hi ? hi : y;
  }
  return [outTensor(o, out)];
}

export const DIV: KernelDef = {
  name: 'div',
  ops: ['Div'],
  role: 'elementwise',
  inputs: { min: 1, max: 2 },
  outputs: { min: 1, max: 1 },
  summary: 'quantized division with broadcasting; a constant operand is folded into per-element multipliers',
  paramFields: DIV_FIELDS,
  run: runDiv,
  work: (inv, target) => streamWork(inv, target, cyclesPerVector(target, inv.kernel, DIV.defaultCyclesPerVector)),
  defaultCyclesPerVector: 8,
};
