// Tests (passes): property tests of moves across MaxPool and data movement (activation -> op(s) -> activation).
// Contract: optimized == original on the reference interpreter; only non-decreasing activations cross a pool.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { AttrValue } from '../../src/ir/graph.js';
import { optimizeGraph, runPasses } from '../../src/passes/index.js';
import type { Step } from './helpers.js';
import { CTX, input, mismatch, out } from './helpers.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 77) });
const RUNS = Number(process.env.FC_RUNS ?? 1);

const SHAPE = [1, 3, 4, 4];
const f32 = Math.fround;

const slope = fc.oneof(fc.constantFrom(0, 1, 0.5, 2, -0.5, -2), fc.float({ min: -3, max: 3, noNaN: true }));
const act: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ op: 'Relu' }),
  slope.map((a) => ({ op: 'LeakyRelu', attrs: { alpha: a } })),
  fc.array(slope, { minLength: 3, maxLength: 3 }).map((v) => ({ op: 'PRelu', slope: { dims: [3, 1, 1], values: v } })),
  fc.tuple(fc.constantFrom(-Infinity, -1, 0, 0.5), fc.constantFrom(Infinity, 1, 6)).map(([lo, hi]) => ({ op: 'Clip', attrs: { min: lo, max: hi } })),
);

type Mover = [op: string, attrs: Record<string, AttrValue>];
const MOVERS: Mover[] = [
  ['MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }],
  ['MaxPool', { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }],
  ['Reshape', { shape: [1, 3, 16] }],
  ['Reshape', { shape: [1, 6, 8] }],
  ['Transpose', { perm: [0, 2, 3, 1] }],
  ['Flatten', { axis: 1 }],
  ['Pad', { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0 }],
  ['Pad', { pads: [0, 0, 1, 0, 0, 0, 0, 1], value: -1 }],
  ['Slice', { starts: [1], ends: [3], axes: [2], steps: [1] }],
  ['Unsqueeze', { axes: [0] }],
];
const mover = fc.constantFrom(...MOVERS.map((_, i) => i));
const values = fc.array(fc.oneof(fc.float({ min: -5, max: 5, noNaN: true }), fc.constantFrom(0, -0, 1e30, -1e30)), { minLength: 48, maxLength: 48 });

function build(a: Step, movers: number[], b: Step) {
  const g = new GraphBuilder('pair');
  let v = g.input('x', 'float32', SHAPE);
  const add = (s: Step, name: string): void => {
    const ins = [v];
    if (s.slope) ins.push(g.floats(`${name}_s`, s.slope.dims, s.slope.values));
    v = g.node(s.op, ins, s.attrs ?? {}, { name });
  };
  add(a, 'a');
  movers.forEach((k, i) => { v = g.node(MOVERS[k]![0], [v], MOVERS[k]![1], { name: `m${i}` }); });
  // a per-channel B only where the data still has the channel axis at position 1 with 3 channels
  add(b, 'b');
  g.output(v);
  return g.build();
}

describe('moves across MaxPool and data movement', () => {
  it('agree with the original; a move across a pool only ever moves a non-decreasing activation', () => {
    let moved = 0;
    fc.assert(fc.property(act, fc.array(mover, { minLength: 1, maxLength: 2 }), act, values, (a, ms, b, xs) => {
      let g;
      try {
        g = build(a, ms, b);
      } catch {
        return; // B's per-channel slope does not broadcast to the moved shape: not a graph
      }
      const { graph, report } = optimizeGraph(g, CTX);
      if (report.rules['merge-across']) moved++;
      const x = input(SHAPE, xs.map(f32));
      const bad = mismatch(out(g, x), out(graph, x), 1e-37, 1e-6);
      if (bad) throw new Error(`${bad}\n${JSON.stringify([a, ms.map((k) => MOVERS[k]![0]), b])}`);
      if (report.rules['move-across-MaxPool']) {
        // the activation that crossed (as fusion left it: it may have been retyped on its range) is non-decreasing
        const before = runPasses(g, CTX, ['remove-identity', 'fuse-activations']).graph;
        const pool = graph.nodes.findIndex((n) => n.op === 'MaxPool');
        const down = pool < graph.nodes.findIndex((n) => n.origin?.includes('b') && n.origin.includes('a'));
        const crossed = before.nodes.find((n) => n.name === (down ? 'a' : 'b'))!;
        const slopes = crossed.op === 'PRelu' ? [...(before.initializers.get(crossed.inputs[1]!)!.data as Float32Array)]
          : crossed.op === 'LeakyRelu' ? [Number(crossed.attrs.alpha ?? 0.01)] : [0];
        expect(slopes.every((k) => k >= 0), `${crossed.op} crossed the pool`).toBe(true);
      }
    }), { numRuns: 3000 * RUNS });
    expect(moved).toBeGreaterThan(300);
  });
});
