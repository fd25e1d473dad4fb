// Tests: kernel library / pointwise_lut, maximum, minimum, div. Every output code within 1 LSB of the quantized float
// reference (the op table's float semantics on the dequantized operands, quantized to the output), int8 and int16.
// DSPC_LONG=1 widens the sweeps.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIV, divParams, roundedDiv } from '../../kernels/divide.js';
import { quantizeValue } from '../../kernels/fixedpoint.js';
import { lutStepShift } from '../../kernels/lut.js';
import { MAXIMUM, MINIMUM, minMaxParams } from '../../kernels/minmax.js';
import type { ConstOperand, Operand } from '../../kernels/operands.js';
import { POINTWISE_LUT, pointwiseLutParams } from '../../kernels/pointwise-lut.js';
import type { ParamValues, QDType, QTensor, QuantParams } from '../../kernels/types.js';
import type { Node } from '../../src/ir/graph.js';
import { evaluateNode } from '../../src/ir/interpret.js';
import { floatTensor, numel, type Tensor } from '../../src/ir/tensor.js';
import { allCodes, broadcastOf, broadcastShapesArb, inv, qtensor, quantArb, randomCodes, ref } from './helpers.js';

fc.configureGlobal({ seed: 20261207 });
const LONG = process.env['DSPC_LONG'] === '1';
const RUNS = LONG ? 200 : 15;
const DTYPES: QDType[] = ['int8', 'int16'];

/** The quantized float reference of one real result: NaN is the zero point, infinities saturate. */
function quantized(y: number, q: QuantParams): number {
  return Number.isNaN(y) ? q.zeroPoint : quantizeValue(y, q.scale, q.zeroPoint, q.dtype);
}

const dequant = (t: QTensor): Float32Array => Float32Array.from(t.data, (c) => t.scale * (c - t.zeroPoint));

function node(op: string, inputs: string[]): Node {
  return { name: 'n', op, inputs, outputs: ['y'], attrs: {} };
}

