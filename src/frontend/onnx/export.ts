// Stage: frontend (ONNX). Canonical IR graph -> ONNX ModelProto bytes (opset 13, or 14 when an op needs it).
// Contract: deterministic bytes; static attributes that opset 13 takes as inputs become int64/scalar initializers;
// importOnnxBytes(exportOnnx(g)) prints the same IR as g.

import type { AttrValue, Graph, Node, ValueInfo } from '../../ir/graph.js';
import { opDef } from '../../ir/optable.js';
import type { DType, Tensor } from '../../ir/tensor.js';
import { allocData } from '../../ir/tensor.js';
import { ONNX_DTYPE, onnx } from './proto.js';
import type { OnnxTypes } from './proto.js';
import { ORIGIN_DOC_PREFIX } from './rawgraph.js';
import { tensorToProto } from './tensorproto.js';

const AT = onnx.AttributeProto.AttributeType;
export const EXPORT_OPSET = 13;
/** Ops whose first default-domain version is newer than EXPORT_OPSET: the export declares that opset instead. */
const OP_SINCE: Readonly<Record<string, number>> = { HardSwish: 14 };
const INT64_MIN = -(2n ** 63n);

/** Collects the helper initializers an export adds, with names that collide with nothing in the graph. */
class Exporter {
  readonly extra: OnnxTypes.TensorProto[] = [];
  private readonly taken: Set<string>;

  constructor(readonly g: Graph) {
    this.taken = new Set([...g.values.keys(), ...g.initializers.keys()]);
  }

  constant(base: string, t: Tensor): string {
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    this.extra.push(tensorToProto(name, t));
    return name;
  }

  ints(node: Node, what: string, values: readonly number[]): string {
    return this.constant(`${node.name}_${what}`, { dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) });
  }

  /** Scalar of the dtype of `like` (Clip bounds and Pad values must match the data type). */
  scalar(node: Node, what: string, value: number, like: string): string {
    const dtype: DType = this.g.values.get(like)?.dtype ?? 'float32';
    const data = allocData(dtype, 1);
    if (data instanceof BigInt64Array) data[0] = BigInt(value);
    else data[0] = value;
    return this.constant(`${node.name}_${what}`, { dtype, dims: [], data });
  }
}

type Rule = (n: Node, ex: Exporter) => { inputs: string[]; attrs: Record<string, AttrValue> };

function trimOptional(inputs: string[]): string[] {
  let end = inputs.length;
  while (end > 0 && inputs[end - 1] === '') end--;
  return inputs.slice(0, end);
}

const num = (n: Node, k: string, d: number): number => (typeof n.attrs[k] === 'number' ? (n.attrs[k] as number) : d);
const ints = (n: Node, k: string): number[] => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : []);

