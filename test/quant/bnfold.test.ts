// Test: fixed point, BatchNorm folding. Folded graphs compute what the original did on the float reference interpreter.
// Contract: Conv -> BN folds into the conv (one node less); a lone BN becomes a depthwise 1x1 conv; shared conv outputs are left alone.
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { floatTensor } from '../../src/ir/tensor.js';
import { foldBatchNorm, mulberry32 } from '../../src/quant/index.js';

const rnd = (n: number, seed: number, lo = -1, hi = 1): number[] => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
};

function bn(b: GraphBuilder, x: string, c: number, name: string, seed: number): string {
  const p = (k: string, lo: number, hi: number, s: number) => b.floats(`${name}_${k}`, [c], rnd(c, seed + s, lo, hi));
  return b.node('BatchNormalization', [x, p('scale', 0.5, 1.5, 1), p('bias', -0.3, 0.3, 2), p('mean', -0.5, 0.5, 3), p('var', 0.1, 2, 4)], { epsilon: 1e-3 }, { name });
}

function maxDiff(g1: Graph, g2: Graph, seed: number): number {
  const x = g1.inputs[0]!;
  const inputs = new Map([[x.name, floatTensor(x.shape, rnd(x.shape.reduce((a, b) => a * b, 1), seed, -2, 2))]]);
  const a = interpret(g1, inputs);
  const b = interpret(g2, inputs);
  let m = 0;
  for (const o of g1.outputs) {
    const da = a.get(o.name)!.data as Float32Array;
    const db = b.get(o.name)!.data as Float32Array;
    for (let i = 0; i < da.length; i++) m = Math.max(m, Math.abs(da[i]! - db[i]!));
  }
  return m;
}

describe('BatchNorm folding', () => {
  it('folds Conv -> BN into the conv, matching the interpreter', () => {
    const b = new GraphBuilder('convbn');
    const x = b.input('x', 'float32', [1, 3, 6, 6]);
    const c = b.node('Conv', [x, b.floats('w', [4, 3, 3, 3], rnd(108, 1)), b.floats('cb', [4], rnd(4, 2))], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
    b.output(b.node('Relu', [bn(b, c, 4, 'bn', 10)], {}, { name: 'relu' }));
    const g = b.build();
    const r = foldBatchNorm(g);
    verifyGraph(r.graph);
    expect(r.folded).toBe(1);
    expect(r.graph.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu']);
    expect(r.graph.nodes[0]!.origin).toEqual(['conv', 'bn']);
    expect(g.nodes.map((n) => n.op)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
    expect(maxDiff(g, r.graph, 3)).toBeLessThan(1e-5);
  });

  it('folds into a conv without bias and handles grouped convs', () => {
    const b = new GraphBuilder('dwbn');
    const x = b.input('x', 'float32', [1, 4, 5, 5]);
    const c = b.node('Conv', [x, b.floats('w', [4, 1, 3, 3], rnd(36, 4))], { kernel_shape: [3, 3], group: 4 }, { name: 'dw' });
    b.output(bn(b, c, 4, 'bn', 20));
    const g = b.build();
    const r = foldBatchNorm(g);
    verifyGraph(r.graph);
    expect(r.folded).toBe(1);
    expect(maxDiff(g, r.graph, 5)).toBeLessThan(1e-5);
  });

  it('turns a lone BN (input or fanned-out conv) into a depthwise 1x1 conv', () => {
    const b = new GraphBuilder('lone');
    const x = b.input('x', 'float32', [1, 3, 4, 4]);
    const c = b.node('Conv', [x, b.floats('w', [3, 3, 1, 1], rnd(9, 6))], { kernel_shape: [1, 1] }, { name: 'conv' });
    const y = bn(b, c, 3, 'bn', 30);
    b.output(b.node('Add', [c, y], {}, { name: 'add' }), bn(b, x, 3, 'bn_in', 40));
    const g = b.build();
    const r = foldBatchNorm(g);
    verifyGraph(r.graph);
    expect([r.folded, r.converted]).toEqual([0, 2]);
    expect(r.graph.nodes.filter((n) => n.op === 'Conv').map((n) => n.attrs.group)).toEqual([undefined, 3, 3]);
    expect(maxDiff(g, r.graph, 7)).toBeLessThan(1e-5);
  });

  it('returns the same graph when there is no BatchNorm', () => {
    const b = new GraphBuilder('none');
    b.output(b.node('Relu', [b.input('x', 'float32', [1, 2])]));
    const g = b.build();
    expect(foldBatchNorm(g).graph).toBe(g);
  });
});
