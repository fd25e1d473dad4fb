// Tests: kernel library / equal, greater, less, where. Comparisons agree with comparing the dequantized real values
// (exactly for equal quantizations; away from near-ties otherwise); Where's codes are within 1 LSB of the quantized
// selected value. int8 and int16; DSPC_LONG=1 widens the sweeps.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EQUAL, GREATER, LESS, compareParams } from '../../kernels/compare.js';
import { quantizeValue } from '../../kernels/fixedpoint.js';
import type { ConstOperand, Operand } from '../../kernels/operands.js';
import type { KernelDef, QDType, QTensor, QuantParams } from '../../kernels/types.js';
import { WHERE, whereParams } from '../../kernels/where.js';
import { broadcastIndex } from '../../kernels/broadcast.js';
import { numel } from '../../src/ir/tensor.js';
import { broadcastShapesArb, inv, qtensor, quantArb, randomCodes, ref } from './helpers.js';

fc.configureGlobal({ seed: 20261207 });
const RUNS = process.env['DSPC_LONG'] === '1' ? 300 : 25;
const fail = (m: string): never => { throw new Error(m); };


/** Real values of an operand broadcast to `out`. */
function reals(out: number[], shape: number[], values: ArrayLike<number>): number[] {
  const ix = broadcastIndex(out, shape);
  return Array.from(ix, (k) => values[k]!);
}
const dequant = (t: QTensor): number[] => Array.from(t.data, (c) => t.scale * (c - t.zeroPoint));
const boolQ = (dtype: QDType): QuantParams => (dtype === 'int8' ? { scale: 1 / 255, zeroPoint: -128, dtype } : { scale: 1 / 32767, zeroPoint: 0, dtype });

const TESTS: [KernelDef, string, (x: number, y: number) => boolean][] = [
  [EQUAL, 'Equal', (x, y) => x === y], [GREATER, 'Greater', (x, y) => x > y], [LESS, 'Less', (x, y) => x < y],
];

for (const dtype of ['int8', 'int16'] as QDType[]) {
  describe(`comparisons, ${dtype}`, () => {
    for (const [k, op, test] of TESTS) {
      it(`${op}: run-time operands (same or different quantization) or a constant one agree with the real comparison`, () => {
        fc.assert(fc.property(broadcastShapesArb(2), quantArb(dtype), quantArb(dtype), fc.boolean(), fc.constantFrom(0, 1, 2), fc.integer({ min: 1, max: 1e9 }),
          (sh, qa, qb0, sameQ, constSide, seed) => {
            const qb = sameQ ? qa : qb0;
            const a = qtensor(randomCodes(numel(sh.shapes[0]!), dtype, seed), sh.shapes[0]!, qa);
            // B's codes near A's so that equalities occur
            const codesB = randomCodes(numel(sh.shapes[1]!), dtype, sameQ ? seed : seed + 1);
            if (sameQ) codesB.forEach((c, i) => { codesB[i] = c >> 1; });
            const b = qtensor(codesB, sh.shapes[1]!, qb);
            const constOf = (t: QTensor): ConstOperand => ({ dims: t.shape, values: dequant(t) });
            const opA: Operand = constSide === 1 ? { constant: constOf(a) } : { q: qa };
            const opB: Operand = constSide === 2 ? { constant: constOf(b) } : { q: qb };
            const outQ = boolQ(dtype);
            const p = compareParams(opA, opB, outQ, fail);
            const runtime = [...('q' in opA ? [a] : []), ...('q' in opB ? [b] : [])];
            const got = k.run(inv(k.name, runtime.map((x) => ref(x.shape, { scale: x.scale, zeroPoint: x.zeroPoint, dtype })), [ref(sh.out, outQ)], {}, p), runtime, p)[0]!.data;
            const ra = reals(sh.out, a.shape, dequant(a)), rb = reals(sh.out, b.shape, dequant(b));
            const t = quantizeValue(1, outQ.scale, outQ.zeroPoint, dtype), f = quantizeValue(0, outQ.scale, outQ.zeroPoint, dtype);
            for (let i = 0; i < got.length; i++) {
              const near = Math.abs(ra[i]! - rb[i]!) <= 2 ** -20 * Math.max(Math.abs(ra[i]!), Math.abs(rb[i]!));
              // equal quantizations compare exactly; otherwise only near-ties (below the grid's precision) may differ
              if ((sameQ && constSide === 0) || !near) expect(got[i], `element ${i}: ${ra[i]} vs ${rb[i]}`).toBe(test(ra[i]!, rb[i]!) ? t : f);
            }
          }), { numRuns: RUNS });
      });
    }
  });

  describe(`where, ${dtype}`, () => {
    it('selects X or Y by the condition, rescaled to the output within 1 LSB; any operand may be a constant', () => {
      const k = WHERE;
      fc.assert(fc.property(broadcastShapesArb(3), quantArb(dtype), quantArb(dtype), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.integer({ min: 1, max: 1e9 }),
        (sh, qx, qy, consts, seed) => {
          if (consts.every(Boolean)) return;
          const cq = boolQ(dtype);
          const t1 = quantizeValue(1, cq.scale, cq.zeroPoint, dtype);
          const cond = qtensor(randomCodes(numel(sh.shapes[0]!), dtype, seed).map((v) => (v & 1 ? t1 : cq.zeroPoint)) as Int8Array, sh.shapes[0]!, cq);
          const x = qtensor(randomCodes(numel(sh.shapes[1]!), dtype, seed + 1), sh.shapes[1]!, qx);
          const y = qtensor(randomCodes(numel(sh.shapes[2]!), dtype, seed + 2), sh.shapes[2]!, qy);
          const ts = [cond, x, y];
          const ops = ts.map((t, j): Operand => (consts[j] ? { constant: { dims: t.shape, values: j === 0 ? dequant(t).map((v) => (v > 0.5 ? 1 : 0)) : dequant(t) } } : { q: { scale: t.scale, zeroPoint: t.zeroPoint, dtype } }));
          const rc = reals(sh.out, cond.shape, dequant(cond)), rx = reals(sh.out, x.shape, dequant(x)), ry = reals(sh.out, y.shape, dequant(y));
          const ys = rc.map((c, i) => (c > 0.5 ? rx[i]! : ry[i]!));
          const hi = Math.max(1e-6, ...ys.map(Math.abs));
          const outQ: QuantParams = dtype === 'int8' ? { scale: (2 * hi) / 255, zeroPoint: 0, dtype } : { scale: hi / 32767, zeroPoint: 0, dtype };
          const p = whereParams(ops[0]!, ops[1]!, ops[2]!, outQ, fail);
          const runtime = ts.filter((_, j) => !consts[j]);
          const got = k.run(inv('where', runtime.map((t) => ref(t.shape, { scale: t.scale, zeroPoint: t.zeroPoint, dtype })), [ref(sh.out, outQ)], {}, p), runtime, p)[0]!.data;
          for (let i = 0; i < got.length; i++) {
            expect(Math.abs(got[i]! - quantizeValue(ys[i]!, outQ.scale, outQ.zeroPoint, dtype)), `element ${i}`).toBeLessThanOrEqual(1);
          }
        }), { numRuns: RUNS });
    });
  });
}
