// Stage: kernel library. equal, greater and less kernels (Equal, Greater, Less) on run-time tensors, numpy
// broadcasting, one operand possibly a constant. The bool result is written as the output quantization's codes of 1
// and 0, so a later Where (or any consumer) reads it like every other quantized tensor.
// Contract: both operands are put on one exact integer grid, x = (a - zA) * mA with mA the Q31 mantissa of
// sA / max(sA, sB) (|x| < 2^49, no rounding), and compared there: the same as comparing the real values except when
// they differ by less than 2^-30 relative (equal quantizations compare exactly). A constant operand c is held as
// round(c / s * 2^16) on the other operand's grid, compared with (x - zp) * 2^16.

import { quantizeMultiplier, quantizeValue, saturateInt32, type QuantizedMultiplier } from './fixedpoint.js';
import { allocCodes, cyclesPerVector, kernelError, numel, outTensor, qdtypeOf, scalar, streamWork } from './common.js';
import { codeReader, tableReader, type Operand } from './operands.js';
import type { Invocation, KernelDef, ParamField, ParamValues, QTensor, QuantParams } from './types.js';

export const COMPARE_FIELDS: readonly ParamField[] = [
  { name: 'a_zp', dtype: 'int32', count: '1', doc: 'zero point of A (0 when A is the constant)' },
  { name: 'b_zp', dtype: 'int32', count: '1', doc: 'zero point of B (0 when B is the constant)' },
  { name: 'a_multiplier', dtype: 'int32', count: '1', doc: 'grid factor of A: a_multiplier * 2^a_shift is the Q31 mantissa of sA / max(sA, sB) (2^16 against a constant)' },
  { name: 'a_shift', dtype: 'int32', count: '1', doc: 'exponent of a_multiplier (<= 1)' },
  { name: 'b_multiplier', dtype: 'int32', count: '1', doc: 'grid factor of B, as a_multiplier' },
  { name: 'b_shift', dtype: 'int32', count: '1', doc: 'exponent of b_multiplier' },
  { name: 'constant', dtype: 'int32', count: '1', doc: '0: both run-time; 1: A is the constant; 2: B is the constant' },
  { name: 'const_codes', dtype: 'int32', count: '0 | prod(const_dims)', doc: 'the constant on the run-time operand\'s grid: round(c / s * 2^16), saturated to int32' },
  { name: 'const_dims', dtype: 'int32', count: '0 | rank', doc: 'shape of const_codes, broadcast to the output' },
  { name: 'true_code', dtype: 'int32', count: '1', doc: 'output code of 1 (true)' },
  { name: 'false_code', dtype: 'int32', count: '1', doc: 'output code of 0 (false)' },
];

const GRID = 2 ** 16;

/** Grid factors (multiplier * 2^shift): the Q31 scale ratios of two run-time operands; 2^16 and 1 against a constant. */
function gridFactors(a: Operand, b: Operand): [QuantizedMultiplier, QuantizedMultiplier] {
  if ('q' in a && 'q' in b) {
    const top = Math.max(a.q.scale, b.q.scale);
    const [ma, mb] = [quantizeMultiplier(a.q.scale / top), quantizeMultiplier(b.q.scale / top)];
    return [{ multiplier: ma.multiplier, shift: ma.shift }, { multiplier: mb.multiplier, shift: mb.shift }];
  }
  const grid = { multiplier: 2 ** 30, shift: -14 }; // 2^30 * 2^-14 = 2^16: the run-time side
  const one = { multiplier: 2 ** 30, shift: -30 }; // the constant's codes already carry the 2^16
  return 'q' in a ? [grid, one] : [one, grid];
}

