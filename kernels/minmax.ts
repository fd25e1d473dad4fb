// Stage: kernel library. maximum and minimum kernels (Max, Min): n-ary, numpy broadcasting, constant operands folded
// into one table of output codes. TFLite MAXIMUM/MINIMUM style: every operand is rescaled to the output quantization
// first, then compared.
// Contract: r_k = out_zp + MBQM1(x_k - zp_k, s_k/s_out) (single rounding), y = clamp(max_k r_k (or min), out_min,
// out_max). Rounding is monotone, so y is the rounded max of the real operands: within 0.5 LSB (+ multiplier error).

import { multiplyByQuantizedMultiplierSingleRounding as rescale, qRange, quantizeMultiplier, quantizeValue } from './fixedpoint.js';
import { allocCodes, cyclesPerVector, field, kernelError, numel, outTensor, qdtypeOf, scalar, streamWork } from './common.js';
import { codeReader, tableReader, type ConstOperand } from './operands.js';
import type { Target } from './target.js';
import type { Invocation, KernelDef, KernelWork, ParamField, ParamValues, QTensor, QuantParams } from './types.js';

export const MINMAX_FIELDS: readonly ParamField[] = [
  { name: 'out_zp', dtype: 'int32', count: '1', doc: 'output zero point' },
  { name: 'multiplier', dtype: 'int32', count: 'N (run-time operands)', doc: 'Q31 multiplier of s_k / s_out per run-time operand' },
  { name: 'shift', dtype: 'int32', count: 'N', doc: 'shift of multiplier per operand' },
  { name: 'const_codes', dtype: 'int32', count: '0 | prod(const_dims)', doc: 'constant operands (max or min of all of them) as output codes; empty without constants' },
  { name: 'const_dims', dtype: 'int32', count: '0 | rank', doc: 'shape of const_codes, broadcast to the output' },
  { name: 'out_min', dtype: 'int32', count: '1', doc: 'lowest output code' },
  { name: 'out_max', dtype: 'int32', count: '1', doc: 'highest output code' },
];

/** Table for run-time operands of quantization `inQ` and an optional constant operand. */
export function minMaxParams(inQ: readonly QuantParams[], outQ: QuantParams, constant?: ConstOperand): ParamValues {
  const ms = inQ.map((q) => quantizeMultiplier(q.scale / outQ.scale));
  const { qmin, qmax } = qRange(outQ.dtype);
  const p: ParamValues = {
    out_zp: Int32Array.of(outQ.zeroPoint),
    multiplier: Int32Array.from(ms, (m) => m.multiplier),
    shift: Int32Array.from(ms, (m) => m.shift),
    // empty without constants (every field is always present in the table)
    const_codes: Int32Array.from(constant?.values ?? [], (v) => quantizeValue(v, outQ.scale, outQ.zeroPoint, outQ.dtype)),
    const_dims: Int32Array.from(constant?.dims ?? []),
    out_min: Int32Array.of(qmin),
    out_max: Int32Array.of(qmax),
  };
  return p;
}

function run(isMax: boolean) {
  return (inv: Invocation, inputs: QTensor[], params: ParamValues): QTensor[] => {
    const o = inv.outputs[0]!;
    const n = numel(o.shape);
    const zp = scalar(inv, params, 'out_zp');
    const mult = field<Int32Array>(inv, params, 'multiplier');
    const shift = field<Int32Array>(inv, params, 'shift');
    if (mult.length !== inputs.length) throw kernelError(inv, `table has ${mult.length} multipliers for ${inputs.length} run-time operands`);
    const acc = new Int32Array(n);
    const cc = tableReader(inv, params, 'const_codes', 'const_dims', o.shape);
    if (cc) for (let i = 0; i < n; i++) acc[i] = cc(i);
    inputs.forEach((x, k) => {
      const rx = codeReader(x, o.shape);
      const m = mult[k]!, s = shift[k]!;
      for (let i = 0; i < n; i++) {
        const r = zp + rescale(rx(i) - x.zeroPoint, m, s);
        if ((k === 0 && !cc) || (isMax ? r > acc[i]! : r < acc[i]!)) acc[i] = r;
      }
    });
    const lo = scalar(inv, params, 'out_min'), hi = scalar(inv, params, 'out_max');
    const out = allocCodes(qdtypeOf(o), n);
    for (let i = 0; i < n; i++) out[i] = acc[i]! < lo ? lo : acc[i]! > hi ? hi : acc[i]!;
    return [outTensor(o, out)];
  };
}

/** One compare-and-select pass per operand after the first (the constant operand counts as one): cost-model.md. */
function minMaxWork(inv: Invocation, target: Target, defaultCpv: number): KernelWork {
  const operands = inv.inputs.length + (inv.params.some((p) => p.name === 'const_codes' && p.count > 0) ? 1 : 0);
  return streamWork(inv, target, cyclesPerVector(target, inv.kernel, defaultCpv) * Math.max(1, operands - 1));
}

function minMaxKernel(name: string, op: 'Max' | 'Min'): KernelDef {
  const k: KernelDef = {
    name,
    ops: [op],
    role: 'elementwise',
    inputs: { min: 1, max: Infinity },
    outputs: { min: 1, max: 1 },
    summary: `element-wise ${op === 'Max' ? 'maximum' : 'minimum'} of n operands (broadcasting, constants folded), compared at the output scale`,
    paramFields: MINMAX_FIELDS,
    run: run(op === 'Max'),
    work: (inv, target) => minMaxWork(inv, target, k.defaultCyclesPerVector),
    defaultCyclesPerVector: 2,
  };
  return k;
}

export const MAXIMUM = minMaxKernel('maximum', 'Max');
export const MINIMUM = minMaxKernel('minimum', 'Min');
