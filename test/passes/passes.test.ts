// Tests (passes): graph-interface edge cases (graph outputs, inputs, initializers, fan-out), purity, the registry and
// Contract: the shared working copy must give exactly what pass-by-pass verified runs give.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../src/frontend/index.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { printGraph } from '../../src/ir/print.js';
import { verifyGraph } from '../../src/ir/verify.js';
import fc from 'fast-check';
import { LayeredMap, getInOrder } from '../../src/passes/layered-map.js';
import { PASSES, optimizeGraph, runPasses } from '../../src/passes/index.js';
import type { Step } from './helpers.js';
import { CTX, chainGraph, input, mismatch, out } from './helpers.js';

const SHAPE = [1, 2, 2, 2];
const X = input(SHAPE, [-3, -1, -0.5, 0, 0.5, 1, 3, 7]);

function same(a: Graph, b: Graph): void {
  expect(mismatch(out(a, X), out(b, X), 0, 0)).toBeNull();
}

describe('graph interface', () => {
  it('an Identity chain ending in a graph output hands the name to the fused node', () => {
    const b = new GraphBuilder('g');
    const r = b.node('Relu', [b.input('x', 'float32', SHAPE)], {}, { name: 'r' });
    const i1 = b.node('Identity', [r], {}, { name: 'i1' });
    const l = b.node('LeakyRelu', [i1], { alpha: 0.5 }, { name: 'l' });
    b.output(b.node('Identity', [l], {}, { name: 'y' }));
    const g = b.build();
    const { graph } = optimizeGraph(g, CTX);
    expect(graph.outputs.map((o) => o.name)).toEqual(['y']);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Relu']);
    same(g, graph);
  });

  it('an Identity on an initializer is bypassed (consumers read the initializer)', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', SHAPE);
    b.floats('s', [2, 1, 1], [0.25, 0.5]);
    const s2 = b.node('Identity', ['s'], {}, { name: 'copy' });
    b.output(b.node('PRelu', [x, s2], {}, { name: 'p' }));
    const g = b.build();
    const { graph } = optimizeGraph(g, CTX);
    expect(graph.nodes.map((n) => `${n.op}(${n.inputs.join(',')})`)).toEqual(['PRelu(x,s)']);
    same(g, graph);
  });

  it('an Identity between two graph outputs stays (neither name may change)', () => {
    const b = new GraphBuilder('g');
    const r = b.node('Relu', [b.input('x', 'float32', SHAPE)], {}, { name: 'r' });
    b.output(r, b.node('Identity', [r], {}, { name: 'r_copy' }));
    const { graph } = optimizeGraph(b.build(), CTX);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Relu', 'Identity']);
  });

  it('a Dropout whose mask is read stays', () => {
    const b = new GraphBuilder('g');
    const [y, mask] = b.nodeMulti('Dropout', [b.input('x', 'float32', SHAPE)], {}, { name: 'd', outputs: ['y', 'mask'] });
    b.output(y!, mask!);
    const g = b.build({ infer: false });
    g.values.set('y', { name: 'y', dtype: 'float32', shape: SHAPE });
    g.values.set('mask', { name: 'mask', dtype: 'bool', shape: SHAPE });
    const { graph } = runPasses(g, { ...CTX, verify: false }, ['remove-identity']);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Dropout']);
  });

  it('a chain from a graph input straight to a graph output that composes to the identity keeps one kernel', () => {
    const g = chainGraph(SHAPE, [{ op: 'LeakyRelu', attrs: { alpha: 0.5 } }, { op: 'LeakyRelu', attrs: { alpha: 2 } }]);
    const { graph } = optimizeGraph(g, { ...CTX, target: { name: 't', activationKernels: ['Relu', 'LeakyRelu'] } });
    // removal would need the input's name to become the output's: the cheapest kernel computing x does instead
    expect(graph.nodes.map((n) => [n.op, n.attrs])).toEqual([['LeakyRelu', { alpha: 1 }]]);
    same(g, graph);
  });

  it('fan-out to two activation readers ends the chain at the shared node', () => {
    const b = new GraphBuilder('g');
    const a = b.node('LeakyRelu', [b.input('x', 'float32', SHAPE)], { alpha: 0.5 }, { name: 'a' });
    b.output(b.node('LeakyRelu', [a], { alpha: 0.5 }, { name: 'b' }), b.node('Clip', [a], { min: -1, max: 1 }, { name: 'c' }));
    const g = b.build();
    const { graph, report } = optimizeGraph(g, CTX);
    expect(graph.nodes.map((n) => n.name)).toEqual(['a', 'b', 'c']);
    expect(report.activations).toEqual({ before: 3, after: 3 });
    same(g, graph);
  });
});

