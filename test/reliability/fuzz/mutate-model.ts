// Stage: reliability tests (fuzzer support). Semantic mutations on the decoded ModelProto: dims, data_type, raw_data
// length, attribute types and values, node inputs/outputs, op types, opset versions, graph I/O, external data, and
// hostile constant operands (Reshape shapes, Pad pads, Slice bounds, Clip bounds...).
// Contract: returns re-encoded bytes plus a description, or null when the bytes do not decode as a model.

import { onnx, type OnnxTypes } from '../../../src/frontend/onnx/proto.js';
import type { Rng } from './rng.js';
import type { Mutated } from './mutate-wire.js';

type Model = OnnxTypes.ModelProto;
type Graph = OnnxTypes.IGraphProto;
type Tensor = OnnxTypes.ITensorProto;
type Op = (m: Model, g: Graph, rng: Rng) => string | null;

const AT = onnx.AttributeProto.AttributeType;

const INTS = [0, -1, 1, 2, 3, 4, 7, 64, 1000, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1, 2 ** 40, 2 ** 53 - 1, -(2 ** 31), -2, -7];
const FLOATS = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 6, 1e38, -1e38, 3.4e38, 1e-45, -1e-30];
/** Op types the importer supports, plus a few it must refuse. */
export const OP_TYPES = [
  'Conv', 'Gemm', 'MatMul', 'BatchNormalization', 'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'Tanh', 'HardSigmoid',
  'HardSwish', 'Elu', 'Selu', 'Softplus', 'ThresholdedRelu', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool',
  'Add', 'Sub', 'Mul', 'Div', 'Concat', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Split', 'Slice', 'Pad',
  'Softmax', 'Identity', 'Dropout', 'Constant', 'Shape', 'Gather', 'Cast', 'ReduceMean', 'LSTM', 'Loop', 'If', 'Resize', '',
];
const ATTR_NAMES = [
  'kernel_shape', 'pads', 'strides', 'dilations', 'group', 'axis', 'axes', 'perm', 'shape', 'split', 'starts', 'ends', 'steps',
  'alpha', 'beta', 'gamma', 'min', 'max', 'value', 'mode', 'ceil_mode', 'count_include_pad', 'auto_pad', 'transA', 'transB',
  'epsilon', 'keepdims', 'allowzero', 'to', 'num_outputs', 'broadcast', 'ratio', 'spatial', 'training_mode', 'start', 'end',
  'paddings', 'storage_order', 'value_float', 'value_ints', 'junk',
];
const STRINGS = ['SAME_UPPER', 'SAME_LOWER', 'VALID', 'NOTSET', 'constant', 'reflect', 'edge', 'wrap', '', 'x'.repeat(300), '\u0000\uffff'];
const LOCATIONS = ['model.onnx', 'test_data_set_0/input_0.pb', 'missing.bin', '../model.onnx', '/etc/passwd', '', '.', 'test_data_set_0'];

function tensors(g: Graph): Tensor[] {
  const out: Tensor[] = [...(g.initializer ?? [])];
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.t) out.push(a.t);
  return out;
}

function valueNames(g: Graph): string[] {
  const s = new Set<string>();
  for (const v of [...(g.input ?? []), ...(g.output ?? [])]) if (v.name) s.add(v.name);
  for (const t of g.initializer ?? []) if (t.name) s.add(t.name);
  for (const n of g.node ?? []) for (const v of [...(n.input ?? []), ...(n.output ?? [])]) if (v) s.add(v);
  return [...s];
}

function anInt(rng: Rng, near?: number): number {
  if (near !== undefined && rng.chance(0.3)) return near + rng.pick([-1, 1, near, -near - 1]);
  return rng.chance(0.8) ? rng.pick(INTS) : rng.range(-10, 300);
}

function ints(rng: Rng): number[] {
  return Array.from({ length: rng.int(7) }, () => anInt(rng));
}

const tensorDims: Op = (_m, g, rng) => {
  const ts = tensors(g);
  if (!ts.length) return null;
  const t = rng.pick(ts);
  const dims = (t.dims ?? []).map(Number);
  const k = rng.int(4);
  if (k === 0 && dims.length) {
    const i = rng.int(dims.length);
    dims[i] = anInt(rng, dims[i]);
  } else if (k === 1) dims.push(anInt(rng));
  else if (k === 2) dims.pop();
  else dims.reverse();
  t.dims = dims;
  return `tensor '${t.name}' dims = [${dims.join(',')}]`;
};