/** Canonical attributes that ONNX-13 expects as inputs. */
const RULES: Readonly<Record<string, Rule>> = {
  Clip: (n, ex) => {
    const lo = num(n, 'min', -Infinity);
    const hi = num(n, 'max', Infinity);
    const x = n.inputs[0]!;
    const ins = [x, lo === -Infinity ? '' : ex.scalar(n, 'min', lo, x), hi === Infinity ? '' : ex.scalar(n, 'max', hi, x)];
    return { inputs: trimOptional(ins), attrs: {} };
  },
  Reshape: (n, ex) => ({ inputs: [n.inputs[0]!, ex.ints(n, 'shape', ints(n, 'shape'))], attrs: {} }),
  Squeeze: (n, ex) => ({ inputs: [n.inputs[0]!, ex.ints(n, 'axes', ints(n, 'axes'))], attrs: {} }),
  Unsqueeze: (n, ex) => ({ inputs: [n.inputs[0]!, ex.ints(n, 'axes', ints(n, 'axes'))], attrs: {} }),
  Split: (n, ex) => ({ inputs: [n.inputs[0]!, ex.ints(n, 'split', ints(n, 'split'))], attrs: { axis: num(n, 'axis', 0) } }),
  Slice: (n, ex) => {
    const steps = ints(n, 'steps');
    // A canonical end of -1 with a negative step means "before index 0"; ONNX would read -1 as the last index.
    const ends = BigInt64Array.from(ints(n, 'ends'), (e, i) => (e < 0 && steps[i]! < 0 ? INT64_MIN : BigInt(e)));
    const endsName = ex.constant(`${n.name}_ends`, { dtype: 'int64', dims: [ends.length], data: ends });
    return {
      inputs: [n.inputs[0]!, ex.ints(n, 'starts', ints(n, 'starts')), endsName, ex.ints(n, 'axes', ints(n, 'axes')), ex.ints(n, 'steps', steps)],
      attrs: {},
    };
  },
  Pad: (n, ex) => {
    const mode = typeof n.attrs['mode'] === 'string' ? n.attrs['mode'] : 'constant';
    const value = num(n, 'value', 0);
    const ins = [n.inputs[0]!, ex.ints(n, 'pads', ints(n, 'pads'))];
    if (mode === 'constant' && value !== 0) ins.push(ex.scalar(n, 'value', value, n.inputs[0]!));
    return { inputs: ins, attrs: { mode } };
  },
  Dropout: (n, ex) => ({ inputs: [n.inputs[0]!, ex.scalar(n, 'ratio', num(n, 'ratio', 0.5), n.inputs[0]!)], attrs: {} }),
};

function attrProto(op: string, name: string, v: AttrValue): OnnxTypes.AttributeProto {
  const declared = opDef(op)?.attrs[name]?.type;
  const type = declared ?? (typeof v === 'string' ? 'string' : Array.isArray(v) ? 'ints' : Number.isInteger(v) ? 'int' : 'float');
  switch (type) {
    case 'int': return onnx.AttributeProto.create({ name, type: AT.INT, i: v as number });
    case 'float': return onnx.AttributeProto.create({ name, type: AT.FLOAT, f: v as number });
    case 'ints': return onnx.AttributeProto.create({ name, type: AT.INTS, ints: v as number[] });
    case 'floats': return onnx.AttributeProto.create({ name, type: AT.FLOATS, floats: v as number[] });
    default: return onnx.AttributeProto.create({ name, type: AT.STRING, s: new TextEncoder().encode(String(v)) });
  }
}

function nodeProto(n: Node, ex: Exporter): OnnxTypes.NodeProto {
  const rule = RULES[n.op];
  const { inputs, attrs } = rule ? rule(n, ex) : { inputs: n.inputs, attrs: n.attrs };
  const attribute = Object.keys(attrs).sort().map((k) => attrProto(n.op, k, attrs[k]!));
  const docString = n.origin ? `${ORIGIN_DOC_PREFIX}${JSON.stringify(n.origin)}` : '';
  return onnx.NodeProto.create({ name: n.name, opType: n.op, input: inputs, output: n.outputs, attribute, docString });
}

function valueInfo(v: ValueInfo): OnnxTypes.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: { tensorType: { elemType: ONNX_DTYPE[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  });
}

export function exportOnnx(g: Graph): Uint8Array {
  const ex = new Exporter(g);
  const nodes = g.nodes.map((n) => nodeProto(n, ex));
  const opset = Math.max(EXPORT_OPSET, ...g.nodes.map((n) => OP_SINCE[n.op] ?? 0));
  const outputs = new Set(g.outputs.map((o) => o.name));
  const inner = g.nodes.flatMap((n) => n.outputs.filter((o) => o && !outputs.has(o)));
  const graph = onnx.GraphProto.create({
    name: g.name,
    node: nodes,
    initializer: [...[...g.initializers].map(([name, t]) => tensorToProto(name, t)), ...ex.extra],
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    valueInfo: inner.flatMap((o) => (g.values.has(o) ? [valueInfo(g.values.get(o)!)] : [])),
  });
  const model = onnx.ModelProto.create({
    irVersion: opset > 13 ? 8 : 7,
    producerName: 'dspc',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
