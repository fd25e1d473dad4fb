// Stage: frontend (ONNX). ONNX model file -> canonical, shape-inferred, verified IR graph (docs/ir.md).
// Contract: returns a Graph that passed inferShapes and verifyGraph, or throws a DspcError naming the file (and node).

import * as path from 'node:path';
import { DspcError, isDspcError } from '../../ir/errors.js';
import type { Graph, ValueInfo } from '../../ir/graph.js';
import { inferShapes } from '../../ir/infer.js';
import { verifyGraph } from '../../ir/verify.js';
import { DTYPE_BYTES, type Tensor } from '../../ir/tensor.js';
import { RULES, isSupportedOp, passthrough } from './canon.js';
import { ImportContext } from './context.js';
import { DEFAULT_MAX_MODEL_BYTES, DEFAULT_MAX_TENSOR_BYTES, DEFAULT_MAX_WORK, MAX_TENSOR_ELEMENTS, estimateWork, formatBytes, resolveLimits, type Limits } from './limits.js';
import { cleanError } from './messages.js';
import { decodeModel, readModelFile } from './model.js';
import { dtypeFromOnnx, int64ToNumber, onnxDtypeName } from './proto.js';
import type { OnnxTypes } from './proto.js';
import { checkStructure, checkSupported, rawNodes, type RawNode } from './rawgraph.js';
import { tensorFromProto } from './tensorproto.js';

export interface ImportOptions {
  /** Directory external-data paths are relative to (default: the model file's directory). */
  baseDir?: string;
  /** Refuse models (file plus external data) larger than this; default DEFAULT_MAX_MODEL_BYTES (2 GiB). */
  maxModelBytes?: number;
  /** Refuse any tensor (constant, input, inferred activation) larger than this; default DEFAULT_MAX_TENSOR_BYTES (1 GiB). */
  maxTensorBytes?: number;
  /** Refuse models whose estimated work per inference exceeds this; default DEFAULT_MAX_WORK (1e11 element operations). */
  maxWork?: number;
  /**
   * Graph inputs to freeze as constants. ONNX backend tests feed static operands (Reshape's shape, Clip's bounds) as
   * runtime inputs; the IR resolves those on import, so the caller binds their values here.
   */
  constantInputs?: ReadonlyMap<string, Tensor>;
}

export { DEFAULT_MAX_MODEL_BYTES, DEFAULT_MAX_TENSOR_BYTES, DEFAULT_MAX_WORK };

export function importOnnxFile(file: string, opts: ImportOptions = {}): Graph {
  const max = opts.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES;
  const bytes = readModelFile(file, max);
  return importOnnxBytes(bytes, file, { ...opts, baseDir: opts.baseDir ?? path.dirname(file), maxModelBytes: max });
}

/** Prefix of the catch-all error for exceptions no check anticipated (the fuzzer counts these as crashes). */
export const MALFORMED_PREFIX = 'malformed ONNX model (';

export function importOnnxBytes(bytes: Uint8Array, file: string, opts: ImportOptions = {}): Graph {
  const limits = resolveLimits(opts);
  if (bytes.length > limits.maxModelBytes) {
    throw new DspcError('E_LIMIT', `model has ${bytes.length} bytes, more than the limit of ${limits.maxModelBytes} bytes (${formatBytes(limits.maxModelBytes)})`, { file });
  }
  try {
    return build(bytes, file, opts.baseDir, limits, opts.constantInputs ?? new Map());
  } catch (e) {
    if (isDspcError(e)) throw cleanError(e, file);
    // Anything else means a model shape the checks above did not anticipate: still a typed, one-line error.
    throw cleanError(new DspcError('E_PARSE', `${MALFORMED_PREFIX}${(e as Error).message})`, { file }), file);
  }
}

/** Every node reads a data input 0 (Constant excepted) and writes a named output 0: the rules rely on both. */
function checkArity(raw: RawNode[], file: string): void {
  for (const n of raw) {
    if (n.op !== 'Constant' && !n.inputs[0]) throw new DspcError('E_GRAPH', `${n.op} has no data input (input 0 is missing or empty)`, { file, node: n.name });
    if (!n.outputs[0]) throw new DspcError('E_GRAPH', `${n.op} has no output (output 0 is missing or empty)`, { file, node: n.name });
  }
}