describe('range-aware removal beyond the piecewise-linear family', () => {
  it.each([
    ['Elu after Relu (identity on x >= 0)', ['Relu', 'Elu'], ['Relu']],
    ['ThresholdedRelu(-1) after Relu (identity on x > -1)', ['Relu', 'ThresholdedRelu'], ['Relu']],
    ['Relu after HardSigmoid (range [0, 1] from the op itself)', ['HardSigmoid', 'Relu'], ['HardSigmoid']],
    ['Elu after Tanh stays (tanh reaches -1)', ['Tanh', 'Elu'], ['Tanh', 'Elu']],
    ['Relu after Softplus (range [0, inf))', ['Softplus', 'Relu'], ['Softplus']],
  ])('%s', (_why, ops, after) => {
    const g = chainGraph(SHAPE, ops.map((op): Step => (op === 'ThresholdedRelu' ? { op, attrs: { alpha: -1 } } : { op })));
    const { graph } = optimizeGraph(g, CTX);
    expect(graph.nodes.map((n) => n.op)).toEqual(after);
    same(g, graph);
  });
});

describe('purity and the runner', () => {
  const chains = path.resolve(fileURLToPath(new URL('../../../shared/models/chains', import.meta.url)));
  const models = fs.readdirSync(chains).filter((d) => d.startsWith('chain_'));

  it.each(models)('%s: the shared working copy gives the verified pass-by-pass result; the input is untouched', (m) => {
    const g = importOnnxFile(path.join(chains, m, 'model.onnx'));
    const before = printGraph(g);
    const verified = runPasses(g, { ...CTX, verify: true }).graph;
    const shared = runPasses(g, { ...CTX, verify: false }).graph;
    expect(printGraph(shared)).toBe(printGraph(verified));
    verifyGraph(shared, { stage: 'shared work' });
    expect(printGraph(g)).toBe(before);
  });

  it('unknown pass names are a usage error listing the known ones', () => {
    expect(() => runPasses(chainGraph(SHAPE, [{ op: 'Relu' }]), CTX, ['fuse', 'fuse-activations'])).toThrow(/unknown pass 'fuse'.*fuse-activations/);
  });

  it('every pass has a name and a one-line description (they feed --help)', () => {
    for (const p of PASSES) {
      expect(p.name).toMatch(/^[a-z-]+$/);
      expect(p.description).not.toMatch(/\n/);
    }
  });
});

describe('LayeredMap', () => {
  it('reads through, shadows, deletes and counts like a Map without touching its base', () => {
    const base = new Map([['a', 1], ['b', 2], ['c', 3]]);
    const m = LayeredMap.over(base);
    m.set('b', 20);
    m.set('d', 4);
    m.delete('a');
    m.delete('zz');
    expect(m.size).toBe(3);
    expect([...m].sort()).toEqual([['b', 20], ['c', 3], ['d', 4]]);
    expect(m.has('a')).toBe(false);
    m.set('a', 10);
    expect(m.get('a')).toBe(10);
    expect(m.size).toBe(4);
    m.delete('b');
    expect(m.size).toBe(3);
    expect(new Map(m)).toEqual(new Map([['a', 10], ['c', 3], ['d', 4]]));
    expect(base).toEqual(new Map([['a', 1], ['b', 2], ['c', 3]]));
    const top = LayeredMap.over(LayeredMap.over(m));
    top.delete('c');
    expect([...top.keys()].sort()).toEqual(['a', 'd']);
    expect(m.has('c')).toBe(true);
  });

  // getInOrder walks the table beside the keys: whatever the order, missing keys or repeats, it must equal get()
  it('getInOrder answers exactly what get() answers, in or out of the insertion order', () => {
    const mostlyInOrder = fc.array(fc.oneof(
      { arbitrary: fc.constant('next'), weight: 6 },
      { arbitrary: fc.constant('skip'), weight: 3 },
      { arbitrary: fc.integer({ min: -5, max: 300 }).map((k) => `v${k}`), weight: 1 },
    ), { maxLength: 200 });
    fc.assert(fc.property(fc.integer({ min: 0, max: 250 }), mostlyInOrder, (size, plan) => {
      const map = new Map(Array.from({ length: size }, (_, i) => [`v${i}`, { i }] as const));
      const keys: string[] = [];
      let at = 0;
      for (const step of plan) {
        if (step === 'next') keys.push(`v${at++}`);
        else if (step === 'skip') at += 3;
        else keys.push(step);
      }
      expect(getInOrder(map, keys)).toEqual(keys.map((k) => map.get(k)));
    }), { numRuns: 500 });
  });

  it('getAll sees each layer\'s own entries and deletions over the walked base', () => {
    const base = new Map(Array.from({ length: 100 }, (_, i) => [`v${i}`, i] as const));
    const mid = LayeredMap.over(base);
    mid.set('v3', 30);
    mid.delete('v5');
    mid.set('w', -1);
    const top = LayeredMap.over(mid);
    top.delete('v7');
    top.set('v5', 50);
    const keys = ['v1', 'v3', 'v5', 'v7', 'w', 'v9', 'nope', 'v2'];
    expect(top.getAll(keys)).toEqual(keys.map((k) => top.get(k)));
    expect(top.getAll(keys)).toEqual([1, 30, 50, undefined, -1, 9, undefined, 2]);
    expect(mid.getAll(keys)).toEqual([1, 30, undefined, 7, -1, 9, undefined, 2]);
  });
});
