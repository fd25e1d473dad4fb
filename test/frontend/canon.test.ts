// Canonicalisation of every opset's forms (docs/ir.md): each crafted model checks the canonical IR it must become,
// then that the IR computes what ONNX Runtime computes on the original model (where ORT runs that opset), and that
// import -> export -> import prints the same IR.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { exportOnnx, importOnnxBytes } from '../../src/frontend/index.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import { printGraph } from '../../src/ir/print.js';
import { floatTensor, numel, type Tensor } from '../../src/ir/tensor.js';
import { buildModel, f32, i64, type ModelSpec } from './helpers.js';

interface CanonCase {
  why: string;
  spec: ModelSpec;
  check: (g: Graph) => void;
  /** ORT 1.30 cannot run some legacy opset-6 forms; those compare only through the exported opset-13 model. */
  ortOriginal?: boolean;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const only = (g: Graph, op: string): Node => {
  const ns = g.nodes.filter((n) => n.op === op);
  expect(ns).toHaveLength(1);
  return ns[0]!;
};
const x = (dims: (number | string)[]): ModelSpec['inputs'] => [{ name: 'x', dims }];
const Y = [{ name: 'y' }];

const CASES: CanonCase[] = [
  {
    why: 'Conv auto_pad SAME_UPPER with stride 2 on an odd size: extra pad at the end',
    spec: { inputs: x([1, 2, 7, 7]), outputs: Y, initializers: [f32('w', [3, 2, 3, 3], Array.from({ length: 54 }, (_, i) => (i % 7) - 3))],
      nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } } }] },
    check: (g) => expect(only(g, 'Conv').attrs).toEqual({ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 }),
  },
  {
    why: 'MaxPool auto_pad SAME_LOWER with an even kernel: extra pad at the beginning',
    spec: { inputs: x([1, 1, 6, 6]), outputs: Y, nodes: [{ op: 'MaxPool', name: 'p', inputs: ['x'], outputs: ['y'], attrs: { auto_pad: { s: 'SAME_LOWER' }, kernel_shape: { ints: [2, 2] } } }] },
    check: (g) => expect(only(g, 'MaxPool').attrs['pads']).toEqual([1, 1, 0, 0]),
  },
  {
    why: 'AveragePool auto_pad VALID: zero pads',
    spec: { opset: 11, inputs: x([1, 1, 5, 5]), outputs: Y, nodes: [{ op: 'AveragePool', name: 'p', inputs: ['x'], outputs: ['y'], attrs: { auto_pad: { s: 'VALID' }, kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } }] },
    check: (g) => expect(only(g, 'AveragePool').attrs).toEqual({ kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: 0, count_include_pad: 0 }),
  },
  {
    why: 'Softmax-11 with a non-last axis is coerced-2D: lowered to Flatten -> Softmax(axis 1) -> Reshape',
    spec: { opset: 11, inputs: x([2, 3, 4]), outputs: Y, nodes: [{ op: 'Softmax', name: 's', inputs: ['x'], outputs: ['y'], attrs: { axis: { i: 1 } } }] },
    check: (g) => {
      expect(g.nodes.map((n) => n.op)).toEqual(['Flatten', 'Softmax', 'Reshape']);
      expect(g.nodes.map((n) => n.origin ?? [n.name])).toEqual([['s'], ['s'], ['s']]);
    },
  },
  {
    why: 'Softmax-11 on the last axis equals the per-axis form: one Softmax with a non-negative axis',
    spec: { opset: 11, inputs: x([2, 3, 4]), outputs: Y, nodes: [{ op: 'Softmax', name: 's', inputs: ['x'], outputs: ['y'], attrs: { axis: { i: -1 } } }] },
    check: (g) => expect(only(g, 'Softmax').attrs).toEqual({ axis: 2 }),
  },
  {
    why: 'Reshape 0 copies the input dim and -1 is inferred',
    spec: { inputs: x([2, 3, 4]), outputs: Y, initializers: [i64('s', [3], [0, -1, 2])], nodes: [{ op: 'Reshape', name: 'r', inputs: ['x', 's'], outputs: ['y'] }] },
    check: (g) => {
      expect(only(g, 'Reshape').attrs).toEqual({ shape: [2, 6, 2] });
      expect(g.initializers.size).toBe(0);
    },
  },
  {
    why: 'Slice-13 with INT64_MAX end, negative start, negative axis, and a negative step ending at INT64_MIN',
    spec: { inputs: x([4, 6]), outputs: Y,
      initializers: [i64('st', [2], [-3, 4]), i64('en', [2], [INT64_MAX, INT64_MIN]), i64('ax', [2], [-1, 0]), i64('sp', [2], [1, -2])],
      nodes: [{ op: 'Slice', name: 's', inputs: ['x', 'st', 'en', 'ax', 'sp'], outputs: ['y'] }] },
    check: (g) => expect(only(g, 'Slice').attrs).toEqual({ starts: [3, 3], ends: [-1, 6], axes: [0, 1], steps: [-2, 1] }),
  },
  {
    why: 'Slice-9 takes starts/ends/axes as attributes',
    spec: { opset: 9, inputs: x([4, 6]), outputs: Y, nodes: [{ op: 'Slice', name: 's', inputs: ['x'], outputs: ['y'], attrs: { starts: { ints: [1] }, ends: { ints: [-1] }, axes: { ints: [1] } } }] },
    check: (g) => expect(only(g, 'Slice').attrs).toEqual({ starts: [1], ends: [5], axes: [1], steps: [1] }),
  },
  {
    why: 'Squeeze-11 / Unsqueeze-11 axes attributes with negative axes',
    spec: { opset: 11, inputs: x([1, 3, 1, 4]), outputs: Y, nodes: [
      { op: 'Squeeze', name: 'sq', inputs: ['x'], outputs: ['t'], attrs: { axes: { ints: [-2, 0] } } },
      { op: 'Unsqueeze', name: 'us', inputs: ['t'], outputs: ['y'], attrs: { axes: { ints: [-1, 1] } } },
    ] },
    check: (g) => {
      expect(g.nodes[0]!.attrs).toEqual({ axes: [0, 2] });
      expect(g.nodes[1]!.attrs).toEqual({ axes: [1, 3] });
    },
  },
  {
    why: 'Squeeze-13 without axes removes every 1-dim; Unsqueeze-13 axes come from an input',
    spec: { inputs: x([1, 3, 1, 4]), outputs: Y, initializers: [i64('a', [1], [0])], nodes: [
      { op: 'Squeeze', name: 'sq', inputs: ['x'], outputs: ['t'] },
      { op: 'Unsqueeze', name: 'us', inputs: ['t', 'a'], outputs: ['y'] },
    ] },
    check: (g) => expect(g.nodes.map((n) => n.attrs)).toEqual([{ axes: [0, 2] }, { axes: [0] }]),
  },
  {
    why: 'Split-11 split attribute, Split-13 equal parts without split, negative axis',
    spec: { opset: 11, inputs: x([2, 6]), outputs: [{ name: 'a' }, { name: 'b' }], nodes: [
      { op: 'Split', name: 'sp', inputs: ['x'], outputs: ['a', 'b'], attrs: { axis: { i: -1 }, split: { ints: [2, 4] } } },
    ] },
    check: (g) => expect(only(g, 'Split').attrs).toEqual({ axis: 1, split: [2, 4] }),
  },
  {
    why: 'Split-13 without split: equal parts',
    spec: { inputs: x([2, 6]), outputs: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], nodes: [{ op: 'Split', name: 'sp', inputs: ['x'], outputs: ['a', 'b', 'c'], attrs: { axis: { i: 1 } } }] },
    check: (g) => expect(only(g, 'Split').attrs).toEqual({ axis: 1, split: [2, 2, 2] }),
  },
  {
    why: 'Clip-13 bounds from Constant nodes, one side omitted with ""',
    spec: { inputs: x([2, 5]), outputs: Y, nodes: [
      { op: 'Constant', name: 'k', inputs: [], outputs: ['hi'], attrs: { value: { t: f32('', [], [0.5]) } } },
      { op: 'Clip', name: 'c', inputs: ['x', '', 'hi'], outputs: ['y'] },
    ] },
    check: (g) => {
      expect(only(g, 'Clip').attrs).toEqual({ min: -Infinity, max: 0.5 });
      expect(g.initializers.size).toBe(0);
    },
  },
  {
    why: 'Clip-6 bounds as attributes (ReLU6)',
    spec: { opset: 6, inputs: x([2, 5]), outputs: Y, nodes: [{ op: 'Clip', name: 'c', inputs: ['x'], outputs: ['y'], attrs: { min: { f: 0 }, max: { f: 6 } } }] },
    check: (g) => expect(only(g, 'Clip').attrs).toEqual({ min: 0, max: 6 }),
  },
  {
    why: 'Pad-2 pads/value attributes and Pad-13 pads/constant_value inputs import to the same form',
    spec: { opset: 2, inputs: x([1, 2, 3]), outputs: Y, nodes: [{ op: 'Pad', name: 'p', inputs: ['x'], outputs: ['y'], attrs: { pads: { ints: [0, 1, 2, 0, 0, 1] }, value: { f: 1.5 } } }] },
    check: (g) => expect(only(g, 'Pad').attrs).toEqual({ pads: [0, 1, 2, 0, 0, 1], mode: 'constant', value: 1.5 }),
  },
  {
    why: 'Pad-13 inputs',
    spec: { inputs: x([1, 2, 3]), outputs: Y, initializers: [i64('pp', [6], [0, 1, 2, 0, 0, 1]), f32('v', [], [1.5])],
      nodes: [{ op: 'Pad', name: 'p', inputs: ['x', 'pp', 'v'], outputs: ['y'] }] },
    check: (g) => expect(only(g, 'Pad').attrs).toEqual({ pads: [0, 1, 2, 0, 0, 1], mode: 'constant', value: 1.5 }),
  },
  {
    why: 'Constant value_floats/value_ints and Identity on an initializer fold away; Identity on data stays',
    spec: { inputs: x([1, 4]), outputs: Y, initializers: [f32('w', [4], [1, 2, 3, 4])], nodes: [
      { op: 'Identity', name: 'idw', inputs: ['w'], outputs: ['w2'] },
      { op: 'Constant', name: 'k', inputs: [], outputs: ['b'], attrs: { value_floats: { floats: [0.5, 0.25, 0, -1] } } },
      { op: 'Mul', name: 'm', inputs: ['x', 'w2'], outputs: ['t'] },
      { op: 'Add', name: 'a', inputs: ['t', 'b'], outputs: ['u'] },
      { op: 'Identity', name: 'idx', inputs: ['u'], outputs: ['y'] },
    ] },
    check: (g) => {
      expect(g.nodes.map((n) => `${n.op}(${n.inputs.join(',')})`)).toEqual(['Mul(x,w)', 'Add(t,b)', 'Identity(u)']);
      expect([...g.initializers.keys()]).toEqual(['w', 'b']);
    },
  },
  {
    why: 'shape arithmetic on a static shape folds (Shape -> Gather -> Div -> Unsqueeze -> Concat -> Reshape)',
    spec: { inputs: x([1, 8, 2, 2]), outputs: Y, initializers: [i64('i1', [], [1]), i64('two', [], [2]), i64('m1', [1], [-1])], nodes: [
      { op: 'Shape', name: 'sh', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', name: 'ga', inputs: ['s', 'i1'], outputs: ['c'], attrs: { axis: { i: 0 } } },
      { op: 'Div', name: 'dv', inputs: ['c', 'two'], outputs: ['h'] },
      { op: 'Unsqueeze', name: 'us', inputs: ['h', 'm1'], outputs: ['h1'] },
      { op: 'Concat', name: 'cc', inputs: ['m1', 'h1'], outputs: ['shape'], attrs: { axis: { i: 0 } } },
      { op: 'Reshape', name: 'rs', inputs: ['x', 'shape'], outputs: ['y'] },
    ] },
    check: (g) => {
      expect(g.nodes.map((n) => n.op)).toEqual(['Reshape']);
      expect(g.nodes[0]!.attrs).toEqual({ shape: [8, 4] });
    },
  },
  {
    why: 'a symbolic batch dim becomes 1 and is recorded in meta',
    spec: { inputs: x(['N', 3]), outputs: Y, nodes: [{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }] },
    check: (g) => {
      expect(g.inputs[0]!.shape).toEqual([1, 3]);
      expect(g.meta['batch']).toBe("input 'x' dim 0 'N' set to 1");
    },
  },
  {
    why: 'unnamed nodes become <OpType>_<k>, skipping names already taken',
    spec: { inputs: x([2]), outputs: Y, nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] }, { op: 'Relu', name: 'Relu_0', inputs: ['a'], outputs: ['b'] },
      { op: 'Relu', inputs: ['b'], outputs: ['c'] }, { op: 'Sigmoid', inputs: ['c'], outputs: ['y'] },
    ] },
    check: (g) => expect(g.nodes.map((n) => n.name)).toEqual(['Relu_1', 'Relu_0', 'Relu_2', 'Sigmoid_0']),
  },
  {
    why: 'PRelu-6: a [C] slope is per channel (axis 1) and becomes [C,1,1]; initializers listed as inputs are constants',
    spec: { opset: 6, irVersion: 3, initializersAsInputs: true, inputs: x([1, 3, 2, 2]), outputs: Y, initializers: [f32('s', [3], [0.1, 0.2, 0.3])],
      nodes: [{ op: 'PRelu', name: 'p', inputs: ['x', 's'], outputs: ['y'] }] },
    check: (g) => {
      expect(g.inputs.map((i) => i.name)).toEqual(['x']);
      const slope = g.initializers.get(only(g, 'PRelu').inputs[1]!)!;
      expect(slope.dims).toEqual([3, 1, 1]);
    },
    ortOriginal: false,
  },
  {
    why: 'Gemm-6 broadcast and BatchNormalization-6 is_test/consumed_inputs/spatial are legacy attributes that drop',
    spec: { opset: 6, inputs: x([2, 3]), outputs: Y,
      initializers: [f32('b', [3, 4], Array.from({ length: 12 }, (_, i) => i / 10)), f32('c', [4], [1, 2, 3, 4]),
        f32('sc', [4], [1, 2, 1, 2]), f32('bi', [4], [0, 1, 0, 1]), f32('mu', [4], [0.5, 0, 0, 0]), f32('va', [4], [1, 4, 1, 4])],
      nodes: [
        { op: 'Gemm', name: 'g', inputs: ['x', 'b', 'c'], outputs: ['t'], attrs: { broadcast: { i: 1 } } },
        { op: 'BatchNormalization', name: 'bn', inputs: ['t', 'sc', 'bi', 'mu', 'va'], outputs: ['y'], attrs: { is_test: { i: 1 }, spatial: { i: 1 }, epsilon: { f: 1e-5 } } },
      ] },
    check: (g) => {
      expect(only(g, 'Gemm').attrs).toEqual({});
      expect(only(g, 'BatchNormalization').attrs).toEqual({ epsilon: Math.fround(1e-5) });
    },
    ortOriginal: false,
  },
  {
    why: 'Add-6 with broadcast=1 and axis=1 aligns B at axis 1 (B [3] on [2,3,4] becomes [3,1])',
    spec: { opset: 6, inputs: x([2, 3, 4]), outputs: Y, initializers: [f32('b', [3], [1, 10, 100])],
      nodes: [{ op: 'Add', name: 'a', inputs: ['x', 'b'], outputs: ['y'], attrs: { broadcast: { i: 1 }, axis: { i: 1 } } }] },
    check: (g) => {
      const b = g.initializers.get(only(g, 'Add').inputs[1]!)!;
      expect(b.dims).toEqual([3, 1]);
    },
    ortOriginal: false,
  },
  {
    why: 'Sub broadcasts both operands as numpy does (a [2,1,4] minus b [3,1] is [2,3,4])',
    spec: { inputs: [{ name: 'a', dims: [2, 1, 4] }, { name: 'b', dims: [3, 1] }], outputs: Y,
      nodes: [{ op: 'Sub', name: 's', inputs: ['a', 'b'], outputs: ['y'] }] },
    check: (g) => expect(g.values.get(only(g, 'Sub').outputs[0]!)?.shape).toEqual([2, 3, 4]),
  },
  {
    why: 'Dropout-13: ratio from an input; the unused mask output is dropped',
    spec: { inputs: x([2, 3]), outputs: Y, initializers: [f32('r', [], [0.25])], nodes: [{ op: 'Dropout', name: 'd', inputs: ['x', 'r'], outputs: ['y', 'mask'] }] },
    check: (g) => expect(only(g, 'Dropout')).toMatchObject({ inputs: ['x'], outputs: ['y'], attrs: { ratio: 0.25 } }),
  },
  {
    why: 'ReduceMean over H,W without keepdims is GlobalAveragePool + Reshape',
    spec: { inputs: x([1, 3, 4, 4]), outputs: Y, nodes: [{ op: 'ReduceMean', name: 'rm', inputs: ['x'], outputs: ['y'], attrs: { axes: { ints: [-1, 2] }, keepdims: { i: 0 } } }] },
    check: (g) => expect(g.nodes.map((n) => `${n.op}${JSON.stringify(n.attrs)}`)).toEqual(['GlobalAveragePool{}', 'Reshape{"shape":[1,3]}']),
  },
];