function build(bytes: Uint8Array, file: string, baseDir: string | undefined, limits: Limits, frozen: ReadonlyMap<string, Tensor>): Graph {
  const { model, graph, opset } = decodeModel(bytes, file);
  const raw = rawNodes(graph);
  checkSupported(raw, isSupportedOp, file);
  checkArity(raw, file);

  const budget = limits.maxModelBytes - bytes.length;
  const site = { file, baseDir, budget: { remaining: budget }, maxTensorBytes: limits.maxTensorBytes };
  const inits = new Map<string, Tensor>();
  for (const tp of graph.initializer ?? []) {
    const name = tp.name ?? '';
    if (!name) throw new DspcError('E_GRAPH', 'an initializer has no name', { file });
    if (inits.has(name)) throw new DspcError('E_GRAPH', `initializer '${name}' is defined twice`, { file });
    inits.set(name, tensorFromProto(tp, site));
  }
  const meta: Record<string, string> = { source: file };
  const producer = `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim();
  if (producer) meta['producer'] = producer;
  // IR-3 models list every initializer as a graph input too: those are constants, not runtime inputs.
  const declared = (graph.input ?? []).filter((v) => !inits.has(v.name ?? '')).map((v) => inputInfo(v, file, meta, limits.maxTensorBytes));
  const inputs = declared.filter((v) => !frozen.has(v.name));
  for (const v of declared) {
    const t = frozen.get(v.name);
    if (!t) continue;
    if (t.dtype !== v.dtype || t.dims.length !== v.shape.length || t.dims.some((d, i) => d !== v.shape[i] && !(i === 0 && meta['batch'])) ) {
      throw new DspcError('E_GRAPH', `constant for input '${v.name}' is ${t.dtype}[${t.dims.join(',')}], the model declares ${v.dtype}[${v.shape.join(',')}]`, { file });
    }
    inits.set(v.name, t);
  }
  const outputNames = (graph.output ?? []).map((v) => v.name ?? '');

  const defined = new Set<string>([...inputs.map((i) => i.name), ...inits.keys()]);
  if (defined.size !== inputs.length + inits.size) throw new DspcError('E_GRAPH', 'a graph input name is used twice', { file });
  const sorted = checkStructure(raw, defined, outputNames, file);

  const valueNames = [...defined, ...raw.flatMap((n) => n.outputs)];
  const cx = new ImportContext(file, opset, new Set(outputNames), raw.map((n) => n.name), valueNames, { baseDir, remaining: budget, maxTensorBytes: limits.maxTensorBytes });
  for (const n of raw) for (const i of n.inputs) if (i) cx.used.add(i);
  cx.budget.remaining = site.budget.remaining;
  for (const v of inputs) cx.values.set(v.name, v);
  for (const [name, t] of inits) cx.addConst(name, t);
  for (const n of sorted) (RULES[n.op] ?? passthrough)(n, cx);

  const g = assemble(cx, graph, inputs, outputNames, opset, meta);
  checkDeclaredOutputs(g, graph.output ?? [], file);
  inferShapes(g);
  verifyGraph(g, { stage: 'import', file });
  const work = estimateWork(g);
  if (work > limits.maxWork) {
    throw new DspcError('E_LIMIT', `one inference needs about ${work.toExponential(2)} element operations, more than the limit of ${limits.maxWork.toExponential(2)}`, { file });
  }
  return g;
}

/** Graph input type: static dims; a symbolic first dim is the batch and becomes 1 (recorded in meta). */
function inputInfo(v: OnnxTypes.IValueInfoProto, file: string, meta: Record<string, string>, maxBytes: number): ValueInfo {
  const name = v.name ?? '';
  const tt = v.type?.tensorType;
  if (!name || !tt) throw new DspcError('E_UNSUPPORTED', `graph input '${name}' is not a tensor`, { file });
  const dtype = dtypeFromOnnx(tt.elemType ?? 0);
  if (!dtype) throw new DspcError('E_UNSUPPORTED', `graph input '${name}' has element type ${onnxDtypeName(tt.elemType ?? 0)}`, { file });
  if (!tt.shape) throw new DspcError('E_UNSUPPORTED', `graph input '${name}' has no shape; dspc needs static shapes`, { file });
  const shape = (tt.shape.dim ?? []).map((d, i) => {
    if (d.dimValue != null && (d as { value?: string }).value !== 'dimParam') {
      const n = int64ToNumber(d.dimValue);
      if (n <= 0) throw new DspcError('E_ATTR', `graph input '${name}' has dimension ${n} at axis ${i}; dims must be positive`, { file });
      return n;
    }
    if (i !== 0) {
      throw new DspcError('E_UNSUPPORTED', `graph input '${name}' has a dynamic dimension${d.dimParam ? ` '${d.dimParam}'` : ''} at axis ${i}; only a dynamic batch (axis 0) is supported`, { file });
    }
    meta['batch'] = `${meta['batch'] ? `${meta['batch']}; ` : ''}input '${name}' dim 0${d.dimParam ? ` '${d.dimParam}'` : ''} set to 1`;
    return 1;
  });
  const n = shape.reduce((p, d) => p * d, 1);
  if (n > MAX_TENSOR_ELEMENTS) throw new DspcError('E_LIMIT', `graph input '${name}' has ${n} elements, more than the limit of 2^31-1`, { file });
  if (n * DTYPE_BYTES[dtype] > maxBytes) {
    throw new DspcError('E_LIMIT', `graph input '${name}' [${shape.join(',')}] needs ${n * DTYPE_BYTES[dtype]} bytes, more than the tensor limit of ${formatBytes(maxBytes)}`, { file });
  }
  return { name, dtype, shape };
}

function assemble(cx: ImportContext, graph: OnnxTypes.IGraphProto, inputs: ValueInfo[], outputs: string[], opset: number, meta: Record<string, string>): Graph {
  const produced = new Set(cx.nodes.flatMap((n) => n.outputs));
  for (const o of outputs) {
    if (!produced.has(o)) {
      const why = cx.consts.has(o) ? 'is a constant (folded on import)' : 'is not computed by any node';
      throw new DspcError('E_UNSUPPORTED', `graph output '${o}' ${why}; dspc needs outputs computed from the inputs`, { file: cx.file });
    }
  }
  // Constants only read while canonicalising (shapes, axes, bounds, folded subgraphs) are dropped.
  const referenced = new Set(cx.nodes.flatMap((n) => n.inputs));
  const initializers = new Map<string, Tensor>();
  for (const [name, t] of cx.consts) if (referenced.has(name)) initializers.set(name, t);
  const values = new Map<string, ValueInfo>();
  for (const v of inputs) values.set(v.name, v);
  for (const name of initializers.keys()) values.set(name, cx.values.get(name)!);
  for (const n of cx.nodes) for (const o of n.outputs) if (o) values.set(o, cx.values.get(o)!);
  return {
    name: graph.name || 'graph',
    inputs,
    outputs: outputs.map((o) => ({ ...cx.values.get(o)!, shape: [...cx.values.get(o)!.shape] })),
    initializers,
    nodes: cx.nodes,
    values,
    opset,
    meta,
  };
}

/** Declared static output shapes must agree with inference (symbolic dims are skipped). */
function checkDeclaredOutputs(g: Graph, declared: OnnxTypes.IValueInfoProto[], file: string): void {
  for (const d of declared) {
    const dims = d.type?.tensorType?.shape?.dim;
    const got = g.values.get(d.name ?? '');
    if (!dims || !got || dims.length === 0) continue;
    const mismatch = dims.length !== got.shape.length || dims.some((x, i) => {
      const isValue = x.dimValue != null && (x as { value?: string }).value !== 'dimParam';
      return isValue && int64ToNumber(x.dimValue) !== got.shape[i] && int64ToNumber(x.dimValue) > 0;
    });
    if (mismatch) {
      const decl = dims.map((x) => (x.dimParam ? x.dimParam : int64ToNumber(x.dimValue))).join(',');
      throw new DspcError('E_GRAPH', `graph output '${d.name}' is declared [${decl}] but computes [${got.shape.join(',')}]`, { file });
    }
  }
}
