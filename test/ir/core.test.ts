// Tests (IR): builder, interpreter (fast conv/pool loops against naive definitions), int64 folding ops, graph stats.
// Contract: random cases use a fixed fast-check seed so the suite is deterministic.

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../src/frontend/onnx/import.js';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DspcError } from '../../src/ir/errors.js';
import type { Node } from '../../src/ir/graph.js';
import { evaluateNode, interpret } from '../../src/ir/interpret.js';
import { graphStats } from '../../src/ir/stats.js';
import { floatTensor, makeTensor, numel, type Tensor } from '../../src/ir/tensor.js';
import { verifyGraph } from '../../src/ir/verify.js';
import { MODELS } from './models.js';

fc.configureGlobal({ seed: 7 });

const i64 = (dims: number[], vals: number[]): Tensor => makeTensor('int64', dims, BigInt64Array.from(vals.map(BigInt)));
const nd = (op: string, attrs: Node['attrs'], n = 1): Node => ({ name: 'n', op, inputs: [], outputs: Array.from({ length: n }, (_, i) => `y${i}`), attrs });

describe('GraphBuilder', () => {
  it('names nodes, types outputs and records origin', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 8, 8]);
    const y = b.node('Relu', [x]);
    const [p, q] = b.nodeMulti('Split', [y], { axis: 1, split: [1, 3] }, { outputs: 2, origin: ['a', 'b'] });
    b.output(p!, q!);
    const g = b.build();
    expect(g.nodes.map((n) => n.name)).toEqual(['Relu_0', 'Split_1']);
    expect([p, q]).toEqual(['Split_1_0', 'Split_1_1']);
    expect(g.nodes[1]!.origin).toEqual(['a', 'b']);
    expect(g.outputs.map((o) => o.shape)).toEqual([[1, 1, 8, 8], [1, 3, 8, 8]]);
    verifyGraph(g);
  });

  it('builds long generated chains (the fusion bench uses it)', () => {
    const b = new GraphBuilder('chain');
    let v = b.input('x', 'float32', [1, 8, 4, 4]);
    for (let i = 0; i < 100000; i++) v = b.node(i % 2 ? 'Relu' : 'LeakyRelu', [v], i % 2 ? {} : { alpha: 0.5 });
    b.output(v);
    const g = b.build();
    expect(g.nodes.length).toBe(100000);
    expect(g.values.size).toBe(100001);
  });
});

/** Naive NCHW convolution straight from the definition, for checking the optimised loops. */
function naiveConv(x: Tensor, w: Tensor, b: Tensor | undefined, s: number[], p: number[], d: number[], group: number): number[] {
  const [n, c, h, wd] = x.dims as number[];
  const [m, cg, kh, kw] = w.dims as number[];
  const oh = Math.floor((h! + p[0]! + p[2]! - d[0]! * (kh! - 1) - 1) / s[0]!) + 1;
  const ow = Math.floor((wd! + p[1]! + p[3]! - d[1]! * (kw! - 1) - 1) / s[1]!) + 1;
  const out: number[] = [];
  const X = x.data as Float32Array, W = w.data as Float32Array;
  for (let ni = 0; ni < n!; ni++) for (let o = 0; o < m!; o++) for (let y = 0; y < oh; y++) for (let z = 0; z < ow; z++) {
    let acc = b ? (b.data as Float32Array)[o]! : 0;
    const g = Math.floor(o / (m! / group));
    for (let ci = 0; ci < cg!; ci++) for (let ky = 0; ky < kh!; ky++) for (let kx = 0; kx < kw!; kx++) {
      const iy = y * s[0]! - p[0]! + ky * d[0]!, ix = z * s[1]! - p[1]! + kx * d[1]!;
      if (iy < 0 || iy >= h! || ix < 0 || ix >= wd!) continue;
      acc += W[((o * cg! + ci) * kh! + ky) * kw! + kx]! * X[((ni * c! + g * cg! + ci) * h! + iy) * wd! + ix]!;
    }
    out.push(Math.fround(acc));
  }
  return out;
}

const rand = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 2);

