// Test (passes): a pass result depends only on the graph it is given, never on graphs optimized before in the process.
// Contract: through the public API (optimize, run); two graphs that differ only in an initializer's data, same names.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { floatTensor } from '../../src/ir/tensor.js';
import { optimize, run } from '../../src/index.js';

/** Tanh(Relu(Concat([Sigmoid(x), k], axis=1))) with a constant k of two elements. */
function concatGraph(k: number[]): Graph {
  const b = new GraphBuilder('concat_const');
  const x = b.input('x', 'float32', [1, 2]);
  const s = b.node('Sigmoid', [x], {}, { name: 'sig' });
  const c = b.node('Concat', [s, b.floats('k', [1, 2], k)], { axis: 1 }, { name: 'cat' });
  const r = b.node('Relu', [c], {}, { name: 'relu' });
  b.output(b.node('Tanh', [r], {}, { name: 'tanh' }));
  return b.build();
}

function outputs(g: Graph): number[] {
  const [y] = run(g, [{ name: 'x', tensor: floatTensor([1, 2], [0.25, -1]) }]);
  return Array.from(y!.tensor.data as Float32Array);
}

describe('optimize keeps no state between graphs', () => {
  it('a constant with the same name but other data is not mistaken for the one seen before', () => {
    // A: Relu is the identity on Concat's range [0, 1] and goes; B: k = -3 reaches Relu, which must stay
    for (const round of [0, 1]) {
      const a = optimize(concatGraph([0.5, 0.5])).graph;
      expect(a.nodes.map((n) => n.op), `A, round ${round}`).toEqual(['Sigmoid', 'Concat', 'Tanh']);
      expect(outputs(a)).toEqual(outputs(concatGraph([0.5, 0.5])));
      const b = optimize(concatGraph([-3, -3])).graph;
      expect(b.nodes.map((n) => n.op), `B, round ${round}`).toEqual(['Sigmoid', 'Concat', 'Relu', 'Tanh']);
      expect(outputs(b)).toEqual(outputs(concatGraph([-3, -3])));
      expect(outputs(b).slice(2)).toEqual([0, 0]);
    }
  });
});
