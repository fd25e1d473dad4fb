// Tests (IR): the op table: one shape-inference case per op (a new op without a case fails), shape errors, groups.
// Contract: cases go through GraphBuilder + inferShapes, the same path the importer and passes use.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/builder.js';
import { DspcError } from '../../src/ir/errors.js';
import type { AttrValue } from '../../src/ir/graph.js';
import { isActivation, knownOps, OP_TABLE, opDef } from '../../src/ir/optable.js';
import { makeTensor, type DType, type Tensor } from '../../src/ir/tensor.js';

interface In { shape: number[]; dtype?: DType; value?: Tensor }
interface Case { op: string; ins: In[]; attrs?: Record<string, AttrValue>; outs: number | number[][]; expect: number[][]; dtype?: DType; why: string }

const f = (shape: number[]): In => ({ shape });
const c = (shape: number[]): In => ({ shape, value: makeTensor('float32', shape) });
const i64 = (vals: number[]): In => ({ shape: [vals.length], dtype: 'int64', value: makeTensor('int64', [vals.length], BigInt64Array.from(vals.map(BigInt))) });

const CASES: Case[] = [
  { op: 'Relu', ins: [f([1, 3, 4, 4])], expect: [[1, 3, 4, 4]], outs: 1, why: 'pointwise keeps shape' },
  { op: 'LeakyRelu', ins: [f([2, 5])], attrs: { alpha: 0.1 }, expect: [[2, 5]], outs: 1, why: 'pointwise' },
  { op: 'PRelu', ins: [f([1, 3, 4, 4]), c([3, 1, 1])], expect: [[1, 3, 4, 4]], outs: 1, why: 'per-channel slope [C,1,1]' },
  { op: 'Clip', ins: [f([4])], attrs: { min: 0, max: 6 }, expect: [[4]], outs: 1, why: 'Relu6 form' },
  { op: 'Sigmoid', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Tanh', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'HardSigmoid', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'HardSwish', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Elu', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Selu', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Softplus', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'ThresholdedRelu', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Identity', ins: [f([2, 2])], expect: [[2, 2]], outs: 1, why: 'pass-through' },
  { op: 'Dropout', ins: [f([2, 2])], expect: [[2, 2]], outs: 1, why: 'inference pass-through' },
  { op: 'Conv', ins: [f([1, 3, 32, 32]), c([16, 3, 3, 3]), c([16])], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 0, 0] }, expect: [[1, 16, 16, 15]], outs: 1, why: 'asymmetric pads, stride 2' },
  { op: 'Conv', ins: [f([1, 8, 10, 10]), c([8, 1, 3, 3])], attrs: { kernel_shape: [3, 3], group: 8, dilations: [2, 2] }, expect: [[1, 8, 6, 6]], outs: 1, why: 'depthwise dilated' },
  { op: 'Conv', ins: [f([1, 4, 10]), c([6, 4, 3])], attrs: { kernel_shape: [3] }, expect: [[1, 6, 8]], outs: 1, why: '1-D conv uses 1-D defaults' },
  { op: 'Gemm', ins: [f([2, 5]), c([7, 5]), c([7])], attrs: { transB: 1 }, expect: [[2, 7]], outs: 1, why: 'torch Linear form' },
  { op: 'MatMul', ins: [f([2, 3, 4]), c([4, 6])], expect: [[2, 3, 6]], outs: 1, why: 'batched by broadcast' },
  { op: 'MatMul', ins: [f([4]), c([4, 6])], expect: [[6]], outs: 1, why: '1-D operand promoted then dropped' },
  { op: 'BatchNormalization', ins: [f([1, 3, 4, 4]), c([3]), c([3]), c([3]), c([3])], expect: [[1, 3, 4, 4]], outs: 1, why: 'per channel' },
  { op: 'Softmax', ins: [f([2, 10])], attrs: { axis: 1 }, expect: [[2, 10]], outs: 1, why: 'keeps shape' },
  { op: 'MaxPool', ins: [f([1, 2, 5, 5])], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, expect: [[1, 2, 2, 2]], outs: 1, why: 'ceil mode never starts a window in the padding' },
  { op: 'MaxPool', ins: [f([1, 2, 4, 4])], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, expect: [[1, 2, 2, 2]], outs: 1, why: 'ceil mode rounds up' },
  { op: 'MaxPool', ins: [{ shape: [1, 1, 4, 4], dtype: 'uint8' }], attrs: { kernel_shape: [2, 2] }, expect: [[1, 1, 3, 3]], dtype: 'uint8', outs: 1, why: 'uint8 allowed (conformance)' },
  { op: 'AveragePool', ins: [f([1, 2, 6, 6])], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, expect: [[1, 2, 3, 3]], outs: 1, why: 'stride 2' },
  { op: 'GlobalAveragePool', ins: [f([1, 8, 7, 7])], expect: [[1, 8, 1, 1]], outs: 1, why: 'spatial to 1' },
  { op: 'GlobalMaxPool', ins: [f([1, 8, 7, 7])], expect: [[1, 8, 1, 1]], outs: 1, why: 'spatial to 1' },
  { op: 'Add', ins: [f([3, 4, 5]), f([5])], expect: [[3, 4, 5]], outs: 1, why: 'numpy broadcast' },
  { op: 'Sub', ins: [f([3, 1]), f([1, 4])], expect: [[3, 4]], outs: 1, why: 'two-sided broadcast' },
  { op: 'Mul', ins: [f([1, 8, 4, 4]), f([1, 8, 1, 1])], expect: [[1, 8, 4, 4]], outs: 1, why: 'squeeze-excite scale' },
  { op: 'Div', ins: [i64([6]), i64([2])], expect: [[1]], dtype: 'int64', outs: 1, why: 'int64 shape arithmetic' },
  { op: 'Max', ins: [f([3, 1]), f([1, 4]), c([4])], expect: [[3, 4]], outs: 1, why: 'n-ary broadcast' },
  { op: 'Min', ins: [f([2, 3])], expect: [[2, 3]], outs: 1, why: 'one operand is the identity' },
  { op: 'Pow', ins: [f([1, 3, 4]), c([])], expect: [[1, 3, 4]], outs: 1, why: 'scalar exponent' },
  { op: 'Pow', ins: [f([3, 1]), c([1, 4])], expect: [[3, 4]], outs: 1, why: 'exponent broadcasts both ways' },
  { op: 'Sqrt', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Reciprocal', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Exp', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Log', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Neg', ins: [i64([3, 4])], expect: [[2]], dtype: 'int64', outs: 1, why: 'integers allowed (shape arithmetic)' },
  { op: 'Abs', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Erf', ins: [f([3])], expect: [[3]], outs: 1, why: 'pointwise' },
  { op: 'Concat', ins: [f([1, 2, 4]), f([1, 3, 4])], attrs: { axis: 1 }, expect: [[1, 5, 4]], outs: 1, why: 'sums the axis' },
  { op: 'Reshape', ins: [f([1, 6, 4])], attrs: { shape: [1, 2, 3, 4] }, expect: [[1, 2, 3, 4]], outs: 1, why: 'resolved shape' },
  { op: 'Flatten', ins: [f([2, 3, 4, 5])], attrs: { axis: 2 }, expect: [[6, 20]], outs: 1, why: 'split at axis' },
  { op: 'Transpose', ins: [f([1, 2, 3, 4])], attrs: { perm: [0, 2, 1, 3] }, expect: [[1, 3, 2, 4]], outs: 1, why: 'channel shuffle swap' },
  { op: 'Squeeze', ins: [f([1, 3, 1, 2])], attrs: { axes: [0, 2] }, expect: [[3, 2]], outs: 1, why: 'drops size-1 axes' },
  { op: 'Unsqueeze', ins: [f([3, 2])], attrs: { axes: [0, 3] }, expect: [[1, 3, 2, 1]], outs: 1, why: 'axes index the output' },
  { op: 'Split', ins: [f([1, 6, 2])], attrs: { axis: 1, split: [2, 4] }, expect: [[1, 2, 2], [1, 4, 2]], outs: 2, why: 'two outputs' },
  { op: 'Slice', ins: [f([1, 8, 4])], attrs: { starts: [4], ends: [8], axes: [1], steps: [1] }, expect: [[1, 4, 4]], outs: 1, why: 'chunk' },
  { op: 'Slice', ins: [f([5])], attrs: { starts: [4], ends: [-1], axes: [0], steps: [-2] }, expect: [[3]], outs: 1, why: 'negative step ends before 0' },
  { op: 'Pad', ins: [f([1, 2, 3, 3])], attrs: { pads: [0, 0, 1, 2, 0, 0, 1, 0] }, expect: [[1, 2, 5, 5]], outs: 1, why: 'begin/end pads' },
  { op: 'Shape', ins: [f([1, 3, 7])], expect: [[3]], dtype: 'int64', outs: 1, why: 'rank-long int64' },
  { op: 'Gather', ins: [i64([1, 3, 7]), { ...i64([1]), shape: [], value: makeTensor('int64', [], BigInt64Array.of(1n)) }], expect: [[]], dtype: 'int64', outs: 1, why: 'scalar index drops the axis' },
  { op: 'Cast', ins: [f([2])], attrs: { to: 7 }, expect: [[2]], dtype: 'int64', outs: 1, why: 'to = ONNX INT64' },
];