describe('interpreter kernels match naive definitions', () => {
  it('Conv: groups, strides, pads, dilations', () => {
    const geo = fc.record({
      group: fc.constantFrom(1, 2), cg: fc.integer({ min: 1, max: 3 }), mg: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 3, max: 9 }), w: fc.integer({ min: 3, max: 9 }), k: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }),
      p: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), bias: fc.boolean(), seed: fc.integer(),
    }).filter((q) => q.h + q.p[0]! + q.p[2]! >= q.d * (q.k - 1) + 1 && q.w + q.p[1]! + q.p[3]! >= q.d * (q.k - 1) + 1);
    fc.assert(fc.property(geo, (q) => {
      const c = q.group * q.cg, m = q.group * q.mg;
      const x = floatTensor([1, c, q.h, q.w], rand(c * q.h * q.w, q.seed));
      const w = floatTensor([m, q.cg, q.k, q.k], rand(m * q.cg * q.k * q.k, q.seed + 1));
      const b = q.bias ? floatTensor([m], rand(m, q.seed + 2)) : undefined;
      const attrs = { kernel_shape: [q.k, q.k], strides: [q.s, q.s], pads: q.p, dilations: [q.d, q.d], group: q.group };
      const got = evaluateNode(nd('Conv', attrs), [x, w, b])[0]!;
      const want = naiveConv(x, w, b, [q.s, q.s], q.p, [q.d, q.d], q.group);
      // float64 accumulation in a different order than the naive loop: equal up to float32 rounding of the sum
      const g = got.data as Float32Array;
      expect(g.length).toBe(want.length);
      want.forEach((v, i) => expect(Math.abs(g[i]! - v)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(v))));
    }), { numRuns: 80 });
  });

  it('MaxPool and AveragePool agree with brute force', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 7 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 1 }), fc.integer(), (h, k, s, p, seed) => {
      fc.pre(h + 2 * p >= k && p < k);
      const x = floatTensor([1, 1, h, h], rand(h * h, seed));
      const attrs = { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p] };
      const mx = evaluateNode(nd('MaxPool', attrs), [x])[0]!;
      const av = evaluateNode(nd('AveragePool', attrs), [x])[0]!;
      const o = Math.floor((h + 2 * p - k) / s) + 1;
      expect(mx.dims).toEqual([1, 1, o, o]);
      const X = x.data as Float32Array;
      for (let y = 0; y < o; y++) for (let z = 0; z < o; z++) {
        let m = -Infinity, sum = 0, cnt = 0;
        for (let a = 0; a < k; a++) for (let bb = 0; bb < k; bb++) {
          const iy = y * s - p + a, ix = z * s - p + bb;
          if (iy < 0 || ix < 0 || iy >= h || ix >= h) continue;
          m = Math.max(m, X[iy * h + ix]!); sum += X[iy * h + ix]!; cnt++;
        }
        expect((mx.data as Float32Array)[y * o + z]).toBe(m);
        expect((av.data as Float32Array)[y * o + z]).toBe(Math.fround(sum / cnt));
      }
    }), { numRuns: 80 });
  });

  it('MaxPool on uint8 and Clip on int8 keep their dtype', () => {
    const u = makeTensor('uint8', [1, 1, 2, 2], Uint8Array.of(1, 200, 3, 4));
    expect(evaluateNode(nd('MaxPool', { kernel_shape: [2, 2] }), [u])[0]).toEqual(makeTensor('uint8', [1, 1, 1, 1], Uint8Array.of(200)));
    const s = makeTensor('int8', [3], Int8Array.of(-128, 0, 127));
    expect(evaluateNode(nd('Clip', { min: -5, max: 5 }), [s])[0]).toEqual(makeTensor('int8', [3], Int8Array.of(-5, 0, 5)));
  });

  it('Transpose, Slice, Pad, Concat and Split move the right elements', () => {
    const x = floatTensor([2, 3], [0, 1, 2, 3, 4, 5]);
    expect(Array.from(evaluateNode(nd('Transpose', { perm: [1, 0] }), [x])[0]!.data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(evaluateNode(nd('Slice', { starts: [2], ends: [-1], axes: [1], steps: [-2] }), [x])[0]!.data)).toEqual([2, 0, 5, 3]);
    expect(Array.from(evaluateNode(nd('Pad', { pads: [0, 1, 0, 1], value: 9 }), [x])[0]!.data)).toEqual([9, 0, 1, 2, 9, 9, 3, 4, 5, 9]);
    expect(Array.from(evaluateNode(nd('Pad', { pads: [0, 2, 0, 0], mode: 'reflect' }), [x])[0]!.data)).toEqual([2, 1, 0, 1, 2, 5, 4, 3, 4, 5]);
    expect(Array.from(evaluateNode(nd('Concat', { axis: 1 }), [x, x])[0]!.data)).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    const parts = evaluateNode(nd('Split', { axis: 1, split: [1, 2] }, 2), [x]);
    expect(parts.map((t) => Array.from(t.data))).toEqual([[0, 3], [1, 2, 4, 5]]);
  });
});

