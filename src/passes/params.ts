// Stage: graph passes, fusion algebra. Reads activation nodes into per-element normal forms (ONNX broadcasting) and back.
// Contract: the family table below is the only place that knows how Relu/LeakyRelu/PRelu/Clip map to the normal form.

import type { Node } from '../ir/graph.js';
import { opDef } from '../ir/optable.js';
import { attrOf } from '../ir/ops/types.js';
import type { Tensor } from '../ir/tensor.js';
import { numel, strides } from '../ir/tensor.js';
import type { ChannelRange, NormalElem } from './algebra.js';
import { ElemChain, NF, channelInterval } from './algebra.js';
import type { Choice, Composite } from './kernel-choice.js';

/** An activation's parameters: `shape` is right-aligned to the data's rank (1 = uniform along that axis). */
export interface ActForm {
  op: string;
  shape: number[];
  elems: NormalElem[];
  /** Set on forms from a FormCache: equal ids mean equal forms (plan memo keys). */
  id?: number;
}

type Reader = (node: Node, param: (name: string) => Tensor | undefined) => { shape: number[]; elems: NormalElem[] } | null;

function attrNumber(node: Node, name: string): number {
  const v = attrOf(opDef(node.op)!, node, name);
  if (typeof v !== 'number') throw new Error(`attribute '${name}' of ${node.name} is not a number`);
  return v;
}

/** How each member of the piecewise-linear family reads into the normal form. Slopes and bounds round to float32. */
const FAMILY: Readonly<Record<string, Reader>> = {
  Relu: () => ({ shape: [], elems: [NF.relu()] }),
  LeakyRelu: (node) => ({ shape: [], elems: [NF.leaky(attrNumber(node, 'alpha'))] }),
  Clip: (node) => ({ shape: [], elems: [NF.clip(attrNumber(node, 'min'), attrNumber(node, 'max'))] }),
  PRelu: (node, param) => {
    const t = node.inputs[1] ? param(node.inputs[1]) : undefined;
    if (!t || (t.dtype !== 'float32' && t.dtype !== 'float64')) return null; // runtime slopes: not fusable
    const elems: NormalElem[] = new Array(t.data.length);
    for (let i = 0; i < t.data.length; i++) elems[i] = NF.leaky(Number(t.data[i]));
    return { shape: [...t.dims], elems };
  },
};

export function isPiecewiseLinear(op: string): boolean {
  return op in FAMILY;
}

/** The node's normal form against data of rank `rank`, or null when the node is outside the family. */
export function actForm(node: Node, param: (name: string) => Tensor | undefined, rank: number): ActForm | null {
  const read = FAMILY[node.op];
  if (!read) return null;
  const f = read(node, param);
  if (!f || f.shape.length > rank) return null;
  const shape = [...new Array<number>(rank - f.shape.length).fill(1), ...f.shape];
  return { op: node.op, shape, elems: f.elems };
}

/**
 * One ActForm per distinct (op, parameters, rank): a million-node graph has a handful of distinct activations, and
 * forms are read-only. PRelu slopes are keyed by their tensor object (initializers are immutable).
 */
export class FormCache {
  private readonly scalar = new Map<string, Map<number, Map<number, Map<number, ActForm>>>>();
  private readonly tensors = new WeakMap<Tensor, Map<number, ActForm | null>>();
  /** Every form handed out, by id (callers may keep ids in typed arrays instead of a million-entry object array). */
  private readonly byId: ActForm[] = [];

  constructor(private readonly param: (name: string) => Tensor | undefined) {}

  get(node: Node, rank: number): ActForm | null {
    if (node.op === 'PRelu') {
      const t = node.inputs[1] ? this.param(node.inputs[1]) : undefined;
      if (!t) return null;
      let byRank = this.tensors.get(t);
      if (!byRank) this.tensors.set(t, (byRank = new Map()));
      if (!byRank.has(rank)) byRank.set(rank, this.stamp(actForm(node, this.param, rank)));
      return byRank.get(rank)!;
    }
    if (!FAMILY[node.op]) return null;
    // nested maps on numbers: no string building per node (a million nodes, a handful of distinct forms)
    const a = node.attrs;
    const p1 = Number(a.alpha ?? a.min ?? NaN), p2 = Number(a.max ?? NaN);
    let byOp = this.scalar.get(node.op);
    if (!byOp) this.scalar.set(node.op, (byOp = new Map()));
    let byP1 = byOp.get(rank);
    if (!byP1) byOp.set(rank, (byP1 = new Map()));
    let byP2 = byP1.get(p1);
    if (!byP2) byP1.set(p1, (byP2 = new Map()));
    let f = byP2.get(p2);
    if (f === undefined) byP2.set(p2, (f = this.stamp(actForm(node, this.param, rank))!));
    return f;
  }

