// Stage: frontend (ONNX). The ONNX graph before canonicalisation: named nodes with decoded attributes, checked and sorted.
// Contract: after checkStructure every value is defined exactly once, nodes are in topological order, node names are unique.

import { DspcError } from '../../ir/errors.js';
import type { AttrValue, Node } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { int64ToNumber, onnx } from './proto.js';
import type { OnnxTypes } from './proto.js';
import { isDefaultDomain } from './model.js';
import { tensorFromProto, type TensorSite } from './tensorproto.js';

const AT = onnx.AttributeProto.AttributeType;

export type RawAttr =
  | { kind: 'float'; v: number }
  | { kind: 'int'; v: number }
  | { kind: 'string'; v: string }
  | { kind: 'floats'; v: number[] }
  | { kind: 'ints'; v: number[] }
  | { kind: 'strings'; v: string[] }
  | { kind: 'tensor'; v: OnnxTypes.ITensorProto }
  | { kind: 'other'; v: string };

export interface RawNode {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  /** '' marks an omitted optional output. */
  outputs: string[];
  attrs: Map<string, RawAttr>;
  /** Provenance written by dspc's exporter into doc_string (so import -> export -> import keeps Node.origin). */
  origin?: string[];
}

/** doc_string prefix under which the exporter stores Node.origin as JSON. */
export const ORIGIN_DOC_PREFIX = 'dspc-origin:';

function originFromDoc(doc: string | null | undefined): string[] | undefined {
  if (!doc || !doc.startsWith(ORIGIN_DOC_PREFIX)) return undefined;
  try {
    const v: unknown = JSON.parse(doc.slice(ORIGIN_DOC_PREFIX.length));
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The IR node standing for ONNX node n (an origin exported by dspc is carried over). */
export function irNode(n: RawNode, op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue>): Node {
  const node: Node = { name: n.name, op, inputs, outputs, attrs };
  if (n.origin) node.origin = [...n.origin];
  return node;
}

const utf8 = new TextDecoder();

/** The attribute's value by its declared type (or by whichever field is set, for old models without `type`). */
function decodeAttr(a: OnnxTypes.IAttributeProto): RawAttr {
  const t = a.type ?? AT.UNDEFINED;
  if (t === AT.FLOAT || (t === AT.UNDEFINED && a.f != null && a.f !== 0)) return { kind: 'float', v: a.f ?? 0 };
  if (t === AT.INT || (t === AT.UNDEFINED && a.i != null && int64ToNumber(a.i) !== 0)) return { kind: 'int', v: int64ToNumber(a.i) };
  if (t === AT.STRING || (t === AT.UNDEFINED && a.s && a.s.length)) return { kind: 'string', v: utf8.decode(a.s ?? new Uint8Array()) };
  if (t === AT.TENSOR || (t === AT.UNDEFINED && a.t)) return { kind: 'tensor', v: a.t ?? {} };
  if (t === AT.FLOATS || (t === AT.UNDEFINED && a.floats?.length)) return { kind: 'floats', v: [...(a.floats ?? [])] };
  if (t === AT.INTS || (t === AT.UNDEFINED && a.ints?.length)) return { kind: 'ints', v: (a.ints ?? []).map(int64ToNumber) };
  if (t === AT.STRINGS) return { kind: 'strings', v: (a.strings ?? []).map((s) => utf8.decode(s)) };
  if (t === AT.UNDEFINED) return { kind: 'float', v: 0 };
  return { kind: 'other', v: AT[t] ?? `type ${t}` };
}

/** Node list with decoded attributes and unique names (unnamed nodes become `<OpType>_<k>`). */
export function rawNodes(graph: OnnxTypes.IGraphProto): RawNode[] {
  const protos = graph.node ?? [];
  const taken = new Set<string>();
  for (const p of protos) if (p.name) taken.add(p.name);
  const counters = new Map<string, number>();
  const used = new Set<string>();
  const fresh = (base: string, numbered: boolean): string => {
    if (!numbered && !used.has(base)) return base;
    let k = counters.get(base) ?? 0;
    let name = `${base}_${k}`;
    while (taken.has(name) || used.has(name)) name = `${base}_${++k}`;
    counters.set(base, k + 1);
    return name;
  };
  return protos.map((p) => {
    const op = p.opType ?? '';
    // A duplicated ONNX node name (legal in ONNX) gets a numbered suffix so IR names stay unique.
    const name = p.name ? fresh(p.name, false) : fresh(op || 'Node', true);
    used.add(name);
    const attrs = new Map<string, RawAttr>();
    for (const a of p.attribute ?? []) attrs.set(a.name ?? '', decodeAttr(a));
    const raw: RawNode = { name, op, domain: p.domain ?? '', inputs: [...(p.input ?? [])], outputs: [...(p.output ?? [])], attrs };
    const origin = originFromDoc(p.docString);
    if (origin) raw.origin = origin;
    return raw;
  });
}

/** Every unsupported op type with its node names, in ONE error (issue 2 item 7). */
export function checkSupported(nodes: RawNode[], supported: (op: string) => boolean, file: string): void {
  const bad = new Map<string, string[]>();
  for (const n of nodes) {
    const key = isDefaultDomain(n.domain) ? n.op : `${n.domain}.${n.op}`;
    if (isDefaultDomain(n.domain) && supported(n.op)) continue;
    const list = bad.get(key);
    if (list) list.push(n.name);
    else bad.set(key, [n.name]);
  }
  if (bad.size === 0) return;
  const parts = [...bad].map(([op, names]) => `${op} (${names.map((s) => `'${s}'`).join(', ')})`);
  const total = [...bad.values()].reduce((s, l) => s + l.length, 0);
  throw new DspcError('E_UNSUPPORTED', `unsupported op${bad.size > 1 ? 's' : ''}: ${parts.join('; ')}`, {
    file, node: total === 1 ? [...bad.values()][0]![0] : undefined,
  });
}

/**
 * Structural checks on the ONNX graph: every value defined once (graph inputs, initializers, node outputs), every
 * node input and graph output defined, no cycle. Returns the nodes in a topological order (stable: the file's
 * order whenever it already is one).
 */
export function checkStructure(nodes: RawNode[], defined: Set<string>, outputs: string[], file: string): RawNode[] {
  const producer = new Map<string, RawNode>();
  for (const n of nodes) {
    for (const o of n.outputs) {
      if (!o) continue;
      const prev = producer.get(o);
      if (prev || defined.has(o)) {
        const other = prev ? `node '${prev.name}'` : 'a graph input or initializer';
        throw new DspcError('E_GRAPH', `output '${o}' is already defined by ${other}`, { file, node: n.name });
      }
      producer.set(o, n);
    }
  }
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (i && !producer.has(i) && !defined.has(i)) {
        throw new DspcError('E_GRAPH', `input '${i}' is not defined by any node, initializer or graph input`, { file, node: n.name });
      }
    }
  }
  for (const o of outputs) {
    if (!producer.has(o) && !defined.has(o)) throw new DspcError('E_GRAPH', `graph output '${o}' is never produced`, { file });
  }
  return topoSort(nodes, producer, file);
}

