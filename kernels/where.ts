// Stage: kernel library. where kernel (Where): per element X where the condition holds, else Y, all three broadcast
// together; any of them may be a constant (held in the table).
// Contract: the condition is true where its code differs from its zero point (a quantized bool holds the codes of 0 and
// 1); X and Y are rescaled to the output quantization with one rounding each, y = clamp(out_zp + MBQM1(v - zp, s/s_out)),
// so every output code is the quantized value of the selected real operand (within 0.5 LSB plus multiplier error).

import { multiplyByQuantizedMultiplierSingleRounding as rescale, qRange, quantizeMultiplier, quantizeValue } from './fixedpoint.js';
import { allocCodes, cyclesPerVector, kernelError, numel, outTensor, qdtypeOf, scalar, streamWork } from './common.js';
import { codeReader, tableReader, type Operand } from './operands.js';
import type { Invocation, KernelDef, ParamField, ParamValues, QTensor, QuantParams } from './types.js';

const SLOTS = ['cond', 'x', 'y'] as const;
type Slot = (typeof SLOTS)[number];

export const WHERE_FIELDS: readonly ParamField[] = [
  { name: 'operands', dtype: 'int32', count: '1', doc: 'run-time operands as bits: 1 condition, 2 X, 4 Y (the others are constants below)' },
  { name: 'cond_zp', dtype: 'int32', count: '1', doc: 'code of false in the condition (its zero point)' },
  { name: 'x_zp', dtype: 'int32', count: '1', doc: 'zero point of X' },
  { name: 'x_multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of sX / sOut' },
  { name: 'x_shift', dtype: 'int32', count: '1', doc: 'shift of x_multiplier' },
  { name: 'y_zp', dtype: 'int32', count: '1', doc: 'zero point of Y' },
  { name: 'y_multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of sY / sOut' },
  { name: 'y_shift', dtype: 'int32', count: '1', doc: 'shift of y_multiplier' },
  { name: 'cond_const', dtype: 'int32', count: '0 | prod(cond_dims)', doc: 'constant condition (0 or 1)' },
  { name: 'cond_dims', dtype: 'int32', count: '0 | rank', doc: 'shape of cond_const' },
  { name: 'x_const', dtype: 'int32', count: '0 | prod(x_dims)', doc: 'constant X as output codes' },
  { name: 'x_dims', dtype: 'int32', count: '0 | rank', doc: 'shape of x_const' },
  { name: 'y_const', dtype: 'int32', count: '0 | prod(y_dims)', doc: 'constant Y as output codes' },
  { name: 'y_dims', dtype: 'int32', count: '0 | rank', doc: 'shape of y_const' },
  { name: 'out_zp', dtype: 'int32', count: '1', doc: 'output zero point' },
  { name: 'out_min', dtype: 'int32', count: '1', doc: 'lowest output code' },
  { name: 'out_max', dtype: 'int32', count: '1', doc: 'highest output code' },
];

export function whereParams(cond: Operand, x: Operand, y: Operand, outQ: QuantParams, fail: (problem: string) => never): ParamValues {
  const ops = { cond, x, y };
  if (SLOTS.every((s) => 'constant' in ops[s])) fail('every operand of Where is a constant (it should have been folded on import)');
  const { qmin, qmax } = qRange(outQ.dtype);
  const p: ParamValues = {
    operands: Int32Array.of(SLOTS.reduce((bits, s, k) => bits | ('q' in ops[s] ? 1 << k : 0), 0)),
    cond_zp: Int32Array.of('q' in cond ? cond.q.zeroPoint : 0),
    out_zp: Int32Array.of(outQ.zeroPoint),
    out_min: Int32Array.of(qmin),
    out_max: Int32Array.of(qmax),
  };
  // constants' fields are empty for run-time operands (every field is always present in the table)
  const c = 'constant' in cond ? cond.constant : undefined;
  p['cond_const'] = Int32Array.from(c?.values ?? [], (v) => (v !== 0 ? 1 : 0));
  p['cond_dims'] = Int32Array.from(c?.dims ?? []);
  for (const s of ['x', 'y'] as const) {
    const o = ops[s];
    const m = 'q' in o ? quantizeMultiplier(o.q.scale / outQ.scale) : { multiplier: 0, shift: 0 };
    p[`${s}_zp`] = Int32Array.of('q' in o ? o.q.zeroPoint : 0);
    p[`${s}_multiplier`] = Int32Array.of(m.multiplier);
    p[`${s}_shift`] = Int32Array.of(m.shift);
    const k = 'constant' in o ? o.constant : undefined;
    p[`${s}_const`] = Int32Array.from(k?.values ?? [], (v) => quantizeValue(v, outQ.scale, outQ.zeroPoint, outQ.dtype));
    p[`${s}_dims`] = Int32Array.from(k?.dims ?? []);
  }
  return p;
}

/** One operand as a reader per output element: the condition as 0/1, X and Y as output codes. */
function reader(inv: Invocation, slot: Slot, out: readonly number[], t: QTensor | undefined, params: ParamValues): (i: number) => number {
  if (!t) {
    const c = tableReader(inv, params, `${slot}_const`, `${slot}_dims`, out);
    if (!c) throw kernelError(inv, `${slot} is a constant but ${slot}_const is empty`);
    return c;
  }
  const r = codeReader(t, out);
  if (slot === 'cond') {
    const zp = scalar(inv, params, 'cond_zp');
    return (i) => (r(i) !== zp ? 1 : 0);
  }
  const zp = scalar(inv, params, `${slot}_zp`), m = scalar(inv, params, `${slot}_multiplier`), s = scalar(inv, params, `${slot}_shift`);
  const oz = scalar(inv, params, 'out_zp');
  return (i) => oz + rescale(r(i) - zp, m, s);
}

function runWhere(inv: Invocation, inputs: QTensor[], params: ParamValues): QTensor[] {
  const o = inv.outputs[0]!;
  const n = numel(o.shape);
  const bits = scalar(inv, params, 'operands');
  const runtime = SLOTS.filter((_, k) => bits & (1 << k));
  if (runtime.length !== inputs.length) throw kernelError(inv, `operands = ${bits} needs ${runtime.length} run-time inputs, got ${inputs.length}`);
  const [c, x, y] = SLOTS.map((s) => reader(inv, s, o.shape, runtime.includes(s) ? inputs[runtime.indexOf(s)] : undefined, params));
  const lo = scalar(inv, params, 'out_min'), hi = scalar(inv, params, 'out_max');
  const out = allocCodes(qdtypeOf(o), n);
  for (let i = 0; i < n; i++) {
    const v = c!(i) ? x!(i) : y!(i);
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return [outTensor(o, out)];
}

export const WHERE: KernelDef = {
  name: 'where',
  ops: ['Where'],
  role: 'elementwise',
  inputs: { min: 1, max: 3 },
  outputs: { min: 1, max: 1 },
  summary: 'select X where the condition holds, else Y (broadcasting, constants in the table), rescaled to the output',
  paramFields: WHERE_FIELDS,
  run: runWhere,
  work: (inv, target) => streamWork(inv, target, cyclesPerVector(target, inv.kernel, WHERE.defaultCyclesPerVector)),
  defaultCyclesPerVector: 2,
};