  /** The form with this id (ids come from get()). */
  form(id: number): ActForm {
    return this.byId[id]!;
  }

  private stamp(f: ActForm | null): ActForm | null {
    if (f) {
      f.id = this.byId.length;
      this.byId.push(f);
    }
    return f;
  }
}

/** For each element of `big` (row-major), the index of the element of `small` it broadcasts from (same rank). */
export function broadcastMap(small: readonly number[], big: readonly number[]): Int32Array {
  const n = numel(big);
  const out = new Int32Array(n);
  if (numel(small) === 1) return out;
  const ss = strides(small), bs = strides(big);
  for (let i = 0; i < n; i++) {
    let rem = i, j = 0;
    for (let k = 0; k < big.length; k++) {
      const c = Math.floor(rem / bs[k]!);
      rem -= c * bs[k]!;
      if (small[k] !== 1) j += c * ss[k]!;
    }
    out[i] = j;
  }
  return out;
}

/** Broadcast shape of the members, expanded along axis 1 when the input range is per channel there. */
export function compositeShape(forms: readonly ActForm[], dataShape: readonly number[], domain: ChannelRange): number[] {
  const shape = dataShape.map((_, k) => Math.max(1, ...forms.map((f) => f.shape[k]!)));
  if (domain.lo.length > 1 && dataShape.length >= 2 && dataShape[1] === domain.lo.length) shape[1] = dataShape[1]!;
  return shape;
}

/** Channel (axis-1 index) of each element of a composite shape, for reading per-channel domains. */
function channelOf(shape: readonly number[]): (i: number) => number {
  if (shape.length < 2 || shape[1] === 1) return () => 0;
  const inner = numel(shape.slice(2));
  const c = shape[1]!;
  return (i) => Math.floor(i / inner) % c;
}

/** Starts a composite over `shape`, each element restricted to its channel's input range. */
export function startComposite(shape: number[], domain: ChannelRange): Composite {
  const n = numel(shape);
  const ch = channelOf(shape);
  const elems: ElemChain[] = new Array(n);
  const inf = domain.infinite === true;
  for (let i = 0; i < n; i++) elems[i] = new ElemChain(channelInterval(domain, domain.lo.length === 1 ? 0 : ch(i)), inf);
  return { shape, elems };
}

/** Applies one member to the composite (its shape must broadcast to the composite's). */
export function applyForm(c: Composite, f: ActForm): void {
  if (f.elems.length === 1) {
    for (const e of c.elems) e.apply(f.elems[0]!);
    return;
  }
  const map = broadcastMap(f.shape, c.shape);
  for (let i = 0; i < c.elems.length; i++) c.elems[i]!.apply(f.elems[map[i]!]!);
}

/** Output range of a composite: per channel where the composite varies along axis 1, else one interval. */
export function compositeRange(c: Composite): ChannelRange {
  const perChannel = c.shape.length >= 2 && c.shape[1]! > 1;
  const nc = perChannel ? c.shape[1]! : 1;
  const lo = new Float64Array(nc).fill(Infinity), hi = new Float64Array(nc).fill(-Infinity);
  const ch = channelOf(c.shape);
  let infinite = false;
  for (let i = 0; i < c.elems.length; i++) {
    const r = c.elems[i]!.range();
    const k = perChannel ? ch(i) : 0;
    lo[k] = Math.min(lo[k]!, r.lo);
    hi[k] = Math.max(hi[k]!, r.hi);
    infinite ||= c.elems[i]!.mayBeInfinite();
  }
  return infinite ? { lo, hi, infinite } : { lo, hi };
}

/** Smallest broadcast shape holding `values` (axes along which every value repeats become 1), leading 1s dropped. */
export function compress(shape: readonly number[], values: Float32Array): { dims: number[]; data: Float32Array } {
  const st = strides(shape);
  const keep = shape.map((d, k) => {
    if (d === 1) return false;
    for (let i = 0; i < values.length; i++) {
      const c = Math.floor(i / st[k]!) % d;
      if (c !== 0 && values[i] !== values[i - c * st[k]!]) return true;
    }
    return false;
  });
  const dims = shape.map((d, k) => (keep[k] ? d : 1));
  const data = new Float32Array(numel(dims));
  const map = broadcastMap(dims, shape);
  for (let i = 0; i < values.length; i++) data[map[i]!] = values[i]!;
  let first = dims.findIndex((d) => d !== 1);
  if (first < 0) first = dims.length - 1;
  return { dims: dims.slice(first), data };
}

