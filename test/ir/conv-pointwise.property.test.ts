// Property test: the float Conv's pointwise path (1x1, stride 1, unpadded; output channels in blocks) against the general loop.
// Why: calibration ranges and the float reference come from this interpreter; the fast path must change no bit of them.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/ir/graph.js';
import { convFloat } from '../../src/ir/ops/conv.js';
import { floatTensor } from '../../src/ir/tensor.js';

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

describe('Conv 1x1 fast path', () => {
  it('equals the general loop bit for bit (groups, channel counts not a multiple of the block, batch, bias or none)', () => {
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 2 }), group: fc.integer({ min: 1, max: 3 }), cg: fc.integer({ min: 1, max: 6 }),
      mg: fc.integer({ min: 1, max: 9 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
      bias: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
    });
    fc.assert(fc.property(arb, ({ n, group, cg, mg, h, w, bias, seed }) => {
      const c = cg * group, m = mg * group;
      const x = floatTensor([n, c, h, w], values(n * c * h * w, seed));
      const wt = floatTensor([m, cg, 1, 1], values(m * cg, seed + 1));
      const b = bias ? floatTensor([m], values(m, seed + 2)) : undefined;
      const node: Node = { name: 'conv', op: 'Conv', inputs: ['x', 'w', bias ? 'b' : ''], outputs: ['y'], attrs: { group, kernel_shape: [1, 1] } };
      const fast = convFloat(node, [x, wt, b], true)[0]!;
      const slow = convFloat(node, [x, wt, b], false)[0]!;
      expect(fast.dims).toEqual(slow.dims);
      expect(Buffer.from((fast.data as Float32Array).buffer).equals(Buffer.from((slow.data as Float32Array).buffer))).toBe(true);
    }), { numRuns: 150 });
  });
});
