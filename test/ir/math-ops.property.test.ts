// Tests (IR): the float references of Div, Max, Min, Pow, Sqrt, Reciprocal, Exp, Log, Neg, Abs and Erf against ONNX
// Runtime: one-node models on random shapes (broadcast operands, constant operands), values and opsets 7-21.
// DSPC_LONG=1 widens every property to a long sweep.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importOnnxBytes } from '../../src/frontend/index.js';
import { MAX_OPSET } from '../../src/frontend/onnx/model.js';
import { evaluateNode } from '../../src/ir/interpret.js';
import { erf } from '../../src/ir/ops/math.js';
import { opDef } from '../../src/ir/optable.js';
import { floatTensor, numel, type Tensor } from '../../src/ir/tensor.js';
import { dspcErrorOf } from '../dspc-error.js';
import { buildModel, f32, type ModelSpec } from '../frontend/helpers.js';
import { expectClose, expectMatchesOrt } from '../frontend/ort.js';

fc.configureGlobal({ seed: 20261207 });
const RUNS = process.env['DSPC_LONG'] === '1' ? 300 : 12;
// ORT evaluates exp/log/erf/pow with vectorised approximations accurate to a few float32 ulps.
const RTOL = 4e-6;
const ATOL = 1e-7;

/** Deterministic values in [lo, hi), a few exact specials mixed in (0, +-1, the ends). */
function values(n: number, seed: number, lo: number, hi: number): number[] {
  let s = seed >>> 0;
  const specials = [0, 1, -1, lo, hi];
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (s % 11 === 0) return specials[(s >>> 8) % specials.length]!;
    return Math.fround(lo + (s / 2 ** 32) * (hi - lo));
  });
}

/** An output shape and, per operand, a shape broadcasting to it (leading axes dropped, some axes 1). */
const broadcastCase = (operands: number) => fc.record({
  out: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
  drops: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: operands, maxLength: operands }),
  ones: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: operands, maxLength: operands }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
}).map(({ out, drops, ones, seed }) => ({
  out,
  seed,
  shapes: drops.map((d, k) => out.slice(Math.min(d, out.length - 1)).map((v, i) => (ones[k]![i] ? 1 : v))),
}));

interface Operand {
  name: string;
  dims: number[];
  data: number[];
  constant: boolean;
}

function model(op: string, opset: number, ops: Operand[], attrs: ModelSpec['nodes'][number]['attrs'] = {}): { bytes: Uint8Array; feeds: Map<string, Tensor> } {
  const spec: ModelSpec = {
    opset,
    inputs: ops.filter((o) => !o.constant).map((o) => ({ name: o.name, dims: o.dims })),
    outputs: [{ name: 'y' }],
    initializers: ops.filter((o) => o.constant).map((o) => f32(o.name, o.dims, o.data)),
    nodes: [{ op, name: 'n', inputs: ops.map((o) => o.name), outputs: ['y'], attrs }],
  };
  const feeds = new Map(ops.filter((o) => !o.constant).map((o) => [o.name, floatTensor(o.dims, o.data)]));
  return { bytes: buildModel(spec), feeds };
}

// Opsets 7 to the newest the importer reads (21 is the goal).
const opsetFrom = (since: number) => fc.integer({ min: Math.max(7, since), max: MAX_OPSET });

const UNARY: { op: string; since: number; lo: number; hi: number }[] = [
  { op: 'Sqrt', since: 6, lo: -1, hi: 100 },
  { op: 'Reciprocal', since: 6, lo: -8, hi: 8 },
  { op: 'Exp', since: 6, lo: -90, hi: 89 },
  { op: 'Log', since: 6, lo: -0.5, hi: 1e4 },
  { op: 'Neg', since: 6, lo: -1e3, hi: 1e3 },
  { op: 'Abs', since: 6, lo: -1e3, hi: 1e3 },
  { op: 'Erf', since: 9, lo: -5, hi: 5 },
];

describe('unary math ops equal ONNX Runtime', () => {
  for (const u of UNARY) {
    it(u.op, async () => {
      await fc.assert(fc.asyncProperty(broadcastCase(1), opsetFrom(u.since), async (c, opset) => {
        const { bytes, feeds } = model(u.op, opset, [{ name: 'x', dims: c.out, data: values(numel(c.out), c.seed, u.lo, u.hi), constant: false }]);
        await expectMatchesOrt(bytes, feeds, RTOL, ATOL);
      }), { numRuns: RUNS });
    });
  }
});

