// Stage: IR core. The lowering IR graph: nodes over named tensor values with static shapes and dtypes.
// Contract: nodes are kept in topological order by every producer of a Graph; names of nodes and values are unique.

import type { DType, Tensor } from './tensor.js';

/** Attribute values after import normalisation; the op table says which type each attribute has. */
export type AttrValue = number | number[] | string;

export interface Node {
  /** Unique node name (import invents `<op>_<k>` for unnamed ONNX nodes). */
  name: string;
  /** Op type, a key of the op table (ONNX spelling). */
  op: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /** Provenance: names of the source-model nodes this node was derived from (absent = itself). */
  origin?: string[];
}

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: number[];
}

export interface Graph {
  name: string;
  /** Runtime inputs (never initializers). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Constant tensors by value name. */
  initializers: Map<string, Tensor>;
  /** Topologically ordered. */
  nodes: Node[];
  /** Type and shape of every value: inputs, initializers and node outputs. */
  values: Map<string, ValueInfo>;
  /** Default-domain opset the model was imported from (informational; the IR itself is opset-free). */
  opset: number;
  /** Free-form provenance (source file, producer). */
  meta: Record<string, string>;
}

export function emptyGraph(name = 'graph'): Graph {
  return { name, inputs: [], outputs: [], initializers: new Map(), nodes: [], values: new Map(), opset: 13, meta: {} };
}

/** Shallow-structural copy: nodes, attrs and maps are new; tensors are shared (they are immutable). */
export function cloneGraph(g: Graph): Graph {
  return {
    name: g.name,
    inputs: g.inputs.map((v) => ({ ...v, shape: [...v.shape] })),
    outputs: g.outputs.map((v) => ({ ...v, shape: [...v.shape] })),
    initializers: new Map(g.initializers),
    nodes: g.nodes.map(cloneNode),
    values: new Map([...g.values].map(([k, v]) => [k, { ...v, shape: [...v.shape] }])),
    opset: g.opset,
    meta: { ...g.meta },
  };
}

export function cloneNode(n: Node): Node {
  const attrs: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(n.attrs)) attrs[k] = Array.isArray(v) ? [...v] : v;
  const out: Node = { name: n.name, op: n.op, inputs: [...n.inputs], outputs: [...n.outputs], attrs };
  if (n.origin) out.origin = [...n.origin];
  return out;
}

/** Map from value name to the node producing it. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from value name to the nodes consuming it (a node appears once per input slot using it). */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

export function isGraphOutput(g: Graph, value: string): boolean {
  return g.outputs.some((o) => o.name === value);
}

/** The source nodes a derived node stands for. */
export function originOf(n: Node): string[] {
  return n.origin ?? [n.name];
}