/** The attributes of a fused Relu or PRelu: none. One frozen object for all of them (node attributes are read-only). */
const NO_ATTRS: Node['attrs'] = Object.freeze({});

/**
 * The attributes of a LeakyRelu or Clip choice, one frozen object per choice: identical chains share a plan and so a
 * Choice, and their fused nodes then share the attributes (read-only) instead of each holding a copy.
 */
const CHOICE_ATTRS = new WeakMap<Choice, Node['attrs']>();

function attrsOf(ch: Choice): Node['attrs'] {
  let a = CHOICE_ATTRS.get(ch);
  if (a) return a;
  if (ch.op === 'LeakyRelu') a = { alpha: ch.alpha };
  else {
    // an unbounded side is an absent attribute
    const lo = ch.min !== -Infinity, hi = ch.max !== Infinity;
    a = lo && hi ? { min: ch.min, max: ch.max } : lo ? { min: ch.min } : hi ? { max: ch.max } : {};
  }
  CHOICE_ATTRS.set(ch, Object.freeze(a));
  return a;
}

/** Where an emitted node goes: its name, data input and output, the source nodes it stands for, its slope tensor. */
export interface EmitSite {
  name: string;
  input: string;
  output: string;
  origin: string[];
  /** PRelu only: the slope initializer's name, and whether it already exists (made for the same choice earlier). */
  slopeName: string;
  slopeExists?: boolean;
  /**
   * Arrays equal to [input] and [output] to share instead of making new ones (a source node's; node arrays are never
   * mutated, and a fused node per chain is most of what a fusion pass allocates that lives on).
   */
  sharedInputs?: string[];
  sharedOutputs?: string[];
}

/**
 * The fused node for a choice (null for removal) plus the slope initializer a PRelu needs (none when the site's
 * slope exists). Nodes are built whole, origin included: adding a property later reallocates, once per chain.
 */
export function emitChoice(ch: Choice, shape: readonly number[], at: EmitSite): { node: Node | null; init?: Tensor } {
  const { name, input, output, origin } = at;
  if (ch.op === 'removed') return { node: null };
  const outputs = at.sharedOutputs ?? [output];
  switch (ch.op) {
    case 'Relu':
      return { node: { name, op: 'Relu', inputs: at.sharedInputs ?? [input], outputs, attrs: NO_ATTRS, origin } };
    case 'LeakyRelu':
    case 'Clip':
      return { node: { name, op: ch.op, inputs: at.sharedInputs ?? [input], outputs, attrs: attrsOf(ch), origin } };
    case 'PRelu': {
      const node: Node = { name, op: 'PRelu', inputs: [input, at.slopeName], outputs, attrs: NO_ATTRS, origin };
      if (at.slopeExists) return { node };
      const { dims, data } = compress(shape, ch.slopes!);
      return { node, init: { dtype: 'float32', dims, data } };
    }
  }
}

function sameElem(x: NormalElem, y: NormalElem): boolean {
  return x.a === y.a && x.lo === y.lo && x.hi === y.hi && x.relu === y.relu;
}

/** The form's parameters for every element of a tensor of `shape` (same rank). */
export function expandForm(f: ActForm, shape: readonly number[]): NormalElem[] {
  const map = broadcastMap(f.shape, shape);
  const out: NormalElem[] = new Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = f.elems[map[i]!]!;
  return out;
}

/** A form from per-element parameters over `shape`, shrunk to the smallest broadcast shape that holds them. */
export function compactForm(op: string, elems: readonly NormalElem[], shape: readonly number[]): ActForm {
  const st = strides(shape);
  const dims = shape.map((d, k) => {
    if (d === 1) return 1;
    for (let i = 0; i < elems.length; i++) {
      const c = Math.floor(i / st[k]!) % d;
      if (c !== 0 && !sameElem(elems[i]!, elems[i - c * st[k]!]!)) return d;
    }
    return 1;
  });
  const map = broadcastMap(dims, shape);
  const out: NormalElem[] = new Array(numel(dims));
  for (let i = 0; i < elems.length; i++) out[map[i]!] = elems[i]!;
  return { op, shape: dims, elems: out };
}

/** The element's function fixes the value c (pad constants must survive an activation moved across a Pad). */
export function fixes(e: NormalElem, c: number): boolean {
  const p = c < 0 ? (e.relu ? 0 : Math.fround(e.a * c)) : c;
  return Math.fround(Math.min(Math.max(p, e.lo), e.hi)) === c;
}

/** Non-decreasing: every slope >= 0 (the condition for commuting with a max). */
export function isMonotoneForm(f: ActForm): boolean {
  return f.elems.every((e) => e.a >= 0);
}
