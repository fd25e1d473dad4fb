// Tests (IR): property tests of activation arithmetic: monotone() agrees with sampled behaviour, float32 semantics
// of slopes and bounds, PRelu slope broadcasting. Fusion's exactness rests on these facts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttrValue, Node } from '../../src/ir/graph.js';
import { evaluateNode } from '../../src/ir/interpret.js';
import { opDef } from '../../src/ir/optable.js';
import { floatTensor, type Tensor } from '../../src/ir/tensor.js';

// Fixed seed: the suite must be deterministic; widen numRuns locally to search harder.
fc.configureGlobal({ seed: 20240611 });

const node = (op: string, attrs: Record<string, AttrValue> = {}, inputs = ['x']): Node => ({ name: 'n', op, inputs, outputs: ['y'], attrs });

function run(n: Node, xs: number[], slope?: Tensor): Float32Array {
  return evaluateNode(n, [floatTensor([xs.length], xs), slope])[0]!.data as Float32Array;
}

/** A dense grid plus points around every parameter: where a non-monotone activation must show a decrease. */
function probe(params: number[]): number[] {
  const pts: number[] = [];
  for (let i = -4000; i <= 4000; i++) pts.push(i / 200);
  for (const big of [1e4, 1e10, 1e30, 3e38]) pts.push(big, -big);
  for (const p of params) for (const d of [-1e-3, -1e-6, 0, 1e-6, 1e-3]) pts.push(p + d);
  return [...new Set(pts.map(Math.fround))].sort((a, b) => a - b);
}

function isSortedOutput(ys: Float32Array): boolean {
  for (let i = 1; i < ys.length; i++) if (ys[i]! < ys[i - 1]!) return false;
  return true;
}

const param = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.01, -0.01, 2.5, -2.5, 1e-30),
  fc.float({ noNaN: true, noDefaultInfinity: true, min: -8, max: 8 }),
);

const UNARY: [string, string[]][] = [
  ['Relu', []], ['LeakyRelu', ['alpha']], ['Sigmoid', []], ['Tanh', []], ['HardSigmoid', ['alpha', 'beta']],
  ['HardSwish', []], ['Elu', ['alpha']], ['Selu', ['alpha', 'gamma']], ['Softplus', []], ['ThresholdedRelu', ['alpha']],
  ['Clip', ['min', 'max']], ['Sqrt', []], ['Reciprocal', []], ['Exp', []], ['Log', []], ['Neg', []], ['Abs', []], ['Erf', []],
];

describe('monotone() agrees with sampled behaviour', () => {
  for (const [op, names] of UNARY) {
    it(op, () => {
      fc.assert(fc.property(fc.array(param, { minLength: names.length, maxLength: names.length }), (ps) => {
        const attrs: Record<string, AttrValue> = {};
        names.forEach((k, i) => { attrs[k] = ps[i]!; });
        const n = node(op, attrs);
        const claims = opDef(op)!.monotone(n, []);
        const observed = isSortedOutput(run(n, probe(ps)));
        // Soundness: a claim of monotone is never contradicted. Completeness: a denial is witnessed on the probe grid,
        // except for degenerate parameters (e.g. alpha = -1e-45, where float32 rounding hides the decrease).
        if (claims) expect(observed, `${op} ${JSON.stringify(attrs)}`).toBe(true);
        else if (ps.every((p) => p === 0 || Math.abs(p) >= 1e-3)) expect(observed, `${op} ${JSON.stringify(attrs)}`).toBe(false);
      }), { numRuns: 60 });
    });
  }

  it('PRelu: monotone iff every slope is >= 0', () => {
    fc.assert(fc.property(fc.array(param, { minLength: 1, maxLength: 4 }), (slopes) => {
      const s = floatTensor([slopes.length, 1], slopes);
      const n = node('PRelu', {}, ['x', 's']);
      const claims = opDef('PRelu')!.monotone(n, [undefined, s]);
      const xs = probe([]);
      const x = floatTensor([slopes.length, xs.length], slopes.flatMap(() => xs));
      const y = evaluateNode(n, [x, s])[0]!.data as Float32Array;
      let observed = true;
      for (let c = 0; c < slopes.length; c++) observed &&= isSortedOutput(y.subarray(c * xs.length, (c + 1) * xs.length));
      expect(observed).toBe(claims);
      expect(claims).toBe(slopes.every((k) => k >= 0));
    }), { numRuns: 100 });
  });

  it('PRelu with unknown slopes is never claimed monotone', () => {
    expect(opDef('PRelu')!.monotone(node('PRelu', {}, ['x', 's']), [])).toBe(false);
  });
});