describe('Pow with a constant exponent equals ONNX Runtime', () => {
  const exponent = fc.oneof(fc.constantFrom(2, 3, 0.5, -1, 0, 1, -2, 1.5), fc.float({ min: -3, max: 3, noNaN: true }));
  it('scalar exponents on positive and negative bases (NaN where ONNX Runtime gives NaN)', async () => {
    await fc.assert(fc.asyncProperty(broadcastCase(1), opsetFrom(7), exponent, async (c, opset, e) => {
      const { bytes, feeds } = model('Pow', opset, [
        { name: 'x', dims: c.out, data: values(numel(c.out), c.seed, -4, 4), constant: false },
        { name: 'e', dims: [], data: [e], constant: true },
      ]);
      await expectMatchesOrt(bytes, feeds, RTOL, ATOL);
    }), { numRuns: RUNS * 2 });
  });

  it('a broadcast exponent tensor', async () => {
    await fc.assert(fc.asyncProperty(broadcastCase(2), opsetFrom(7), async (c, opset) => {
      const { bytes, feeds } = model('Pow', opset, [
        { name: 'x', dims: c.shapes[0]!, data: values(numel(c.shapes[0]!), c.seed, 0.1, 4), constant: false },
        { name: 'e', dims: c.shapes[1]!, data: values(numel(c.shapes[1]!), c.seed + 1, -2, 3), constant: true },
      ]);
      await expectMatchesOrt(bytes, feeds, RTOL, ATOL);
    }), { numRuns: RUNS });
  });

  it('a run-time exponent is refused, naming the node', () => {
    const { bytes } = model('Pow', 13, [
      { name: 'x', dims: [2], data: [1, 2], constant: false }, { name: 'e', dims: [2], data: [1, 2], constant: false },
    ]);
    const e = dspcErrorOf(() => importOnnxBytes(bytes, 'pow.onnx'));
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.message).toMatch(/Pow exponent 'e' is computed at run time/);
    expect(e.node).toBe('n');
  });
});

describe('Div, Max and Min with broadcasting equal ONNX Runtime', () => {
  it('Div of two run-time tensors, or by a constant operand on either side', async () => {
    await fc.assert(fc.asyncProperty(broadcastCase(2), opsetFrom(7), fc.constantFrom(-1, 0, 1), async (c, opset, constSide) => {
      const { bytes, feeds } = model('Div', opset, [
        { name: 'a', dims: c.shapes[0]!, data: values(numel(c.shapes[0]!), c.seed, -10, 10), constant: constSide === 0 },
        { name: 'b', dims: c.shapes[1]!, data: values(numel(c.shapes[1]!), c.seed + 1, -3, 3), constant: constSide === 1 },
      ]);
      await expectMatchesOrt(bytes, feeds, 0, 0);
    }), { numRuns: RUNS });
  });

  for (const op of ['Max', 'Min']) {
    it(`${op}: 1 to 4 operands, broadcast (opset >= 8) or same-shape (opset 7), some constant`, async () => {
      const arity = fc.integer({ min: 1, max: 4 });
      await fc.assert(fc.asyncProperty(arity.chain((k) => fc.tuple(broadcastCase(k), fc.array(fc.boolean(), { minLength: k, maxLength: k }))), opsetFrom(7),
        async ([c, consts], opset) => {
          const shapes = opset < 8 ? c.shapes.map(() => c.out) : c.shapes;
          const ops = shapes.map((dims, k) => ({
            name: `x${k}`, dims, data: values(numel(dims), c.seed + k, -5, 5), constant: k > 0 && consts[k]!,
          }));
          const { bytes, feeds } = model(op, opset, ops);
          await expectMatchesOrt(bytes, feeds, 0, 0);
        }), { numRuns: RUNS * 2 });
    });
  }

  it('Max and Min propagate NaN from either operand as ONNX Runtime does', async () => {
    for (const op of ['Max', 'Min']) {
      const { bytes, feeds } = model(op, 13, [
        { name: 'a', dims: [4], data: [NaN, 1, NaN, -2], constant: false },
        { name: 'b', dims: [4], data: [1, NaN, NaN, 3], constant: false },
      ]);
      await expectMatchesOrt(bytes, feeds, 0, 0);
    }
  });
});

describe('Pow monotone() is sound', () => {
  it('a claim of monotone is never contradicted on a dense grid', () => {
    const xs = Array.from({ length: 4001 }, (_, i) => Math.fround((i - 2000) / 100));
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -4, max: 5 }), fc.float({ min: -4, max: 4, noNaN: true })), (e) => {
      const n = { name: 'n', op: 'Pow', inputs: ['x', 'e'], outputs: ['y'], attrs: {} };
      const et = floatTensor([], [e]);
      if (!opDef('Pow')!.monotone(n, [undefined, et])) return;
      const ys = evaluateNode(n, [floatTensor([xs.length], xs), et])[0]!.data as Float32Array;
      for (let i = 1; i < ys.length; i++) expect(ys[i]! >= ys[i - 1]!, `x^${e} at ${xs[i]}`).toBe(true);
    }), { numRuns: RUNS * 4 });
  });
});

describe('erf', () => {
  it('is odd, bounded by 1, and matches known values to 1e-15', () => {
    const known: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3.5, 0.9999992569016276]];
    for (const [x, want] of known) {
      expect(Math.abs(erf(x) - want)).toBeLessThan(1e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
    expectClose([erf(Infinity), erf(-Infinity), erf(0), erf(NaN)], [1, -1, 0, NaN], 0, 0, 'erf specials');
  });
});
