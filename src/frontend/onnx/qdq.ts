// Stage: frontend (ONNX). A float graph plus its quantization -> an ONNX QDQ model: QuantizeLinear/DequantizeLinear
// around every runtime value (same scales and zero points), int8 weights and int32 biases behind DequantizeLinear.
// Contract: value names are kept (each producer writes '<v>__float', the DequantizeLinear writes '<v>'), so graph
// inputs/outputs keep their names; ONNX Runtime runs the result with its own (float or QLinear) kernels.

import type { Graph } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { exportOnnx } from './export.js';
import { onnx } from './proto.js';
import type { OnnxTypes } from './proto.js';
import { tensorToProto } from './tensorproto.js';

/** Quantization of one runtime value (int8 codes: real = scale * (code - zeroPoint)). */
export interface QdqValue {
  scale: number;
  zeroPoint: number;
}

/** A constant input of a node replaced by integer codes behind a per-channel DequantizeLinear. */
export interface QdqConstant {
  /** Input position in the node. */
  input: number;
  codes: Int8Array | Int32Array;
  dims: number[];
  /** One scale per channel of `axis` (zero points are 0). */
  scales: ArrayLike<number>;
  axis: number;
}

export interface QdqSpec {
  /** Every runtime value to quantize, graph inputs included. */
  values: ReadonlyMap<string, QdqValue>;
  /** Node name -> its quantized constants, and attributes to set on it (e.g. Gemm transB once weights are [C_out, K]). */
  constants: ReadonlyMap<string, { inputs: QdqConstant[]; attrs?: Record<string, number> }>;
}

/** Attributes the overrides may set that ONNX types as float (Gemm alpha/beta); the rest are ints. */
const FLOAT_ATTRS: ReadonlySet<string> = new Set(['alpha', 'beta']);

/** QDQ needs per-axis DequantizeLinear: opset 13. */
export const QDQ_OPSET = 13;

function scalarF(name: string, v: number): OnnxTypes.TensorProto {
  return tensorToProto(name, { dtype: 'float32', dims: [], data: Float32Array.of(v) });
}

function tensor(name: string, t: Tensor): OnnxTypes.TensorProto {
  return tensorToProto(name, t);
}

/** The QDQ model of `g` as ONNX bytes. */
export function exportQdq(g: Graph, spec: QdqSpec): Uint8Array {
  const model = onnx.ModelProto.decode(exportOnnx(g));
  const graph = model.graph!;
  const inits: OnnxTypes.ITensorProto[] = [...(graph.initializer ?? [])];
  const nodes: OnnxTypes.INodeProto[] = [];
  const qdq = (x: string, y: string, v: string, q: QdqValue): void => {
    inits.push(scalarF(`${v}__scale`, q.scale), tensor(`${v}__zp`, { dtype: 'int8', dims: [], data: Int8Array.of(q.zeroPoint) }));
    nodes.push(
      onnx.NodeProto.create({ name: `${v}__Q`, opType: 'QuantizeLinear', input: [x, `${v}__scale`, `${v}__zp`], output: [`${v}__q`] }),
      onnx.NodeProto.create({ name: `${v}__DQ`, opType: 'DequantizeLinear', input: [`${v}__q`, `${v}__scale`, `${v}__zp`], output: [y] }),
    );
  };
  const renamedInputs = new Map<string, string>();
  for (const inp of graph.input ?? []) {
    const q = spec.values.get(inp.name!);
    if (!q) continue;
    qdq(inp.name!, `${inp.name!}__dq`, inp.name!, q);
    renamedInputs.set(inp.name!, `${inp.name!}__dq`);
  }
  const replaced = new Set<string>();
  for (const n of graph.node ?? []) {
    const input = (n.input ?? []).map((x) => renamedInputs.get(x) ?? x);
    const c = spec.constants.get(n.name!);
    for (const k of c?.inputs ?? []) {
      const base = `${n.name!}__c${k.input}`;
      const zeros = k.codes instanceof Int8Array ? new Int8Array(k.scales.length) : new Int32Array(k.scales.length);
      inits.push(
        tensor(`${base}__codes`, { dtype: k.codes instanceof Int8Array ? 'int8' : 'int32', dims: k.dims, data: k.codes }),
        tensor(`${base}__scale`, { dtype: 'float32', dims: [k.scales.length], data: Float32Array.from(k.scales) }),
        tensor(`${base}__zp`, { dtype: k.codes instanceof Int8Array ? 'int8' : 'int32', dims: [k.scales.length], data: zeros }),
      );
      nodes.push(onnx.NodeProto.create({
        name: `${base}__DQ`, opType: 'DequantizeLinear', input: [`${base}__codes`, `${base}__scale`, `${base}__zp`], output: [base],
        attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: k.axis })],
      }));
      replaced.add(input[k.input]!);
      input[k.input] = base;
    }
    const attribute = (n.attribute ?? []).filter((a) => !(c?.attrs && a.name! in c.attrs));
    for (const [name, v] of Object.entries(c?.attrs ?? {})) {
      const AT = onnx.AttributeProto.AttributeType;
      attribute.push(onnx.AttributeProto.create(FLOAT_ATTRS.has(name) ? { name, type: AT.FLOAT, f: v } : { name, type: AT.INT, i: v }));
    }
    const output = (n.output ?? []).map((o) => (o && spec.values.has(o) ? `${o}__float` : o));
    nodes.push(onnx.NodeProto.create({ ...n, input, output, attribute }));
    (n.output ?? []).forEach((o) => {
      const q = o ? spec.values.get(o) : undefined;
      if (q) qdq(`${o}__float`, o, o, q);
    });
  }
  // float weights every reader now takes as codes are dropped
  const stillRead = new Set(nodes.flatMap((n) => n.input ?? []));
  graph.initializer = inits.filter((t) => !replaced.has(t.name!) || stillRead.has(t.name!)) as OnnxTypes.TensorProto[];
  graph.node = nodes as OnnxTypes.NodeProto[];
  model.opsetImport = [{ domain: '', version: Math.max(QDQ_OPSET, ...(model.opsetImport ?? []).map((o) => Number(o.version ?? 0))) }];
  return onnx.ModelProto.encode(model).finish();
}