/** Output range from the float results, as calibration would give it (int8 asymmetric, int16 symmetric). */
function outQuant(ys: ArrayLike<number>, dtype: QDType): QuantParams {
  let lo = 0, hi = 0;
  for (const y of Array.from(ys)) if (Number.isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
  if (dtype === 'int16') return { scale: Math.max(Math.abs(lo), Math.abs(hi), 1e-6) / 32767, zeroPoint: 0, dtype };
  const scale = Math.max(hi - lo, 1e-6) / 255;
  return { scale, zeroPoint: Math.max(-128, Math.min(127, Math.round(-128 - lo / scale))), dtype };
}

describe('pointwise_lut: the op table reference as one table', () => {
  const ops: [string, number | undefined][] = [
    ['Sqrt', undefined], ['Reciprocal', undefined], ['Exp', undefined], ['Log', undefined], ['Neg', undefined],
    ['Abs', undefined], ['Erf', undefined], ['Pow', 2], ['Pow', 3], ['Pow', 0.5], ['Pow', -1.5],
  ];
  const lut = POINTWISE_LUT;
  for (const dtype of DTYPES) {
    for (const [op, e] of ops) {
      it(`${op}${e === undefined ? '' : `(${e})`} ${dtype}: every input code within 1 LSB (int8: exact)`, () => {
        const n = node(op, e === undefined ? ['x'] : ['x', 'e']);
        const f = (x: Float32Array): Float32Array => evaluateNode(n, [floatTensor([x.length], x), e === undefined ? undefined : floatTensor([], [e])])[0]!.data as Float32Array;
        fc.assert(fc.property(quantArb(dtype), fc.double({ min: 0.05, max: 20, noNaN: true }), (inQ, gain) => {
          const codes = allCodes(dtype);
          const x = qtensor(codes, [1, 1, 1, codes.length], inQ);
          const ys = f(dequant(x));
          const outQ = outQuant(ys.map((y) => y / gain), dtype);
          const p = pointwiseLutParams(f, inQ, outQ);
          if (dtype === 'int16') expect(lutStepShift(p['lut']!.length)).toBeLessThanOrEqual(7);
          const got = lut.run(inv('pointwise_lut', [ref(x.shape, inQ)], [ref(x.shape, outQ)], {}, p), [x], p)[0]!.data;
          let worst = 0;
          for (let k = 0; k < codes.length; k++) worst = Math.max(worst, Math.abs(got[k]! - quantized(ys[k]!, outQ)));
          expect(worst, `${op} in ${JSON.stringify(inQ)} out ${JSON.stringify(outQ)}`).toBeLessThanOrEqual(dtype === 'int8' ? 0 : 1);
        }), { numRuns: LONG ? 60 : 4 });
      });
    }
  }

  it('int16 tables are as coarse as 1 LSB allows: gentle functions get fewer entries than sharp ones', () => {
    const q: QuantParams = { scale: 1e-3, zeroPoint: 0, dtype: 'int16' };
    const run = (op: string) => (x: Float32Array) => evaluateNode(node(op, ['x']), [floatTensor([x.length], x)])[0]!.data as Float32Array;
    const size = (op: string, outScale: number): number => pointwiseLutParams(run(op), q, { ...q, scale: outScale })['lut']!.length;
    // |x| on a coarse output grid is exactly linear between entries: TFLite's 513-entry table suffices
    expect(size('Abs', 33 / 32767)).toBe(513);
    const erf = size('Erf', 1 / 32767), recip = size('Reciprocal', 1000 / 32767);
    expect(erf).toBeLessThan(recip);
    expect(recip).toBeLessThanOrEqual(65537);
  });
});


function evalOp(op: string, ts: Tensor[]): Float32Array {
  return evaluateNode(node(op, ts.map((_, i) => `x${i}`)), ts)[0]!.data as Float32Array;
}

function worstLsb(got: ArrayLike<number>, ys: ArrayLike<number>, outQ: QuantParams): number {
  let worst = 0;
  for (let k = 0; k < ys.length; k++) worst = Math.max(worst, Math.abs(got[k]! - quantized(ys[k]!, outQ)));
  return worst;
}

describe('maximum and minimum', () => {
  for (const dtype of DTYPES) {
    for (const op of ['Max', 'Min']) {
      it(`${op} ${dtype}: 1-3 run-time operands of different quantizations plus an optional constant, within 1 LSB`, () => {
        const k = op === 'Max' ? MAXIMUM : MINIMUM;
        const arb = fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(
          broadcastShapesArb(n + 1), fc.array(quantArb(dtype), { minLength: n, maxLength: n }), fc.boolean(), fc.integer({ min: 1, max: 1e9 }),
        ));
        fc.assert(fc.property(arb, ([sh, qs, withConst, seed]) => {
          const used = sh.shapes.slice(0, qs.length + (withConst ? 1 : 0));
          const outShape = broadcastOf(used, sh.out.length);
          const xs = qs.map((q, i) => qtensor(randomCodes(numel(sh.shapes[i]!), dtype, seed + i), sh.shapes[i]!, q));
          const cdims = sh.shapes[qs.length]!;
          const constant: ConstOperand | undefined = withConst
            ? { dims: cdims, values: Array.from(randomCodes(numel(cdims), 'int8', seed + 99), (c) => c / 40) } : undefined;
          const floats = [...xs.map((x) => floatTensor(x.shape, dequant(x))), ...(constant ? [floatTensor(cdims, constant.values)] : [])];
          const ys = evalOp(op, floats);
          const outQ = outQuant(ys, dtype);
          const p = minMaxParams(qs, outQ, constant);
          const got = k.run(inv(k.name, xs.map((x) => ref(x.shape, { scale: x.scale, zeroPoint: x.zeroPoint, dtype })), [ref(outShape, outQ)], {}, p), xs, p)[0]!.data;
          expect(worstLsb(got, ys, outQ)).toBeLessThanOrEqual(1);
        }), { numRuns: RUNS });
      });
    }
  }
});