describe('int64 shape arithmetic for import-time folding', () => {
  it('folds the shufflenet channel-shuffle shape: Shape, Gather, Div, Unsqueeze, Concat, Cast', () => {
    const x = floatTensor([1, 116, 28, 28]);
    const shape = evaluateNode(nd('Shape', {}), [x])[0]!;
    expect(shape).toEqual(i64([4], [1, 116, 28, 28]));
    const c = evaluateNode(nd('Gather', { axis: 0 }), [shape, i64([], [1])])[0]!;
    expect(c.dims).toEqual([]);
    const half = evaluateNode(nd('Div', {}), [c, i64([], [2])])[0]!;
    expect(half).toEqual(i64([], [58]));
    const u = evaluateNode(nd('Unsqueeze', { axes: [0] }), [half])[0]!;
    const cat = evaluateNode(nd('Concat', { axis: 0 }), [i64([1], [1]), i64([1], [2]), u, i64([1], [-1])])[0]!;
    expect(cat).toEqual(i64([4], [1, 2, 58, -1]));
    expect(evaluateNode(nd('Div', {}), [i64([2], [-7, 7]), i64([1], [2])])[0]).toEqual(i64([2], [-3, 3]));
    expect(evaluateNode(nd('Cast', { to: 1 }), [cat])[0]).toEqual(floatTensor([4], [1, 2, 58, -1]));
    expect(evaluateNode(nd('Cast', { to: 7 }), [floatTensor([2], [2.7, -2.7])])[0]).toEqual(i64([2], [2, -2]));
    expect(evaluateNode(nd('Gather', { axis: 0 }), [shape, i64([2], [-1, 0])])[0]).toEqual(i64([2], [28, 1]));
  });

  it('errors name the node', () => {
    expect(() => evaluateNode({ ...nd('Gather', {}), name: 'g7' }, [i64([2], [1, 2]), i64([], [5])])).toThrow(/node 'g7': Gather: index 5 is out of range/);
  });
});

describe('interpret', () => {
  it('checks input dtype and shape', () => {
    const b = new GraphBuilder('g');
    b.output(b.node('Relu', [b.input('x', 'float32', [2])]));
    const g = b.build();
    expect(() => interpret(g, new Map())).toThrow(DspcError);
    expect(() => interpret(g, new Map([['x', floatTensor([3])]]))).toThrow(/input 'x' is float32\[3\], the graph expects float32\[2\]/);
    expect(Array.from(interpret(g, new Map([['x', floatTensor([2], [-1, 2])]])).get('Relu_0')!.data)).toEqual([0, 2]);
  });

  it('keeps a value that is both consumed and a graph output', () => {
    const b = new GraphBuilder('g');
    const r = b.node('Relu', [b.input('x', 'float32', [2])]);
    const s = b.node('Sigmoid', [r]);
    b.output(r, s);
    const out = interpret(b.build(), new Map([['x', floatTensor([2], [-1, 0])]]));
    expect(Array.from(out.get(r)!.data)).toEqual([0, 0]);
    expect(Array.from(out.get(s)!.data)).toEqual([0.5, 0.5]);
  });
});

describe('graphStats', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, 'zoo', 'manifest.json'), 'utf8')) as { cases: { name: string; params: number }[] };
  // MACs of the torchvision models as published (rounded); ours must land within 3 %.
  const MACS: Record<string, number> = { mobilenet_v2: 300e6, resnet18: 1.814e9, squeezenet1_1: 349e6, shufflenet_v2_x0_5: 41e6 };
  for (const c of manifest.cases.filter((k) => k.name === 'mobilenet_v2' || k.name === 'tiny_cnn' || k.name === 'resnet18')) {
    it(`${c.name}: params match the manifest, MACs the published figure`, () => {
      const s = graphStats(importOnnxFile(path.join(MODELS, 'zoo', c.name, 'model.onnx')));
      expect(s.params).toBe(c.params);
      if (MACS[c.name]) expect(Math.abs(s.macs / MACS[c.name]! - 1)).toBeLessThan(0.03);
      expect(s.inputs[0]!.shape).toEqual([1, 3, 224, 224]);
      expect(Object.values(s.ops).reduce((a, b) => a + b, 0)).toBe(s.nodes);
    });
  }
  it('counts conv MACs as output elements x (C/group) x kernel area', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [1, 4, 8, 8]);
    b.constant('w', floatTensor([6, 2, 3, 3]));
    b.output(b.node('Conv', [x, 'w'], { kernel_shape: [3, 3], group: 2 }));
    const s = graphStats(b.build());
    expect(s.macs).toBe(numel([1, 6, 6, 6]) * 2 * 9);
    expect(s.params).toBe(6 * 2 * 9);
  });
});
