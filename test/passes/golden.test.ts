// Tests (passes): golden printed IR, one case per rule, each with why it exists; regenerated with UPDATE_GOLDEN=1.
// Contract: every case is also run on the reference interpreter against the unoptimized graph (the golden alone proves nothing).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import { printGraph } from '../../src/ir/print.js';
import { floatTensor } from '../../src/ir/tensor.js';
import { optimizeGraph } from '../../src/passes/index.js';
import type { PassContext } from '../../src/passes/types.js';
import { CTX, mismatch } from './helpers.js';

const GOLDEN = fileURLToPath(new URL('./golden', import.meta.url));

/** Deterministic inputs covering both signs, zeros and large values. */
function inputs(g: Graph): Map<string, ReturnType<typeof floatTensor>> {
  const m = new Map<string, ReturnType<typeof floatTensor>>();
  for (const v of g.inputs) {
    const n = v.shape.reduce((a, b) => a * b, 1);
    m.set(v.name, floatTensor(v.shape, Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i * 12.9898) * (i % 5 === 0 ? 40 : 3)))));
  }
  return m;
}

/**
 * Float-policy edge inputs: each value, the chain's float32 result, the fused graph's and the real-arithmetic value.
 * The default policy's promise is checked on each: the fused result is never further from the real value than the
 * chain's (beyond rel 1e-6 + abs 1e-37).
 */
interface Edge {
  xs: number[];
  real: (x: number) => number;
}

function dist(v: number, real: number): number {
  if (Number.isNaN(real)) return Number.isNaN(v) ? 0 : Infinity;
  return Number.isNaN(v) ? Infinity : v === real ? 0 : Math.abs(v - real);
}

const fmt = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

function edgeLines(g: Graph, graph: Graph, edge: Edge): string[] {
  const shape = g.inputs[0]!.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  const xs = Array.from({ length: n }, (_, i) => edge.xs[i % edge.xs.length]!);
  const ins = new Map([[g.inputs[0]!.name, floatTensor(shape, xs)]]);
  const want = interpret(g, ins).get(g.outputs[0]!.name)!, got = interpret(graph, ins).get(graph.outputs[0]!.name)!;
  return edge.xs.map((x0, i) => {
    const x = Math.fround(x0), real = edge.real(x), w = Number(want.data[i]), f = Number(got.data[i]);
    const tol = Number.isNaN(real) ? 0 : 1e-37 + 1e-6 * Math.abs(real);
    expect(dist(f, real), `x=${x}`).toBeLessThanOrEqual(Math.max(dist(w, real), tol));
    return `// x=${fmt(x)}: chain ${fmt(w)}, fused ${fmt(f)}, real ${fmt(real)}`;
  });
}

