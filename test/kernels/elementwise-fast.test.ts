// Tests: the simulator's fast elementwise paths (add's per-operand lookup tables) against the per-element scalar computation.
// Why: the fast paths exist for speed only; they must give the scalar kernel's codes bit for bit, broadcasting and epilogues included.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addParams, runAdd } from '../../kernels/add.js';
import { reluParams } from '../../kernels/relu.js';
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
