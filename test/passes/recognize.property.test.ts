// Tests (passes): activations written as elementwise ops, recognised and then fused, against the reference interpreter.
// Contract: every pattern on random constants and inputs: the optimized graph equals the original (rel 1e-6 + abs 1e-37).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { optimizeGraph } from '../../src/passes/index.js';
import { CTX, input, mismatch, opTypes, out } from './helpers.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 1313) });
const RUNS = Number(process.env.FC_RUNS ?? 1);
const SHAPE = [1, 3, 2, 2];
const N = 12;
const f32 = Math.fround;

const value = fc.oneof(fc.constantFrom(0, -0, 3, -3, 6, -6, 1e30, -1e30, 1e-40), fc.float({ min: -20, max: 20, noNaN: true }));
const values = fc.array(value, { minLength: N, maxLength: N });
/** A constant operand: one value, or one per channel ([C,1,1] against NCHW). */
const constOf = (v: fc.Arbitrary<number>): fc.Arbitrary<{ dims: number[]; values: number[] }> => fc.oneof(
  v.map((x) => ({ dims: [1], values: [x] })),
  v.map((x) => ({ dims: [], values: [x] })),
  fc.array(v, { minLength: 3, maxLength: 3 }).map((xs) => ({ dims: [3, 1, 1], values: xs })),
);

type Build = (b: GraphBuilder, x: string) => string;

function graph(build: Build): Graph {
  const b = new GraphBuilder('pattern');
  b.output(build(b, b.input('x', 'float32', SHAPE)));
  return b.build();
}

/** Optimizes, checks against the original on xs, returns the optimized graph and report. */
function check(g: Graph, xs: number[]): ReturnType<typeof optimizeGraph> {
  const r = optimizeGraph(g, CTX);
  const x = input(SHAPE, xs);
  const bad = mismatch(out(g, x), out(r.graph, x), 1e-37, 1e-6);
  if (bad) throw new Error(bad);
  return r;
}

const maxMin = fc.constantFrom('Max', 'Min');