function golden(name: string, why: string, g: Graph, opts: { ctx?: PassContext; edge?: Edge } = {}): void {
  const before = printGraph(g);
  const { graph, report } = optimizeGraph(g, opts.ctx ?? CTX);
  const ins = inputs(g);
  const want = interpret(g, ins), got = interpret(graph, ins);
  // (a float-policy case is checked against real arithmetic on its edge inputs instead: the chain itself is off there)
  if (!opts.edge) for (const o of g.outputs) expect(mismatch(want.get(o.name)!, got.get(o.name)!, 1e-37, 1e-6), o.name).toBeNull();
  const text = [
    `// why: ${why}`,
    ...(opts.ctx?.strictFloat ? ['// policy: --strict-float'] : []),
    ...(opts.edge ? edgeLines(g, graph, opts.edge) : []),
    `// rules: ${JSON.stringify(report.rules)}`,
    ...report.chains.map((c) => `// chain: ${JSON.stringify(c)}`),
    '// before:',
    ...before.trimEnd().split('\n').map((l) => `//   ${l}`),
    printGraph(graph),
  ].join('\n');
  fs.mkdirSync(GOLDEN, { recursive: true });
  const file = path.join(GOLDEN, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(file)) fs.writeFileSync(file, text);
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

type Act = [op: string, attrs?: Record<string, number>, slope?: { dims: number[]; values: number[] }];

/** x -> acts... ; returns the last value name. */
function chain(b: GraphBuilder, x: string, acts: Act[], prefix: string): string {
  let v = x;
  acts.forEach(([op, attrs, slope], i) => {
    const ins = [v];
    if (slope) ins.push(b.floats(`${prefix}${i}_slope`, slope.dims, slope.values));
    v = b.node(op, ins, attrs ?? {}, { name: `${prefix}${i}` });
  });
  return v;
}

function simple(name: string, shape: number[], acts: Act[]): Graph {
  const b = new GraphBuilder(name);
  b.output(chain(b, b.input('x', 'float32', shape), acts, 'a'));
  return b.build();
}

const NCHW = [1, 2, 3, 4];

describe('fusion goldens', () => {
  it('disjoint Clip ranges compose to a constant', () => {
    golden('clip_disjoint', 'Clip(3,4) after Clip(-1,2) is the constant 3: bounds clamp into the later range, not max/min',
      simple('clip_disjoint', NCHW, [['Clip', { min: -1, max: 2 }], ['Clip', { min: 3, max: 4 }]]));
  });

  it('overlapping Clip ranges and Relu then Relu6', () => {
    golden('clip_overlap_relu6', 'Relu->Clip(-1,2)->Clip(0,6) is Clip(0,2); a Relu absorbed into a clamp with lo=0',
      simple('clip_overlap', NCHW, [['Relu'], ['Clip', { min: -1, max: 2 }], ['Clip', { min: 0, max: 6 }]]));
  });

  it('a negative slope followed by Relu', () => {
    golden('negative_slope_relu', 'LeakyRelu(-0.5) makes every value >= 0, so the Relu after it is the identity: result keeps the negative slope',
      simple('neg_relu', NCHW, [['LeakyRelu', { alpha: -0.5 }], ['Relu']]));
  });

  it('slopes multiply only while the value stays negative', () => {
    golden('slopes_compose', '0.1 then -2 gives -0.2 (k1 >= 0 multiplies); -0.5 then 0.3 keeps -0.5 (the value turned positive); slopes > 1 are legal',
      (() => {
        const b = new GraphBuilder('slopes');
        const x = b.input('x', 'float32', NCHW);
        b.output(chain(b, x, [['LeakyRelu', { alpha: 0.1 }], ['LeakyRelu', { alpha: -2 }]], 'p'));
        b.output(chain(b, x, [['LeakyRelu', { alpha: -0.5 }], ['LeakyRelu', { alpha: 0.3 }]], 'q'));
        b.output(chain(b, x, [['LeakyRelu', { alpha: 3 }], ['LeakyRelu', { alpha: 2.5 }]], 'r'));
        return b.build();
      })());
  });

  it('a chain that composes to the identity disappears', () => {
    golden('chain_identity', 'LeakyRelu(0.5) then LeakyRelu(2) has slope 1 on both sides: no kernel at all, the graph output name moves to the Add (2 then 0.5 goes too, except under --strict-float: 2x may overflow float32 first)',
      (() => {
        const b = new GraphBuilder('chain_identity');
        const x = b.input('x', 'float32', NCHW);
        const y = b.node('Add', [x, b.floats('one', [1], [1])], {}, { name: 'add' });
        b.output(chain(b, y, [['LeakyRelu', { alpha: 0.5 }], ['LeakyRelu', { alpha: 2 }]], 'k'));
        return b.build();
      })());
  });

  it('a negative slope after a clamp splits the chain', () => {
    golden('split_after_clamp', 'Clip(-1,2) then LeakyRelu(-0.5) has x<0 and x>=0 branches clamped differently: no kernel computes it, so both stay (reason reported)',
      simple('split', NCHW, [['Clip', { min: -1, max: 2 }], ['LeakyRelu', { alpha: -0.5 }]]));
  });

  it('fan-out keeps the shared value computed', () => {
    const b = new GraphBuilder('fanout');
    const x = b.input('x', 'float32', NCHW);
    const s0 = b.node('LeakyRelu', [x], { alpha: 0.1 }, { name: 's0' });
    const s2 = chain(b, s0, [['LeakyRelu', { alpha: 0.2 }], ['Clip', { min: 0, max: 6 }]], 'f');
    const t = b.node('Sigmoid', [s0], {}, { name: 'other_reader' });
    b.output(s2, t);
    golden('fanout', 's0 also feeds a Sigmoid, so it stays; the rest of its chain merges into one Clip(0,6)', b.build());
  });

  it('a graph output inside a chain', () => {
    const b = new GraphBuilder('output_inside');
    const x = b.input('x', 'float32', NCHW);
    const s0 = b.node('Relu', [x], {}, { name: 's0' });
    const s2 = chain(b, s0, [['LeakyRelu', { alpha: 0.1 }], ['Clip', { min: -1, max: 1 }]], 'o');
    b.output(s0, s2);
    golden('output_inside_chain', 's0 is a graph output so it is computed; after it values are >= 0, LeakyRelu vanishes and Clip(-1,1) acts as Clip(0,1)', b.build());
  });

  it('PRelu slope shapes broadcast by ONNX rules', () => {
    const b = new GraphBuilder('prelu_shapes');
    const x = b.input('x', 'float32', NCHW);
    b.output(chain(b, x, [['LeakyRelu', { alpha: 0.5 }], ['PRelu', {}, { dims: [2, 1, 1], values: [0.25, -1] }]], 'c'));
    b.output(chain(b, x, [['PRelu', {}, { dims: [1, 2, 1, 1], values: [0.5, 0.5] }], ['PRelu', {}, { dims: [1], values: [0.5] }]], 'u'));
    b.output(chain(b, x, [['PRelu', {}, { dims: [2, 1, 1], values: [0.5, 0.25] }], ['PRelu', {}, { dims: [4], values: [1, 0.5, 0.25, 0] }]], 'w'));
    golden('prelu_shapes', '[C,1,1] x scalar stays per channel; equal per-channel slopes become one LeakyRelu; [C,1,1] then [W] (last axis, not channel) compose to a [C,1,W] slope', b.build());
  });

  it('strict float refuses a product that overflows before it shrinks', () => {
    golden('float32_refusal', 'slope 4 then 0.25 cancels in real arithmetic, but 4x overflows float32 for |x| > 8.5e37 before 0.25 shrinks it: under --strict-float the fused value must equal the chain\'s -inf there, so both stay (reason)',
      simple('f32', NCHW, [['LeakyRelu', { alpha: 4 }], ['LeakyRelu', { alpha: 0.25 }]]), { ctx: { ...CTX, strictFloat: true } });
  });

  // The default float policy: a merge is accepted when the fused result is never further from the chain's
  // real-arithmetic value than the chain's own float32 result (docs/fusion.md). The edge lines show where they differ.
  const leakyReal = (...alphas: number[]) => (x: number): number => alphas.reduce((v, a) => (v < 0 ? v * Math.fround(a) : v), x);
  const behindAdd = (name: string, acts: Act[]): Graph => {
    const b = new GraphBuilder(name);
    const x = b.input('x', 'float32', NCHW);
    b.output(chain(b, b.node('Add', [x, b.floats('zero', [1], [0])], {}, { name: 'add' }), acts, 'a'));
    return b.build();
  };

  it('default float policy: an overflow inside the chain no longer blocks the merge', () => {
    golden('float32_overflow', 'slope 4 then 0.25 is the identity in real arithmetic; the chain overflows to -inf below -8.5e37 where the identity keeps x, which is the real value: removed (the same chain under --strict-float: float32_refusal)',
      behindAdd('f32_overflow', [['LeakyRelu', { alpha: 4 }], ['LeakyRelu', { alpha: 0.25 }]]),
      { edge: { xs: [-1e38, -3.4e38, -8e37, -1, 0, 1e38], real: leakyReal(4, 0.25) } });
  });

  it('default float policy: an underflow inside the chain no longer blocks the merge', () => {
    golden('float32_underflow', 'slope 1e-20 then 1e20: the chain flushes 1e-20*x to 0 (|x| < 1e-25) and the later 1e20 cannot bring it back; the real product of the two float32 slopes, 0.99999998831, rounds to exactly 1 in float32, so the identity is one rounding from the real value everywhere: removed',
      behindAdd('f32_underflow', [['LeakyRelu', { alpha: 1e-20 }], ['LeakyRelu', { alpha: 1e20 }]]),
      { edge: { xs: [-1e-30, -1e-26, -1.4e-45, -1, -3e38], real: leakyReal(1e-20, 1e20) } });
  });

  it('default float policy: a NaN the chain makes from 0 * an overflow', () => {
    golden('float32_nan', 'slopes 1e30, 1e30, then 0: the second product overflows to -inf for x < -3.4e-22 and 0 * -inf is NaN, where real arithmetic gives 0, as the fused Relu does; a NaN input stays NaN either way',
      simple('f32_nan', NCHW, [['LeakyRelu', { alpha: 1e30 }], ['LeakyRelu', { alpha: 1e30 }], ['LeakyRelu', { alpha: 0 }]]),
      { edge: { xs: [-1, -1e-20, -1e-30, NaN, -0, 2], real: (x) => (Number.isNaN(x) ? NaN : x < 0 ? 0 : x) } });
  });

  it('default float policy: -0 after an underflow', () => {
    golden('float32_negative_zero', 'slope 1e-30 then -1: 1e-30*x underflows to -0 for |x| below about 7e-16, and -0 takes the x >= 0 branch of the next slope, so the chain gives -0 where the fused slope -1e-30 gives +0; both equal 0, as close to the real 1e-50 as float32 gets',
      simple('f32_negzero', NCHW, [['LeakyRelu', { alpha: 1e-30 }], ['LeakyRelu', { alpha: -1 }]]),
      { edge: { xs: [-1e-20, -1e-16, -1, -0, 0, 1], real: leakyReal(1e-30, -1) } });
  });

  it('a chain across MaxPool that must not move', () => {
    const b = new GraphBuilder('maxpool_stay');
    const x = b.input('x', 'float32', NCHW);
    const a = chain(b, x, [['PRelu', {}, { dims: [2, 1, 1], values: [-0.5, 0.3] }]], 'a');
    const m = b.node('MaxPool', [a], { kernel_shape: [2, 2], strides: [1, 1] }, { name: 'pool' });
    b.output(chain(b, m, [['LeakyRelu', { alpha: -0.2 }]], 'b'));
    golden('maxpool_no_move', 'both activations have a negative slope: max does not commute with them, so neither crosses the MaxPool', b.build());
  });

  it('a chain across MaxPool that may move', () => {
    const b = new GraphBuilder('maxpool_move');
    const x = b.input('x', 'float32', NCHW);
    const pa = chain(b, x, [['LeakyRelu', { alpha: 0.1 }]], 'a');
    b.output(chain(b, b.node('MaxPool', [pa], { kernel_shape: [2, 2] }, { name: 'pool1' }), [['LeakyRelu', { alpha: 0.2 }]], 'b'));
    const pc = chain(b, x, [['LeakyRelu', { alpha: 0.2 }]], 'c');
    b.output(chain(b, b.node('MaxPool', [pc], { kernel_shape: [2, 2] }, { name: 'pool2' }), [['LeakyRelu', { alpha: -0.5 }]], 'd'));
    golden('maxpool_move', 'a non-decreasing activation commutes with max: it moves down past the pool (smaller tensor) and merges; with a negative slope after the pool only the first one may move', b.build());
  });

  it('per-channel PRelu across reshapes only where its channel axis provably stays', () => {
    const b = new GraphBuilder('reshape_move');
    const x = b.input('x', 'float32', NCHW);
    const a = chain(b, x, [['PRelu', {}, { dims: [2, 1, 1], values: [0.5, 0.25] }]], 'a');
    const r = b.node('Reshape', [a], { shape: [1, 2, 12] }, { name: 'keeps_channels' });
    b.output(chain(b, r, [['LeakyRelu', { alpha: 0.5 }]], 'b'));
    const c = chain(b, x, [['PRelu', {}, { dims: [2, 1, 1], values: [0.5, 0.25] }]], 'c');
    const f = b.node('Flatten', [c], { axis: 1 }, { name: 'flatten' });
    b.output(chain(b, f, [['LeakyRelu', { alpha: 0.5 }]], 'd'));
    const e = chain(b, x, [['PRelu', {}, { dims: [2, 1, 1], values: [0.5, 0.25] }]], 'e');
    const g = b.node('Reshape', [e], { shape: [1, 3, 8] }, { name: 'regroups' });
    b.output(chain(b, g, [['PRelu', {}, { dims: [3, 1], values: [0.5, 0.25, 0.125] }]], 'h'));
    golden('reshape_move', '[1,2,3,4]->[1,2,12] keeps the channel axis: the per-channel PRelu moves down and merges; a scalar slope may cross Flatten upwards; [1,2,3,4]->[1,3,8] regroups channels: either slope table would grow to 24, nothing moves', b.build());
  });

  it('Relu after Sigmoid is removed by range', () => {
    golden('sigmoid_relu', 'Sigmoid output lies in [0,1]: Relu is the identity there', simple('sig', NCHW, [['Sigmoid'], ['Relu']]));
  });

  it('Clip(-1,1) after Tanh is removed by range; Clip(0,1) is not', () => {
    const b = new GraphBuilder('tanh_clip');
    const x = b.input('x', 'float32', NCHW);
    const t = b.node('Tanh', [x], {}, { name: 'tanh' });
    b.output(b.node('Clip', [t], { min: -1, max: 1 }, { name: 'clip_wide' }));
    b.output(b.node('Clip', [t], { min: 0, max: 1 }, { name: 'clip_half' }));
    golden('tanh_clip', 'tanh lies in [-1,1]: Clip(-1,1) changes nothing and goes; Clip(0,1) only cuts the negative half, which on [-1,1] is exactly the cheaper Relu', b.build());
  });

  it('range flows through MaxPool and Pad (with its pad value)', () => {
    const b = new GraphBuilder('range_movement');
    const x = b.input('x', 'float32', NCHW);
    const r = b.node('Relu', [x], {}, { name: 'relu' });
    const m = b.node('MaxPool', [r], { kernel_shape: [2, 2] }, { name: 'pool' });
    const p0 = b.node('Pad', [m], { pads: [0, 0, 1, 1, 0, 0, 1, 1] }, { name: 'pad0' });
    b.output(b.node('Relu', [p0], {}, { name: 'relu_after_pad0' }));
    const p1 = b.node('Pad', [m], { pads: [0, 0, 1, 1, 0, 0, 1, 1], value: -1 }, { name: 'pad_neg' });
    b.output(b.node('Relu', [p1], {}, { name: 'relu_after_pad_neg' }));
    golden('range_movement', 'values >= 0 pass MaxPool and a zero Pad, so the Relu after them goes; a Pad with value -1 brings a negative value: that Relu stays', b.build());
  });

  it('Identity and Dropout are removed first, graph output names kept', () => {
    const b = new GraphBuilder('identity');
    const x = b.input('x', 'float32', NCHW);
    const r = b.node('Relu', [x], {}, { name: 'relu' });
    const i = b.node('Identity', [r], {}, { name: 'id' });
    const d = b.node('Dropout', [i], { ratio: 0.1 }, { name: 'drop' });
    const l = b.node('LeakyRelu', [d], { alpha: 0.1 }, { name: 'leaky' });
    const last = b.node('Identity', [l], {}, { name: 'id_out' });
    const pass = b.node('Identity', [x], {}, { name: 'id_input_to_output' });
    b.output(last, pass);
    golden('identity_dropout', 'Identity/Dropout between Relu and LeakyRelu hide a chain; the last Identity hands its output name to the fused node; an input-to-output Identity must stay', b.build());
  });
});