function buildCase(k: Case) {
  const b = new GraphBuilder('t');
  const names = k.ins.map((inp, j) => (inp.value ? b.constant(`c${j}`, { ...inp.value, dims: inp.shape }) : b.input(`x${j}`, inp.dtype ?? 'float32', inp.shape)));
  const outs = b.nodeMulti(k.op, names, k.attrs ?? {}, { name: 'n', outputs: typeof k.outs === 'number' ? k.outs : undefined });
  b.output(...outs);
  return b.build();
}

describe('shape inference per op', () => {
  for (const k of CASES) {
    it(`${k.op}: ${k.why}`, () => {
      const g = buildCase(k);
      expect(g.outputs.map((o) => o.shape)).toEqual(k.expect);
      expect(g.outputs.every((o) => o.dtype === (k.dtype ?? 'float32'))).toBe(true);
    });
  }
  it('every op in the table has a shape case', () => {
    const covered = new Set(CASES.map((k) => k.op));
    expect(knownOps().filter((o) => !covered.has(o))).toEqual([]);
  });
});

describe('shape errors name the node and the problem', () => {
  const bad: [string, Case][] = [
    ['do not broadcast', { op: 'Add', ins: [f([3, 4]), f([5])], expect: [], outs: 1, why: '' }],
    ['input channels', { op: 'Conv', ins: [f([1, 3, 8, 8]), c([4, 2, 3, 3])], attrs: { kernel_shape: [3, 3] }, expect: [], outs: 1, why: '' }],
    ['kernel_shape', { op: 'Conv', ins: [f([1, 3, 8, 8]), c([4, 3, 3, 3])], attrs: { kernel_shape: [5, 5] }, expect: [], outs: 1, why: '' }],
    ['does not fit', { op: 'MaxPool', ins: [f([1, 1, 2, 2])], attrs: { kernel_shape: [3, 3] }, expect: [], outs: 1, why: '' }],
    ['cannot reshape', { op: 'Reshape', ins: [f([2, 3])], attrs: { shape: [4, 2] }, expect: [], outs: 1, why: '' }],
    ['slope shape', { op: 'PRelu', ins: [f([1, 3, 4, 4]), c([5])], expect: [], outs: 1, why: '' }],
    ['cannot squeeze', { op: 'Squeeze', ins: [f([2, 3])], attrs: { axes: [0] }, expect: [], outs: 1, why: '' }],
    ['sum to', { op: 'Split', ins: [f([1, 6])], attrs: { axis: 1, split: [2, 2] }, expect: [], outs: 2, why: '' }],
    ['inner dimensions', { op: 'Gemm', ins: [f([2, 5]), c([4, 7])], expect: [], outs: 1, why: '' }],
    ['not a permutation', { op: 'Transpose', ins: [f([2, 3])], attrs: { perm: [0, 0] }, expect: [], outs: 1, why: '' }],
  ];
  for (const [msg, k] of bad) {
    it(`${k.op}: ${msg}`, () => {
      expect(() => buildCase(k)).toThrow(DspcError);
      expect(() => buildCase(k)).toThrow(new RegExp(`node 'n': .*${msg}`));
    });
  }
});