describe('recognize-activations', () => {
  it('Max(x, c) / Min(x, c) are one-sided clamps (Max(x, 0) a Relu); either operand order', () => {
    fc.assert(fc.property(maxMin, constOf(fc.float({ min: -8, max: 8, noNaN: true })), fc.boolean(), values, (op, c, swap, xs) => {
      const g = graph((b, x) => {
        const k = b.floats('c', c.dims, c.values);
        return b.node(op, swap ? [k, x] : [x, k], {}, { name: 'm' });
      });
      const { graph: o, report } = check(g, xs);
      const same = c.values.every((v) => v === c.values[0]);
      expect(report.patterns.length).toBe(same ? 1 : 0);
      if (same) expect([...opTypes(o)]).toEqual([op === 'Max' && c.values[0] === 0 ? 'Relu' : 'Clip']);
    }), { numRuns: 300 * RUNS });
  });

  it('Min(Max(x, a), b) is one Clip (bounds composed, a > b included)', () => {
    fc.assert(fc.property(fc.float({ min: -8, max: 8, noNaN: true }), fc.float({ min: -8, max: 8, noNaN: true }), values, (a, c, xs) => {
      const g = graph((b, x) => b.node('Min', [b.node('Max', [x, b.floats('a', [1], [a])], {}, { name: 'mx' }), b.floats('b', [1], [c])], {}, { name: 'mn' }));
      const { graph: o, report } = check(g, xs);
      expect(report.patterns.map((p) => p.pattern)).toEqual([a === 0 ? 'Max(x, 0)' : 'Max(x, c)', 'Min(x, c)']);
      expect(o.nodes.length).toBe(1);
    }), { numRuns: 300 * RUNS });
  });

  it('Max(x, a*x) with a <= 1 and Min(x, a*x) with a >= 1 are LeakyRelu / PRelu; the other sides (tensorflow#24566) stay', () => {
    const slope = fc.oneof(fc.float({ min: -4, max: 4, noNaN: true }), fc.constantFrom(0, 1, 0.2, 2));
    fc.assert(fc.property(maxMin, constOf(slope), fc.boolean(), fc.boolean(), values, (op, a, swapMul, swapMax, xs) => {
      const g = graph((b, x) => {
        const k = b.floats('a', a.dims, a.values);
        const m = b.node('Mul', swapMul ? [k, x] : [x, k], {}, { name: 'mul' });
        return b.node(op, swapMax ? [m, x] : [x, m], {}, { name: 'root' });
      });
      const { graph: o, report } = check(g, xs);
      const exact = a.values.every((v) => (op === 'Max' ? f32(v) <= 1 : f32(v) >= 1));
      expect(report.patterns.length).toBe(exact ? 1 : 0);
      if (exact) expect(opTypes(o).has('Mul')).toBe(false);
      else expect(opTypes(o).has(op)).toBe(true);
    }), { numRuns: 400 * RUNS });
  });

  it('x*Clip(x+3, 0, 6)/6 in its written forms, and x*HardSigmoid(x), are one HardSwish', () => {
    const clip6 = (b: GraphBuilder, x: string, form: number): string => {
      const add = b.node('Add', form % 2 ? [b.floats('three', [1], [3]), x] : [x, b.floats('three', [1], [3])], {}, { name: 'add' });
      if (form < 2) return b.node('Clip', [add], { min: 0, max: 6 }, { name: 'clip' });
      // Relu6 written as Max then Min, as exporters from TensorFlow do
      return b.node('Min', [b.node('Max', [add, b.floats('zero', [1], [0])], {}, { name: 'max0' }), b.floats('six', [1], [6])], {}, { name: 'min6' });
    };
    const forms: Record<string, Build> = {
      'div-after': (b, x) => b.node('Div', [b.node('Mul', [x, clip6(b, x, 0)], {}, { name: 'mul' }), b.floats('k6', [1], [6])], {}, { name: 'root' }),
      'mul-sixth-after': (b, x) => b.node('Mul', [b.node('Mul', [clip6(b, x, 1), x], {}, { name: 'mul' }), b.floats('k', [1], [1 / 6])], {}, { name: 'root' }),
      'div-inside': (b, x) => b.node('Mul', [x, b.node('Div', [clip6(b, x, 2), b.floats('k6', [1], [6])], {}, { name: 'div' })], {}, { name: 'root' }),
      'relu6-minmax': (b, x) => b.node('Div', [b.node('Mul', [x, clip6(b, x, 3)], {}, { name: 'mul' }), b.floats('k6', [1], [6])], {}, { name: 'root' }),
      hardsigmoid: (b, x) => b.node('Mul', [x, b.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 }, { name: 'hs' })], {}, { name: 'root' }),
    };
    fc.assert(fc.property(fc.constantFrom(...Object.keys(forms)), values, (form, xs) => {
      const { graph: o, report } = check(graph(forms[form]!), xs);
      expect([...opTypes(o)], form).toEqual(['HardSwish']);
      expect(report.patterns.at(-1)!.result).toBe('HardSwish');
      expect(o.nodes[0]!.origin!.length).toBe({ hardsigmoid: 2, 'relu6-minmax': 5, 'div-inside': 5 }[form] ?? 4);
    }), { numRuns: 200 * RUNS });
  });

  it('not recognised: a wrong constant, an intermediate read elsewhere, a target without the kernel', () => {
    const wrong = graph((b, x) => b.node('Div', [b.node('Mul', [x, b.node('Clip', [b.node('Add', [x, b.floats('three', [1], [3])], {}, { name: 'add' })], { min: 0, max: 6 }, { name: 'clip' })], {}, { name: 'mul' }), b.floats('k', [1], [5])], {}, { name: 'root' }));
    expect(optimizeGraph(wrong, CTX).report.patterns).toEqual([]);
    const b = new GraphBuilder('shared');
    const x = b.input('x', 'float32', SHAPE);
    const m = b.node('Mul', [x, b.floats('a', [1], [0.2])], {}, { name: 'mul' });
    b.output(b.node('Max', [x, m], {}, { name: 'root' }), m);
    expect(optimizeGraph(b.build(), CTX).report.patterns).toEqual([]);
    const noHs = { ...CTX, target: { name: 't', activationKernels: ['Relu', 'Clip'] } };
    const hs = graph((bb, xx) => bb.node('Mul', [xx, bb.node('HardSigmoid', [xx], { alpha: 1 / 6, beta: 0.5 }, { name: 'hs' })], {}, { name: 'root' }));
    expect(optimizeGraph(hs, noHs).report.patterns).toEqual([]);
  });

  it('a recognised activation joins a chain: LeakyRelu(0.1) then Max(x, 0.5*x) is one LeakyRelu', () => {
    const g = graph((b, x) => {
      const l = b.node('LeakyRelu', [x], { alpha: 0.1 }, { name: 'lr' });
      return b.node('Max', [l, b.node('Mul', [l, b.floats('a', [1], [0.5])], {}, { name: 'mul' })], {}, { name: 'root' });
    });
    const { graph: o, report } = check(g, [-4, -1, 0, 1, 4, -0.5, 2, -2, 3, -3, 0.25, -0.25]);
    expect(o.nodes.map((n) => [n.op, n.attrs['alpha']])).toEqual([['LeakyRelu', f32(f32(0.1) * 0.5)]]);
    expect(report.patterns).toEqual([{ nodes: ['mul', 'root'], pattern: 'Max(x, a*x)', result: 'LeakyRelu' }]);
    expect(report.chains).toEqual([{ nodes: ['lr', 'mul', 'root'], result: 'LeakyRelu' }]);
  });
});