function seeded(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 8 - 4;
  });
}

async function ortRun(bytes: Uint8Array, feeds: Map<string, Tensor>): Promise<Map<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, t] of feeds) f[k] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    const out = await s.run(f);
    return new Map(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

describe('canonical forms', () => {
  it.each(CASES.map((c) => [c.why, c]))('%s', async (_why, c) => {
    const bytes = buildModel(c.spec);
    const g = importOnnxBytes(bytes, 'crafted.onnx');
    c.check(g);
    const feeds = new Map(g.inputs.map((v, k) => [v.name, floatTensor(v.shape, seeded(numel(v.shape), 7 + k))]));
    const ours = interpret(g, feeds);
    const exported = exportOnnx(g);
    expect(printGraph(importOnnxBytes(exported, 'exported.onnx'))).toBe(printGraph(g));
    const refs = [await ortRun(exported, feeds)];
    if (c.ortOriginal !== false && !c.spec.inputs.some((i) => i.dims.some((d) => typeof d === 'string'))) refs.push(await ortRun(bytes, feeds));
    for (const ref of refs) {
      for (const o of g.outputs) {
        const a = ours.get(o.name)!.data as Float32Array;
        const b = ref.get(o.name)!;
        expect(a.length).toBe(b.length);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i]!)));
      }
    }
  });
});