describe('div', () => {
  for (const dtype of DTYPES) {
    it(`${dtype}: two run-time tensors (zero divisors included), a constant divisor, a constant numerator, within 1 LSB`, () => {
      const k = DIV;
      const fail = (m: string): never => { throw new Error(m); };
      fc.assert(fc.property(broadcastShapesArb(2), quantArb(dtype), quantArb(dtype), fc.constantFrom(0, 1, 2), fc.integer({ min: 1, max: 1e9 }),
        (sh, qa, qb, constSide, seed) => {
          const a = qtensor(randomCodes(numel(sh.shapes[0]!), dtype, seed), sh.shapes[0]!, qa);
          const b = qtensor(randomCodes(numel(sh.shapes[1]!), dtype, seed + 1), sh.shapes[1]!, qb);
          const constOf = (t: QTensor): ConstOperand => ({ dims: t.shape, values: Array.from(dequant(t), (v) => (v === 0 ? 0.5 : v)) });
          const opA: Operand = constSide === 1 ? { constant: constOf(a) } : { q: qa };
          const opB: Operand = constSide === 2 ? { constant: constOf(b) } : { q: qb };
          const fa = 'constant' in opA ? floatTensor(a.shape, opA.constant.values) : floatTensor(a.shape, dequant(a));
          const fb = 'constant' in opB ? floatTensor(b.shape, opB.constant.values) : floatTensor(b.shape, dequant(b));
          const ys = evalOp('Div', [fa, fb]);
          const outQ = outQuant(ys.map((y) => (Math.abs(y) > 1e4 ? 0 : y)), dtype); // a few huge quotients saturate
          const p = divParams(opA, opB, outQ, fail);
          const runtime = [...('q' in opA ? [a] : []), ...('q' in opB ? [b] : [])];
          const got = k.run(inv('div', runtime.map((x) => ref(x.shape, { scale: x.scale, zeroPoint: x.zeroPoint, dtype })), [ref(sh.out, outQ)], {}, p), runtime, p)[0]!.data;
          expect(worstLsb(got, ys, outQ)).toBeLessThanOrEqual(1);
        }), { numRuns: RUNS * 2 });
    });
  }

  it('a constant divisor holding 0 is refused with the index', () => {
    const q: QuantParams = { scale: 0.1, zeroPoint: 0, dtype: 'int8' };
    expect(() => divParams({ q }, { constant: { dims: [2], values: [1, 0] } }, q, (m) => { throw new Error(m); })).toThrow(/holds 0 at index 1/);
  });

  it('roundedDiv is exact rounding half away from zero (checked with BigInt)', () => {
    const exact = (n: number, d: number): number => {
      const N = BigInt(n), D = BigInt(d);
      const neg = (N < 0n) !== (D < 0n);
      const an = N < 0n ? -N : N, ad = D < 0n ? -D : D;
      const q = (2n * an + ad) / (2n * ad);
      return Number(neg ? -q : q);
    };
    const den = fc.oneof(fc.integer({ min: -65535, max: 65535 }).filter((d) => d !== 0), fc.integer({ min: 1, max: 62 }).map((e) => 2 ** e));
    fc.assert(fc.property(fc.integer({ min: -(2 ** 47), max: 2 ** 47 }), den, (n, d) => roundedDiv(n, d) === exact(n, d)), { numRuns: LONG ? 100000 : 2000 });
  });
});

describe('kernel tables are what the kernels read', () => {
  it('maximum refuses a table whose multiplier count differs from its run-time operands', () => {
    const q: QuantParams = { scale: 0.1, zeroPoint: 0, dtype: 'int8' };
    const p: ParamValues = minMaxParams([q, q], q);
    const x = qtensor(Int8Array.of(1, 2), [2], q);
    expect(() => MAXIMUM.run(inv('maximum', [ref([2], q)], [ref([2], q)], {}, p), [x], p)).toThrow(/2 multipliers for 1 run-time operands/);
  });
});