const tensorType: Op = (_m, g, rng) => {
  const ts = tensors(g);
  if (!ts.length) return null;
  const t = rng.pick(ts);
  t.dataType = rng.range(0, 17);
  return `tensor '${t.name}' data_type = ${t.dataType}`;
};

const tensorData: Op = (_m, g, rng) => {
  const ts = tensors(g);
  if (!ts.length) return null;
  const t = rng.pick(ts);
  const raw = t.rawData ?? new Uint8Array();
  switch (rng.int(5)) {
    case 0: t.rawData = raw.slice(0, rng.int(raw.length + 1)); return `tensor '${t.name}' raw_data cut to ${t.rawData.length} bytes`;
    case 1: t.rawData = Uint8Array.from([...raw, ...rng.bytes(rng.range(1, 9))]); return `tensor '${t.name}' raw_data grown to ${t.rawData.length}`;
    case 2: t.rawData = rng.bytes(raw.length); return `tensor '${t.name}' raw_data randomised`;
    case 3: t.floatData = Array.from({ length: rng.int(5) }, () => rng.pick(FLOATS)); return `tensor '${t.name}' float_data = [${t.floatData.join(',')}]`;
    default: t.int64Data = ints(rng); t.rawData = new Uint8Array(); return `tensor '${t.name}' int64_data = [${t.int64Data.join(',')}], raw_data dropped`;
  }
};

const valueInfo: Op = (_m, g, rng) => {
  const vs = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])];
  if (!vs.length) return null;
  const v = rng.pick(vs);
  const tt = v.type?.tensorType;
  if (!tt || rng.chance(0.1)) {
    v.type = rng.chance(0.5) ? null : { sequenceType: {} };
    return `value '${v.name}' type replaced`;
  }
  const dims = tt.shape?.dim ?? [];
  switch (rng.int(5)) {
    case 0: tt.elemType = rng.range(0, 17); return `value '${v.name}' elem_type = ${tt.elemType}`;
    case 1: tt.shape = null; return `value '${v.name}' shape removed`;
    case 2: dims.push({ dimValue: anInt(rng) }); tt.shape = { dim: dims }; return `value '${v.name}' gains a dim`;
    case 3: if (dims.length) dims.splice(rng.int(dims.length), 1); return `value '${v.name}' loses a dim`;
    default: {
      if (!dims.length) return null;
      const i = rng.int(dims.length);
      dims[i] = rng.chance(0.25) ? { dimParam: 'n' } : { dimValue: anInt(rng, Number(dims[i]!.dimValue ?? 1)) };
      return `value '${v.name}' dim ${i} = ${dims[i]!.dimParam ?? dims[i]!.dimValue}`;
    }
  }
};

/** A new value for an attribute, of a random (possibly wrong) type. */
function setAttrValue(a: OnnxTypes.IAttributeProto, rng: Rng): string {
  const kind = rng.int(7);
  a.f = null; a.i = null; a.s = null; a.ints = []; a.floats = []; a.t = null;
  if (kind === 0) { a.type = AT.INT; a.i = anInt(rng); return `i=${a.i}`; }
  if (kind === 1) { a.type = AT.FLOAT; a.f = rng.pick(FLOATS); return `f=${a.f}`; }
  if (kind === 2) { a.type = AT.INTS; a.ints = ints(rng); return `ints=[${a.ints.join(',')}]`; }
  if (kind === 3) { a.type = AT.FLOATS; a.floats = Array.from({ length: rng.int(5) }, () => rng.pick(FLOATS)); return `floats=[${a.floats.join(',')}]`; }
  if (kind === 4) { a.type = AT.STRING; a.s = new TextEncoder().encode(rng.pick(STRINGS)); return 'a string'; }
  if (kind === 5) { a.type = AT.TENSOR; a.t = { dims: [rng.int(3)], dataType: rng.pick([1, 7, 6, 10]), floatData: [1, 2] }; return 'a tensor'; }
  a.type = rng.range(0, 16);
  return `type=${a.type} (no value)`;
}