const f32 = fc.float({ noNaN: true });

describe('float32 semantics', () => {
  it('LeakyRelu is x or the float32-rounded product alpha*x', () => {
    fc.assert(fc.property(fc.array(f32, { minLength: 1, maxLength: 20 }), f32, (xs, alpha) => {
      const ys = run(node('LeakyRelu', { alpha }), xs);
      xs.forEach((x, i) => {
        const want = x < 0 ? Math.fround(alpha * x) : x;
        expect(Object.is(ys[i], want) || (ys[i] === want)).toBe(true);
      });
    }));
  });

  it('Clip bounds its output, and min > max gives max everywhere (ONNX Runtime semantics)', () => {
    fc.assert(fc.property(fc.array(f32, { minLength: 1, maxLength: 20 }), f32, f32, (xs, lo, hi) => {
      const ys = run(node('Clip', { min: lo, max: hi }), xs);
      for (const y of ys) {
        if (lo <= hi) expect(y >= lo && y <= hi).toBe(true);
        else expect(y).toBe(hi);
      }
    }));
  });

  it('Relu is max(x, 0) and keeps subnormals', () => {
    fc.assert(fc.property(fc.array(f32, { minLength: 1, maxLength: 20 }), (xs) => {
      const ys = run(node('Relu'), xs);
      xs.forEach((x, i) => expect(ys[i]).toBe(x < 0 ? 0 : x));
    }));
    expect(run(node('Relu'), [1e-45, -1e-45])).toEqual(Float32Array.of(1e-45, 0));
  });

  it('Sigmoid stays in [0, 1], Tanh in [-1, 1], HardSigmoid in [0, 1]', () => {
    fc.assert(fc.property(fc.array(f32, { minLength: 1, maxLength: 20 }), (xs) => {
      for (const y of run(node('Sigmoid'), xs)) expect(y >= 0 && y <= 1).toBe(true);
      for (const y of run(node('Tanh'), xs)) expect(y >= -1 && y <= 1).toBe(true);
      for (const y of run(node('HardSigmoid'), xs)) expect(y >= 0 && y <= 1).toBe(true);
    }));
  });
});

describe('PRelu slope broadcasting (ONNX-7 rules against NCHW)', () => {
  const C = 3, H = 2, W = 2;
  const xs = Array.from({ length: C * H * W }, (_, i) => -(i + 1));
  const x = floatTensor([1, C, H, W], xs);
  const slopes = [0.5, 2, -1];
  const perChannel = xs.map((v, i) => Math.fround(slopes[Math.floor(i / (H * W))]! * v));
  const cases: [string, number[], number[], number[]][] = [
    ['[C,1,1] is per channel', [C, 1, 1], slopes, perChannel],
    ['[1,C,1,1] is per channel', [1, C, 1, 1], slopes, perChannel],
    ['[1] is shared', [1], [0.5], xs.map((v) => v * 0.5)],
    ['scalar [] is shared', [], [0.5], xs.map((v) => v * 0.5)],
    ['[W] is per column (not per channel)', [W], [0.5, 2], xs.map((v, i) => v * [0.5, 2][i % W]!)],
  ];
  for (const [why, dims, vals, want] of cases) {
    it(why, () => {
      const y = evaluateNode(node('PRelu', {}, ['x', 's']), [x, floatTensor(dims, vals)])[0]!;
      expect(Array.from(y.data as Float32Array)).toEqual(want);
    });
  }
});
