// Tests: the simulator's fast elementwise and pooling paths (add's per-operand tables, maxpool's inline window) against scalar references.
// Why: the fast paths exist for speed only; they must give the scalar kernel's codes bit for bit, broadcasting and epilogues included.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addParams, runAdd } from '../../kernels/add.js';
import { KERNELS } from '../../kernels/index.js';
import { forWindow, poolGeometry } from '../../kernels/maxpool.js';
import { reluParams } from '../../kernels/relu.js';
import type { QDType } from '../../kernels/types.js';
import { inv, qtensor, quantArb, randomCodes, ref } from './helpers.js';

describe('add: lookup-table path equals the scalar path bit for bit', () => {
  const shapes = fc.constantFrom<[number[], number[], number[]]>(
    [[1, 8, 12, 12], [1, 8, 12, 12], [1, 8, 12, 12]], [[1, 8, 12, 12], [1, 8, 1, 1], [1, 8, 12, 12]], [[1, 1, 12, 12], [1, 8, 12, 12], [1, 8, 12, 12]],
  );
  it('int8, with and without a folded ReLU, over random scales and zero points', () => {
    fc.assert(fc.property(shapes, quantArb('int8'), quantArb('int8'), quantArb('int8'), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), ([sa, sb, so], qa, qb, qo0, relu, seed) => {
      const qo = { ...qo0, scale: qo0.scale * 2 };
      const a = qtensor(randomCodes(sa.reduce((x, y) => x * y), 'int8', seed), sa, qa);
      const b = qtensor(randomCodes(sb.reduce((x, y) => x * y), 'int8', seed + 1), sb, qb);
      const p = addParams(qa, qb, qo);
      const i = inv('add', [ref(sa, qa), ref(sb, qb)], [ref(so, qo)], {}, p);
      const ep = relu ? reluParams(qo, qo) : undefined;
      if (relu) i.epilogue = { kernel: 'relu', node: 'relu_node', attrs: {}, params: [] };
      const fast = runAdd(i, [a, b], p, ep)[0]!;
      const slow = runAdd(i, [a, b], p, ep, false)[0]!;
      expect(fast.data.length).toBeGreaterThan(512); // the table path is taken above 512 elements
      expect([...fast.data]).toEqual([...slow.data]);
    }), { numRuns: 60 });
  });
});

describe('maxpool: the written-out window loop equals the forWindow reference bit for bit', () => {
  it('int8 and int16, strides, dilations and padding', () => {
    const arb = fc.record({
      dtype: fc.constantFrom<QDType>('int8', 'int16'), c: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
      k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), d: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(fc.property(quantArb('int8'), arb, (q0, { dtype, c, h, w, k, s, d, pad, seed }) => {
      const q = { ...q0, dtype };
      const ext = (size: number): number => Math.floor((size + 2 * pad - d * (k - 1) - 1) / s) + 1;
      const [oh, ow] = [ext(h), ext(w)];
      fc.pre(oh > 0 && ow > 0);
      const x = qtensor(randomCodes(c * h * w, dtype, seed), [1, c, h, w], q);
      const i = inv('maxpool', [ref([1, c, h, w], q)], [ref([1, c, oh, ow], q)], { kernel_shape: [k, k], strides: [s, s], dilations: [d, d], pads: [pad, pad, pad, pad] });
      const got = KERNELS.get('maxpool')!.run(i, [x], {})[0]!;
      const g = poolGeometry(i);
      const want: number[] = [];
      for (let p = 0; p < c; p++) {
        for (let y = 0; y < oh; y++) {
          for (let xx = 0; xx < ow; xx++) {
            let best = -Infinity;
            forWindow(g, p * h * w, y, xx, (idx) => { best = Math.max(best, x.data[idx]!); });
            want.push(best === -Infinity ? x.zeroPoint : best);
          }
        }
      }
      expect([...got.data]).toEqual(want);
    }), { numRuns: 100 });
  });
});