const attribute: Op = (_m, g, rng) => {
  const nodes = (g.node ?? []).filter((n) => n.attribute?.length);
  if (!nodes.length) return null;
  const n = rng.pick(nodes);
  const a = rng.pick(n.attribute!);
  const k = rng.int(4);
  if (k === 0) {
    n.attribute!.splice(n.attribute!.indexOf(a), 1);
    return `node '${n.name}' drops attribute '${a.name}'`;
  }
  if (k === 1) {
    const old = a.name;
    a.name = rng.pick(ATTR_NAMES);
    return `node '${n.name}' attribute '${old}' renamed '${a.name}'`;
  }
  if (k === 2 && (a.ints?.length || a.floats?.length)) {
    if (a.ints?.length) a.ints[rng.int(a.ints.length)] = anInt(rng);
    else a.floats![rng.int(a.floats!.length)] = rng.pick(FLOATS);
    return `node '${n.name}' attribute '${a.name}' one entry changed`;
  }
  return `node '${n.name}' attribute '${a.name}' := ${setAttrValue(a, rng)}`;
};

const addAttribute: Op = (_m, g, rng) => {
  const nodes = g.node ?? [];
  if (!nodes.length) return null;
  const n = rng.pick(nodes);
  const a: OnnxTypes.IAttributeProto = { name: rng.pick(ATTR_NAMES) };
  const what = setAttrValue(a, rng);
  n.attribute = [...(n.attribute ?? []), a];
  return `node '${n.name}' gains attribute '${a.name}' ${what}`;
};

const nodeIO: Op = (_m, g, rng) => {
  const nodes = g.node ?? [];
  if (!nodes.length) return null;
  const n = rng.pick(nodes);
  const names = valueNames(g);
  const list = rng.chance(0.6) ? (n.input = [...(n.input ?? [])]) : (n.output = [...(n.output ?? [])]);
  const side = list === n.input ? 'input' : 'output';
  const k = rng.int(4);
  const name = rng.chance(0.8) && names.length ? rng.pick(names) : rng.pick(['', 'ghost']);
  if (k === 0 && list.length) {
    const i = rng.int(list.length);
    list[i] = name;
    return `node '${n.name}' ${side} ${i} = '${name}'`;
  }
  if (k === 1) {
    list.push(name);
    return `node '${n.name}' gains ${side} '${name}'`;
  }
  if (k === 2 && list.length) {
    list.splice(rng.int(list.length), 1);
    return `node '${n.name}' loses an ${side}`;
  }
  list.length = 0;
  return `node '${n.name}' has no ${side}s`;
};

