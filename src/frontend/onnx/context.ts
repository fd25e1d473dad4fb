// Stage: frontend (ONNX). Import state while canonicalising: known values, constants, emitted IR nodes, constant folding.
// Contract: emit() either folds a node whose inputs are all constant (through the op table's evaluate) or appends it
// with inferred output types; every failure is a DspcError naming the file and the source node.

import { DspcError, isDspcError } from '../../ir/errors.js';
import { emptyGraph, type AttrValue, type Graph, type Node, type ValueInfo } from '../../ir/graph.js';
import { inferNode } from '../../ir/infer.js';
import { opDef } from '../../ir/optable.js';
import { evaluateNode } from '../../ir/interpret.js';
import { DTYPE_BYTES, numel, type DType, type Tensor } from '../../ir/tensor.js';
import type { RawAttr, RawNode } from './rawgraph.js';
import { DEFAULT_MAX_TENSOR_BYTES, MAX_TENSOR_ELEMENTS, formatBytes } from './limits.js';

/**
 * ONNX type constraints: inputs bound to the same type variable T as input 0 (all inputs when 'all'). The op table
 * computes on input 0's type, so a mismatched weight or bias would reach the interpreter and kernels as the wrong type.
 */
const SAME_TYPE_AS_INPUT0: Readonly<Record<string, readonly number[] | 'all'>> = {
  Conv: [1, 2], Gemm: [1, 2], MatMul: [1], BatchNormalization: [1, 2, 3, 4], PRelu: [1],
  Add: [1], Sub: [1], Mul: [1], Div: [1], Concat: 'all', Max: 'all', Min: 'all',
};

export class ImportContext {
  /** Working graph the op table's inference reads: values and constants known so far. */
  private readonly work: Graph = emptyGraph();
  readonly values: Map<string, ValueInfo> = this.work.values;
  readonly consts: Map<string, Tensor> = this.work.initializers;
  /** Value renames: an Identity on a constant makes its consumers read the constant directly. */
  readonly alias = new Map<string, string>();
  readonly nodes: Node[] = [];
  private readonly nodeNames = new Set<string>();
  private readonly valueNames = new Set<string>();
  /** Every value some ONNX node reads (to refuse optional outputs that are actually consumed). */
  readonly used = new Set<string>();
  /** External data: directory it is relative to, and the byte budget left under the model size limit. */
  baseDir: string | undefined;
  readonly budget: { remaining: number };
  /** Largest tensor any node may produce (checked on inferred types, before folding allocates it). */
  readonly maxTensorBytes: number;

  constructor(
    readonly file: string,
    readonly opset: number,
    readonly graphOutputs: ReadonlySet<string>,
    allNodeNames: Iterable<string>,
    allValueNames: Iterable<string>,
    limits: { baseDir: string | undefined; remaining: number; maxTensorBytes?: number },
  ) {
    this.baseDir = limits.baseDir;
    this.budget = { remaining: limits.remaining };
    this.maxTensorBytes = limits.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
    for (const n of allNodeNames) this.nodeNames.add(n);
    for (const v of allValueNames) this.valueNames.add(v);
  }

  fail(code: DspcError['code'], problem: string, node?: string): never {
    throw new DspcError(code, problem, { file: this.file, node });
  }

  /** Fresh node / value names for nodes the importer adds (e.g. the Softmax-11 lowering). */
  freshNode(base: string): string {
    return fresh(base, this.nodeNames);
  }

  freshValue(base: string): string {
    return fresh(base, this.valueNames);
  }

  resolve(name: string): string {
    return this.alias.get(name) ?? name;
  }

  info(name: string, node: string): ValueInfo {
    const v = this.values.get(this.resolve(name));
    if (!v) this.fail('E_GRAPH', `input '${name}' is not defined`, node);
    return v;
  }

  isConst(name: string): boolean {
    return name === '' || this.consts.has(this.resolve(name));
  }

  constOf(name: string): Tensor | undefined {
    return this.consts.get(this.resolve(name));
  }

  /** A static input (shape, axes, bounds...): undefined when omitted; refused when computed at run time. */
  staticInput(n: RawNode, i: number, what: string): Tensor | undefined {
    const name = n.inputs[i];
    if (!name) return undefined;
    const t = this.constOf(name);
    if (!t) this.fail('E_UNSUPPORTED', `${n.op} ${what} '${name}' is computed at run time; dspc needs it constant`, n.name);
    return t;
  }

  addConst(name: string, t: Tensor): void {
    this.consts.set(name, t);
    this.values.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
  }

  /**
   * Append a canonical node: its types are inferred (and checked against the limits) first, so folding never
   * allocates an unchecked tensor; then it folds when every input is constant and no output is a graph output.
   */
  emit(node: Node): void {
    node.inputs = node.inputs.map((i) => this.resolve(i));
    if (!opDef(node.op)) this.fail('E_UNSUPPORTED', `op ${node.op} has no entry in the op table`, node.name);
    for (const i of node.inputs) if (i) this.info(i, node.name);
    this.checkSameType(node);
    const types = this.guard(node, () => inferNode(this.work, node));
    node.outputs.forEach((o, k) => {
      const t = types[k];
      if (o && t) this.checkShape(o, t.shape, t.dtype, node.name);
    });
    const foldable = node.inputs.length > 0 && node.inputs.every((i) => i === '' || this.consts.has(i))
      && !node.outputs.some((o) => this.graphOutputs.has(o));
    if (foldable) {
      const ins = node.inputs.map((i) => (i === '' ? undefined : this.consts.get(i)));
      const outs = this.guard(node, () => evaluateNode(node, ins));
      node.outputs.forEach((o, k) => {
        if (o && outs[k]) this.addConst(o, outs[k]);
      });
      return;
    }
    node.outputs.forEach((o, k) => {
      const t = types[k];
      if (o && t) this.values.set(o, { name: o, dtype: t.dtype, shape: t.shape });
    });
    this.nodes.push(node);
  }