describe('groups derive from the table', () => {
  it('activations are exactly the pointwise activation entries', () => {
    const acts = [...OP_TABLE.values()].filter((d) => d.activation).map((d) => d.type).sort();
    expect(acts).toEqual([
      'Abs', 'Clip', 'Elu', 'Erf', 'Exp', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Log', 'Neg', 'PRelu', 'Pow', 'Reciprocal', 'Relu',
      'Selu', 'Sigmoid', 'Softplus', 'Sqrt', 'Tanh', 'ThresholdedRelu',
    ]);
    expect(isActivation('Identity')).toBe(false);
    expect(isActivation('Dropout')).toBe(false);
    expect(isActivation('Conv')).toBe(false);
    expect(isActivation('NoSuchOp')).toBe(false);
  });
  it('every entry is well-formed', () => {
    for (const d of OP_TABLE.values()) {
      expect(opDef(d.type)).toBe(d);
      expect(d.outputs.length).toBeGreaterThan(0);
      for (const [name, spec] of Object.entries(d.attrs)) {
        if (spec.default !== undefined) expect(typeof spec.default === 'string' ? 'string' : Array.isArray(spec.default) ? 'list' : 'number', `${d.type}.${name}`).toBe(spec.type === 'string' ? 'string' : spec.type.endsWith('s') ? 'list' : 'number');
      }
      if (d.activation) expect(d.category).toBe('activation');
    }
  });
  it('movement ops and MaxPool preserve values; arithmetic does not', () => {
    for (const op of ['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'MaxPool', 'Concat', 'Slice', 'Pad', 'Split']) expect(opDef(op)!.valuePreserving, op).toBe(true);
    for (const op of ['Add', 'Conv', 'AveragePool', 'Relu']) expect(opDef(op)!.valuePreserving, op).toBe(false);
  });
});