export function compareParams(a: Operand, b: Operand, outQ: QuantParams, fail: (problem: string) => never): ParamValues {
  if ('constant' in a && 'constant' in b) fail('both operands are constants (it should have been folded on import)');
  const [ma, mb] = gridFactors(a, b);
  const p: ParamValues = {
    a_zp: Int32Array.of('q' in a ? a.q.zeroPoint : 0),
    b_zp: Int32Array.of('q' in b ? b.q.zeroPoint : 0),
    a_multiplier: Int32Array.of(ma.multiplier), a_shift: Int32Array.of(ma.shift),
    b_multiplier: Int32Array.of(mb.multiplier), b_shift: Int32Array.of(mb.shift),
    constant: Int32Array.of('constant' in a ? 1 : 'constant' in b ? 2 : 0),
    true_code: Int32Array.of(quantizeValue(1, outQ.scale, outQ.zeroPoint, outQ.dtype)),
    false_code: Int32Array.of(quantizeValue(0, outQ.scale, outQ.zeroPoint, outQ.dtype)),
  };
  const k = 'constant' in a ? a.constant : 'constant' in b ? b.constant : undefined;
  const s = ('q' in a ? a : (b as { q: QuantParams })).q.scale;
  // empty without a constant (every field is always present in the table)
  p['const_codes'] = Int32Array.from(k?.values ?? [], (v) => saturateInt32(Math.round((v / s) * GRID)));
  p['const_dims'] = Int32Array.from(k?.dims ?? []);
  return p;
}

/** An operand as a per-output-element reader of its integer deltas (code - zero point), or the table's constant. */
function operand(inv: Invocation, out: readonly number[], t: QTensor | undefined, params: ParamValues, zpField: string): (i: number) => number {
  if (!t) {
    const c = tableReader(inv, params, 'const_codes', 'const_dims', out);
    if (!c) throw kernelError(inv, 'the constant operand (const_codes) is empty');
    return c;
  }
  const zp = scalar(inv, params, zpField);
  const r = codeReader(t, out);
  return (i) => r(i) - zp;
}

function run(test: (x: number, y: number) => boolean) {
  return (inv: Invocation, inputs: QTensor[], params: ParamValues): QTensor[] => {
    const o = inv.outputs[0]!;
    const n = numel(o.shape);
    const c = scalar(inv, params, 'constant');
    if (inputs.length !== (c === 0 ? 2 : 1)) throw kernelError(inv, `constant = ${c} needs ${c === 0 ? 2 : 1} run-time inputs, got ${inputs.length}`);
    const ra = operand(inv, o.shape, c === 1 ? undefined : inputs[0], params, 'a_zp');
    const rb = operand(inv, o.shape, c === 2 ? undefined : inputs[inputs.length - 1], params, 'b_zp');
    const ma = scalar(inv, params, 'a_multiplier') * 2 ** scalar(inv, params, 'a_shift');
    const mb = scalar(inv, params, 'b_multiplier') * 2 ** scalar(inv, params, 'b_shift');
    const t = scalar(inv, params, 'true_code'), f = scalar(inv, params, 'false_code');
    const out = allocCodes(qdtypeOf(o), n);
    // (code delta < 2^17) * (mantissa < 2^31) * 2^(shift <= 0): exact doubles, compared exactly
    for (let i = 0; i < n; i++) out[i] = test(ra(i) * ma, rb(i) * mb) ? t : f;
    return [outTensor(o, out)];
  };
}

function compareKernel(name: string, op: string, test: (x: number, y: number) => boolean): KernelDef {
  const k: KernelDef = {
    name,
    ops: [op],
    role: 'elementwise',
    inputs: { min: 1, max: 2 },
    outputs: { min: 1, max: 1 },
    summary: `${op} of two quantized operands on one exact integer grid (broadcasting, one constant operand allowed); writes the codes of 1 and 0`,
    paramFields: COMPARE_FIELDS,
    run: run(test),
    work: (inv, target) => streamWork(inv, target, cyclesPerVector(target, inv.kernel, k.defaultCyclesPerVector)),
    defaultCyclesPerVector: 2,
  };
  return k;
}

export const EQUAL = compareKernel('equal', 'Equal', (x, y) => x === y);
export const GREATER = compareKernel('greater', 'Greater', (x, y) => x > y);
export const LESS = compareKernel('less', 'Less', (x, y) => x < y);