const opset: Op = (m, _g, rng) => {
  const k = rng.int(4);
  if (k === 0) {
    m.irVersion = rng.pick([0, 1, 2, 3, 4, 7, 8, 9, 10, 99, -1]);
    return `ir_version = ${m.irVersion}`;
  }
  const entries = m.opsetImport ?? [];
  if (k === 1 || !entries.length) {
    m.opsetImport = rng.chance(0.5) ? [] : [...entries, { domain: rng.pick(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']), version: rng.range(-1, 30) }];
    return `opset_import = ${JSON.stringify(m.opsetImport)}`;
  }
  const e = rng.pick(entries);
  if (k === 2) e.version = rng.pick([0, 1, 5, 6, 7, 9, 10, 11, 12, 13, 17, 18, 19, 25, -1, 2 ** 31]);
  else e.domain = rng.pick(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft', 'x']);
  return `opset entry = ${e.domain || "''"} v${e.version}`;
};

const opType: Op = (_m, g, rng) => {
  const nodes = g.node ?? [];
  if (!nodes.length) return null;
  const n = rng.pick(nodes);
  const old = n.opType;
  n.opType = rng.pick(OP_TYPES);
  return `node '${n.name}' ${old} -> ${n.opType}`;
};

const nodeList: Op = (_m, g, rng) => {
  const nodes = [...(g.node ?? [])];
  if (!nodes.length) return null;
  const i = rng.int(nodes.length);
  const k = rng.int(4);
  if (k === 0) nodes.splice(i, 1);
  else if (k === 1) nodes.splice(rng.int(nodes.length + 1), 0, onnx.NodeProto.decode(onnx.NodeProto.encode(nodes[i]!).finish()));
  else if (k === 2) {
    const j = rng.int(nodes.length);
    [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
  } else nodes.reverse();
  g.node = nodes;
  return `node list: ${['delete', 'duplicate', 'swap', 'reverse'][k]} at ${i}`;
};

const graphIO: Op = (_m, g, rng) => {
  const names = valueNames(g);
  const k = rng.int(4);
  if (k === 0 && g.input?.length) { g.input.splice(rng.int(g.input.length), 1); return 'graph input removed'; }
  if (k === 1 && g.output?.length) { g.output.splice(rng.int(g.output.length), 1); return 'graph output removed'; }
  if (k === 2 && names.length) {
    const name = rng.pick(names);
    g.output = [...(g.output ?? []), { name, type: { tensorType: { elemType: 1 } } }];
    return `graph output '${name}' added`;
  }
  if (g.input?.length) {
    g.input.push(onnx.ValueInfoProto.decode(onnx.ValueInfoProto.encode(rng.pick(g.input)).finish()));
    return 'graph input duplicated';
  }
  return null;
};

const external: Op = (_m, g, rng) => {
  const ts = tensors(g);
  if (!ts.length) return null;
  const t = rng.pick(ts);
  t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  const entries: OnnxTypes.IStringStringEntryProto[] = [];
  if (rng.chance(0.9)) entries.push({ key: 'location', value: rng.pick(LOCATIONS) });
  if (rng.chance(0.6)) entries.push({ key: 'offset', value: String(rng.pick([0, 1, 4, 7, -1, 1e300, 2 ** 53])) });
  if (rng.chance(0.6)) entries.push({ key: 'length', value: rng.pick(['0', '4', '16', '-4', 'abc', '1e3', String(2 ** 40)]) });
  t.externalData = entries;
  return `tensor '${t.name}' external ${JSON.stringify(entries.map((e) => e.value))}`;
};

/** Static operands (shape, pads, starts, bounds, axes, split) replaced by a Constant of hostile values. */
const hostileConstant: Op = (_m, g, rng) => {
  const nodes = (g.node ?? []).filter((n) => (n.input?.length ?? 0) > 1 || ['Reshape', 'Pad', 'Slice', 'Clip', 'Squeeze', 'Unsqueeze', 'Split'].includes(n.opType ?? ''));
  if (!nodes.length) return null;
  const n = rng.pick(nodes);
  const slot = rng.range(1, Math.max(1, Math.min(4, n.input?.length ?? 1)));
  const name = `fuzz_const_${rng.int(1e6)}`;
  const asFloat = rng.chance(0.35);
  const vals = asFloat ? Array.from({ length: rng.int(5) }, () => rng.pick(FLOATS)) : ints(rng);
  const scalar = rng.chance(0.3) && vals.length === 1;
  const t: Tensor = asFloat
    ? { dims: scalar ? [] : [vals.length], dataType: 1, floatData: vals }
    : { dims: scalar ? [] : [vals.length], dataType: 7, int64Data: vals };
  const c: OnnxTypes.INodeProto = { name: `${name}_node`, opType: 'Constant', output: [name], attribute: [{ name: 'value', type: AT.TENSOR, t }] };
  const inputs = [...(n.input ?? [])];
  while (inputs.length <= slot) inputs.push('');
  inputs[slot] = name;
  n.input = inputs;
  g.node = [c, ...(g.node ?? [])];
  return `node '${n.name}' (${n.opType}) input ${slot} = const [${vals.join(',')}]`;
};

const OPS: readonly [Op, number][] = [
  [tensorDims, 4], [tensorType, 2], [tensorData, 3], [valueInfo, 3], [attribute, 6], [addAttribute, 3], [nodeIO, 5],
  [opset, 2], [opType, 4], [nodeList, 2], [graphIO, 2], [external, 1], [hostileConstant, 5],
];

export function mutateModel(bytes: Uint8Array, rng: Rng): Mutated | null {
  let m: Model;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch {
    return null;
  }
  if (!m.graph) return null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const op = OPS[rng.weighted(OPS.map(([, w]) => w))]![0];
    const what = op(m, m.graph, rng);
    if (what) return { bytes: onnx.ModelProto.encode(m).finish(), what: `model: ${what}` };
  }
  return null;
}