function topoSort(nodes: RawNode[], producer: Map<string, RawNode>, file: string): RawNode[] {
  const index = new Map(nodes.map((n, i) => [n, i]));
  const pending = new Int32Array(nodes.length);
  const users: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const inp of n.inputs) {
      const p = inp ? producer.get(inp) : undefined;
      if (p) {
        pending[i]!++;
        users[index.get(p)!]!.push(i);
      }
    }
  });
  // Min-index ready list keeps the file's order when it is already topological (the usual case, O(n) then).
  const out: RawNode[] = [];
  const ready: number[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) if (pending[i] === 0) ready.push(i);
  while (ready.length) {
    const i = ready.pop()!;
    out.push(nodes[i]!);
    const next: number[] = [];
    for (const u of users[i]!) if (--pending[u]! === 0) next.push(u);
    next.sort((a, b) => b - a);
    for (const u of next) insertDesc(ready, u);
  }
  if (out.length !== nodes.length) {
    const stuck = onCycle(nodes, pending, users).map((i) => nodes[i]!.name);
    throw new DspcError('E_GRAPH', `the graph has a cycle through node${stuck.length > 1 ? 's' : ''} ${stuck.map((s) => `'${s}'`).join(', ')}`, {
      file, node: stuck[0],
    });
  }
  return out;
}

/** Unsorted nodes minus those merely downstream of a cycle: repeatedly drop nodes feeding no other unsorted node. */
function onCycle(nodes: RawNode[], pending: Int32Array, users: number[][]): number[] {
  const left = new Set<number>();
  nodes.forEach((_, i) => { if (pending[i]! > 0) left.add(i); });
  for (let changed = true; changed;) {
    changed = false;
    for (const i of left) {
      if (!users[i]!.some((u) => left.has(u))) {
        left.delete(i);
        changed = true;
      }
    }
  }
  return [...left].sort((a, b) => a - b);
}

/** Keep `ready` sorted descending so pop() yields the smallest index. */
function insertDesc(ready: number[], v: number): void {
  if (ready.length === 0 || ready[ready.length - 1]! > v) {
    ready.push(v);
    return;
  }
  let lo = 0;
  let hi = ready.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ready[mid]! > v) lo = mid + 1;
    else hi = mid;
  }
  ready.splice(lo, 0, v);
}

/** Decode a tensor-valued attribute (Constant `value`). */
export function attrTensor(a: RawAttr, site: TensorSite): Tensor {
  if (a.kind !== 'tensor') throw new DspcError('E_ATTR', `expected a tensor attribute, got ${a.kind}`, site);
  return tensorFromProto(a.v, site);
}