  /** Shape limits checked by a rule before emitting, where inference itself would cost as much as the tensor (Pad). */
  checkShape(value: string, shape: number[], dtype: DType, node: string): void {
    for (const d of shape) {
      if (!(d >= 1)) this.fail('E_ATTR', `output '${value}' would have dimension ${d} in shape [${shape.join(',')}]`, node);
    }
    const n = numel(shape);
    if (n > MAX_TENSOR_ELEMENTS) {
      this.fail('E_LIMIT', `output '${value}' would have ${n} elements, more than 2^31-1`, node);
    }
    if (n * DTYPE_BYTES[dtype] > this.maxTensorBytes) {
      this.fail('E_LIMIT', `output '${value}' [${shape.join(',')}] would need ${n * DTYPE_BYTES[dtype]} bytes, more than the tensor limit of ${formatBytes(this.maxTensorBytes)}`, node);
    }
  }

  private checkSameType(node: Node): void {
    const spec = SAME_TYPE_AS_INPUT0[node.op];
    if (!spec || !node.inputs[0]) return;
    const want = this.info(node.inputs[0], node.name).dtype;
    const slots = spec === 'all' ? node.inputs.map((_, i) => i) : spec;
    for (const k of slots) {
      const name = node.inputs[k];
      if (!name) continue;
      const got = this.info(name, node.name).dtype;
      if (got !== want) {
        this.fail('E_GRAPH', `${node.op} input ${k} ('${name}') is ${got} but input 0 is ${want}; ONNX requires one element type for both`, node.name);
      }
    }
  }

  private guard<T>(node: Node, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (isDspcError(e)) throw e.file === undefined ? e.withFile(this.file) : e;
      const origin = node.origin?.[0] ?? node.name;
      this.fail('E_GRAPH', `${node.op}: ${(e as Error).message}`, origin);
    }
  }
}

function fresh(base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

// ---- attribute readers over raw ONNX attributes ------------------------------------------------------------------

export function rawInt(n: RawNode, name: string, dflt: number): number;
export function rawInt(n: RawNode, name: string): number | undefined;
export function rawInt(n: RawNode, name: string, dflt?: number): number | undefined {
  const a = n.attrs.get(name);
  if (!a) return dflt;
  if (a.kind === 'int' || a.kind === 'float') return exactInt(n, name, a.v);
  throw attrTypeError(n, name, 'int', a);
}

/**
 * An integer attribute as an exact JS integer: int64 values beyond 2^53 (INT64_MAX "to the end" markers, or garbage)
 * are clamped to +-(2^53-1), which means the same for every dimension dspc can hold and exports back exactly.
 */
export function exactInt(n: RawNode, name: string, v: number): number {
  if (Number.isNaN(v)) throw new DspcError('E_ATTR', `attribute '${name}' is NaN; it must be an integer`, { node: n.name });
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Math.trunc(v)));
}

export function rawFloat(n: RawNode, name: string, dflt: number): number;
export function rawFloat(n: RawNode, name: string): number | undefined;
export function rawFloat(n: RawNode, name: string, dflt?: number): number | undefined {
  const a = n.attrs.get(name);
  if (!a) return dflt;
  if (a.kind === 'float' || a.kind === 'int') return a.v;
  throw attrTypeError(n, name, 'float', a);
}

export function rawInts(n: RawNode, name: string): number[] | undefined {
  const a = n.attrs.get(name);
  if (!a) return undefined;
  if (a.kind === 'ints' || a.kind === 'floats') return a.v.map((v) => exactInt(n, name, v));
  if (a.kind === 'int') return [exactInt(n, name, a.v)];
  throw attrTypeError(n, name, 'ints', a);
}

export function rawString(n: RawNode, name: string, dflt: string): string {
  const a = n.attrs.get(name);
  if (!a) return dflt;
  if (a.kind === 'string') return a.v;
  throw attrTypeError(n, name, 'string', a);
}

function attrTypeError(n: RawNode, name: string, want: string, a: RawAttr): DspcError {
  return new DspcError('E_ATTR', `attribute '${name}' must be ${want}, got ${a.kind}`, { node: n.name });
}

/** Convert a raw attribute to the op table's declared type. */
export function attrAs(n: RawNode, name: string, type: string): AttrValue {
  switch (type) {
    case 'int': return rawInt(n, name)!;
    case 'float': return rawFloat(n, name)!;
    case 'ints': return rawInts(n, name)!;
    case 'floats': {
      const a = n.attrs.get(name)!;
      if (a.kind === 'floats' || a.kind === 'ints') return [...a.v];
      throw attrTypeError(n, name, 'floats', a);
    }
    default: return rawString(n, name, '');
  }
}
