// Stage: IR core. The shape of one op-table entry: everything the toolchain knows about an op lives here.
// Contract: entries are declarative data plus pure functions of (node, inputs); no entry reads global state.

import type { AttrValue, Node, ValueInfo } from '../graph.js';
import type { DType, Tensor } from '../tensor.js';

export type AttrType = 'int' | 'float' | 'ints' | 'floats' | 'string';

export interface AttrSpec {
  type: AttrType;
  /** Omitted: the attribute is required. */
  default?: AttrValue;
}

/** What an input is for: data flows at run time; weights/bias/params are constants of the node. */
export type PortRole = 'data' | 'weight' | 'bias' | 'param';

export interface PortSpec {
  name: string;
  role: PortRole;
  optional?: boolean;
  /** Accepts any number of inputs from here on (Concat). */
  variadic?: boolean;
}

export type OpCategory = 'compute' | 'activation' | 'pool' | 'elementwise' | 'movement' | 'normalization' | 'other';

/** Static information inference sees for one input: type/shape, and the constant value when it is an initializer. */
export interface InferInput {
  info: ValueInfo;
  value?: Tensor;
}

export interface OutputType {
  dtype: DType;
  shape: number[];
}

export interface OpDef {
  type: string;
  category: OpCategory;
  summary: string;
  inputs: PortSpec[];
  outputs: PortSpec[];
  attrs: Record<string, AttrSpec>;
  /** Pointwise unary activation of input 0 (possibly with per-channel params), a candidate for chain fusion. */
  activation: boolean;
  /** Non-decreasing in its data input for this node's parameters (MaxPool commutes with exactly these). */
  monotone: (node: Node, params: (Tensor | undefined)[]) => boolean;
  /** Output values are a subset of the input values (plus a pad constant): ranges pass through unchanged. */
  valuePreserving: boolean;
  /**
   * The output is the input's row-major buffer under another shape (nothing moves): the backend lowers the node to
   * no kernel at all, its output aliasing its input.
   */
  view: boolean;
  /** Output types; throws a message string (via Error) naming the problem when inputs are inconsistent. */
  infer: (node: Node, inputs: (InferInput | undefined)[]) => OutputType[];
  /** Float reference semantics on concrete tensors (undefined = omitted optional input). */
  evaluate: (node: Node, inputs: (Tensor | undefined)[]) => Tensor[];
  /** Multiply-accumulates for one inference, from static shapes (0 for ops that do none). */
  macs: (node: Node, inputs: ValueInfo[], outputs: ValueInfo[]) => number;
  /** Extra attribute validation beyond types; returns a problem description or null. */
  check?: (node: Node) => string | null;
}

/** Attribute accessors that apply op-table defaults; used by every stage instead of raw attrs[...] reads. */
export function attrOf(def: OpDef, node: Node, name: string): AttrValue {
  const v = node.attrs[name];
  if (v !== undefined) return v;
  const spec = def.attrs[name];
  if (!spec) throw new Error(`op ${def.type} has no attribute '${name}'`);
  if (spec.default === undefined) throw new Error(`required attribute '${name}' missing`);
  return spec.default;
}
