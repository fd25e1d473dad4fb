// Stage: graph passes, fusion planning. Finds chains of directly connected activations and splits them into segments.
// Contract: read-only over the Work; linear in nodes; each segment carries the exact kernel that replaces it (or none).

import type { Node, ValueInfo } from '../ir/graph.js';
import type { ChannelRange } from './algebra.js';
import type { ChoiceResult, Composite } from './kernel-choice.js';
import { chooseKernel, kernelRank } from './kernel-choice.js';
import { MAX_UNDERFLOW_GAIN, UNKNOWN_RANGE } from './algebra.js';
import { opDef } from '../ir/optable.js';
import { sameDims } from '../ir/tensor.js';
import type { ActForm } from './params.js';
import { FormCache, applyForm, compositeShape, isPiecewiseLinear, startComposite } from './params.js';
import type { RangeAnalysis } from './value-range.js';
import { give, takeInt32, takeInt8, takeUint8 } from './scratch.js';
import type { Work } from './work.js';

/** Longest segment the planner composes (longer runs are split; real chains are 2-4 long). */
const MAX_SEGMENT = 16;

export interface Member {
  slot: number;
  node: Node;
  form: ActForm;
}

/** A maximal run of activations, each reading the previous one's output. */
export interface Chain {
  members: Member[];
  /** The data shape (every member's input and output). */
  shape: number[];
  /**
   * The first member reads a node whose op neither is an activation nor passes values through (a Conv, say), so the
   * input's range is unknown without asking the range analysis (found in the scan, while that node was at hand).
   */
  opaqueInput: boolean;
  /** cut[i]: member i's output is needed elsewhere (other readers or a graph output), so a segment ends there. */
  cut: (string | null)[];
}

export interface Segment {
  from: number;
  to: number;
  composite: Composite | null;
  result: ChoiceResult | null;
  /** Why the chain is not one segment here (forced cut or the failed longer composition). */
  reason?: string;
}

const NOT_A_MEMBER = -2;

/**
 * Which slots may be chain members (piecewise-linear, one output, a data input), with the slot producing their input
 * (-1: none found nearby, or an input/initializer), and the value info of the inputs not produced by another candidate.
 * Those infos are asked all at once, in slot order: the value table answers them by walking its entries in order
 * (Work.infos), where one hash lookup each in a million-entry table took ~160 ms of a ~1.1 s call on the 1M-node
 * bench graph (CPU profile).
 */
interface Candidates {
  /** Slot producing each candidate's input (-1 none found nearby); NOT_A_MEMBER for the other slots. */
  producer: Int32Array;
  /** 1: the candidate reads a node whose op neither is an activation nor passes values through. */
  opaque: Uint8Array;
  /** The candidates whose input info was looked up, in slot order, and the infos found. */
  asked: Int32Array;
  infos: (ValueInfo | undefined)[];
}

function candidates(work: Work): Candidates {
  const n = work.slots.length;
  const producer = takeInt32(n, NOT_A_MEMBER);
  const opaque = takeUint8(n, 0);
  const ask = takeInt32(n, 0); // (the names asked must be a JS array: the value table is keyed by strings)
  const names: string[] = [];
  let asks = 0;
  for (let s = 0; s < n; s++) {
    const node = work.slots[s];
    if (!node || !isPiecewiseLinear(node.op) || node.outputs.length !== 1 || !node.inputs[0]) continue;
    // chains sit next to each other in topological order: producers are found without a name table
    const p = work.slotOf(work.resolve(node.inputs[0]), s);
    producer[s] = p;
    const pn = p >= 0 ? work.slots[p] : null; // (a producer taken out mid-edit is no answer: leave it to the analysis)
    if (pn) {
      const d = opDef(pn.op);
      if (d && !d.activation && !d.valuePreserving) opaque[s] = 1;
    }
    if (p < 0 || producer[p] === NOT_A_MEMBER) {
      ask[asks++] = s;
      names.push(node.inputs[0]);
    }
  }
  return { producer, opaque, asked: ask.subarray(0, asks), infos: work.infos(names) };
}

/** Per-slot chain links: scratch arrays (scratch.ts), given back when forEachChain's walk ends. */
interface Links {
  formId: Int32Array;
  shapeId: Int32Array;
  shapes: number[][];
  next: Int32Array;
  prev: Int32Array;
  opaque: Uint8Array;
  scratch: (Int32Array | Uint8Array | Int8Array)[];
}

/** Each member's form and shape, and its link to the next member (an activation read by exactly one activation). */
function links(work: Work, cache: FormCache): Links {
  const n = work.slots.length;
  // per-slot facts in typed arrays (ids into small tables), not million-entry object arrays: those would be garbage
  // the old generation must collect after every pass
  const formId = takeInt32(n, -1), shapeId = takeInt32(n, -1);
  const shapes: number[][] = [];
  const prev = takeInt32(n, -1), next = takeInt32(n, -1), readers = takeInt32(n, 0);
  const rank = takeInt8(n, 0);
  const { producer, opaque, asked, infos } = candidates(work);
  for (let s = 0, k = 0; s < n; s++) {
    const p = producer[s]!;
    if (p === NOT_A_MEMBER) continue;
    const node = work.slots[s]!;
    // an activation reading an activation has its producer's (float) type: no value-table lookup
    let r: number;
    if (p >= 0 && formId[p]! >= 0) r = rank[p]!;
    else {
      // asked in slot order: the next answer is this slot's, unless its producer turned out not to be a member
      const info = asked[k] === s ? infos[k++] : work.info(node.inputs[0]!);
      if (!info || (info.dtype !== 'float32' && info.dtype !== 'float64') || info.shape.length > 127) continue;
      r = info.shape.length;
      // consecutive heads mostly share a shape: one array for all of them stays in cache for the plan lookups
      if (shapes.length === 0 || !sameDims(info.shape, shapes[shapes.length - 1]!)) shapes.push(info.shape);
      shapeId[s] = shapes.length - 1;
    }
    const f = cache.get(node, r);
    if (!f) continue;
    formId[s] = f.id!;
    rank[s] = r;
    if (p >= 0 && formId[p]! >= 0) {
      prev[s] = p;
      readers[p]!++;
    }
  }
  for (let s = 0; s < n; s++) {
    const p = prev[s]!;
    if (p >= 0 && readers[p] === 1) next[p] = s;
    else prev[s] = -1;
  }
  // (`asked` is a view of candidates()'s scratch array: giving it back gives that array's buffer)
  return { formId, shapeId, shapes, next, prev, opaque, scratch: [formId, shapeId, prev, next, readers, rank, producer, opaque, asked] };
}

/**
 * Calls `visit` with each chain of the graph, in topological order of their heads. Forks (two activation readers)
 * end a chain. The links are found up front; each chain is built right before its visit, after any edits of the
 * chains before it (chains are disjoint, so those edits do not touch it).
 */
export function forEachChain(work: Work, visit: (chain: Chain) => void): void {
  const cache = new FormCache((name) => work.initializer(name));
  const { formId, shapeId, shapes, next, prev, opaque, scratch } = links(work, cache);
  try {
    // chains are built as they are consumed: a million members need not all be alive at once
    for (let s = 0; s < work.slots.length; s++) {
      if (formId[s]! < 0 || prev[s]! >= 0) continue;
      // a head reading an activation that forks keeps no shape of its own: ask the value table
      const shape = shapeId[s]! >= 0 ? shapes[shapeId[s]!]! : work.info(work.resolve(work.slots[s]!.inputs[0]!))!.shape;
      let len = 0;
      for (let t = s; t >= 0; t = next[t]!) len++;
      // exact size: `[]` grown by push() reserves 16 slots, once per chain
      const members = new Array<Member>(len);
      const cut = new Array<string | null>(len);
      for (let t = s, i = 0; t >= 0; t = next[t]!, i++) {
        const node = work.slots[t]!;
        members[i] = { slot: t, node, form: cache.form(formId[t]!) };
        cut[i] = next[t]! >= 0 ? cutReason(work, node, t) : null;
      }
      visit({ members, cut, shape, opaqueInput: opaque[s] === 1 });
    }
  } finally {
    give(...scratch);
  }
}

function cutReason(work: Work, n: Node, slot: number): string | null {
  const readers = work.usesAt(slot);
  if (readers > 1) return `${n.name}'s output also feeds ${readers - 1} other input(s)`;
  if (work.isOutput(n.outputs[0]!)) return `${n.name}'s output is a graph output`;
  return null;
}

/** Composes members[from..to] on the range of the first member's input. */
export function composeSegment(work: Work, ranges: RangeAnalysis, members: readonly Member[], from: number, to: number): Composite {
  const input = work.resolve(members[from]!.node.inputs[0]!);
  const shape = work.info(input)!.shape;
  const dom: ChannelRange = ranges.rangeOf(input, members[from]!.slot);
  const forms = members.slice(from, to + 1).map((m) => m.form);
  const c = startComposite(compositeShape(forms, shape, dom), dom);
  for (const f of forms) applyForm(c, f);
  return c;
}

/**
 * Kernel for a segment; a merge of several nodes must not need a kernel costlier than its members', and its
 * subnormal-range deviation, times what the rest of the chain may amplify it by, stays below FLT_MIN_NORMAL.
 */
function judge(
  c: Composite, members: readonly Member[], from: number, to: number, policy: Policy, gainAfter: number,
): ChoiceResult {
  const { kernels, strict } = policy;
  const r = chooseKernel(c, kernels, { strict });
  if (!r.ok || from === to) return r;
  let dev = 0;
  for (const e of c.elems) dev = Math.max(dev, e.underflowError(strict));
  if (dev * gainAfter > MAX_UNDERFLOW_GAIN) {
    return { ok: false, reason: `not exact in float32: later slopes (x${gainAfter.toPrecision(3)}) would amplify its underflow rounding` };
  }
  let worst = -1;
  for (let i = from; i <= to; i++) worst = Math.max(worst, kernelRank(members[i]!.node.op, kernels));
  if (kernelRank(r.choice.op, kernels) > worst) {
    return { ok: false, reason: `the fused ${r.choice.op} would cost more than the ${to - from + 1} kernels it replaces` };
  }
  return r;
}

/** What a plan depends on besides the chain: the target's kernels (cheapest first) and the float policy. */
export interface Policy {
  kernels: readonly string[];
  strict: boolean;
}

/** Segments of one cut-free piece: the whole piece when it composes, else the fewest segments (dynamic programming). */
function planPiece(
  work: Work, ranges: RangeAnalysis, ms: readonly Member[], a: number, b: number, policy: Policy,
  gainAfter: Float64Array,
): Segment[] {
  const kernels = policy.kernels;
  const tryRange = (j: number, i: number): { c: Composite; r: ChoiceResult } => {
    const c = composeSegment(work, ranges, ms, j, i);
    return { c, r: judge(c, ms, j, i, policy, gainAfter[i]!) };
  };
  if (b - a < MAX_SEGMENT) {
    const whole = tryRange(a, b);
    if (whole.r.ok) return [{ from: a, to: b, composite: whole.c, result: whole.r }];
    if (a === b) return [{ from: a, to: b, composite: whole.c, result: whole.r }];
    return dp(tryRange, a, b, whole.r.ok ? undefined : whole.r.reason, kernels);
  }
  return dp(tryRange, a, b, `runs longer than ${MAX_SEGMENT} activations are split`, kernels);
}

/** Fewest segments covering a..b; ties prefer cheaper kernels. Single members always qualify (kept or retyped). */
function dp(
  tryRange: (j: number, i: number) => { c: Composite; r: ChoiceResult }, a: number, b: number, reason: string | undefined,
  kernels: readonly string[],
): Segment[] {
  // lexicographic cost: kernels launched, then their cost order (a member kept as it is counts as the dearest)
  const rank = (r: ChoiceResult): number => (r.ok ? kernelRank(r.choice.op, kernels) + 1 : kernels.length + 1);
  const len = b - a + 1;
  const cost: [number, number][] = new Array(len + 1);
  const pick: Segment[] = new Array(len + 1);
  cost[0] = [0, 0];
  for (let i = 1; i <= len; i++) {
    let best: [number, number] = [Infinity, Infinity];
    for (let j = Math.max(0, i - MAX_SEGMENT); j < i; j++) {
      const { c, r } = tryRange(a + j, a + i - 1);
      const single = j === i - 1;
      if (!r.ok && !single) continue;
      const kernelsUsed = r.ok && r.choice.op === 'removed' ? 0 : 1;
      const cand: [number, number] = [cost[j]![0] + kernelsUsed, cost[j]![1] + rank(r)];
      if (cand[0] < best[0] || (cand[0] === best[0] && cand[1] < best[1])) {
        best = cand;
        pick[i] = { from: a + j, to: a + i - 1, composite: c, result: r, reason };
      }
    }
    cost[i] = best;
  }
  const out: Segment[] = [];
  for (let i = len; i > 0; i = pick[i]!.from - a) out.unshift(pick[i]!);
  return out;
}

function memberGain(m: Member): number {
  let g = 1;
  for (const e of m.form.elems) g = Math.max(g, Math.abs(e.a));
  return g;
}

/**
 * Plans are a function of the chain's shape, input range, members' parameters and cut positions only: networks (and
 * generated graphs) repeat the same chain thousands of times, so plans are memoised on that signature.
 */
const CUT = '\u0000cut';

export class PlanCache {
  /** A trie over numbers (range id, rank, dims, then form id * 2 + cut per member): no key strings per chain. */
  private readonly root: TrieNode = { next: new Map() };
  private readonly rangeIds = new WeakMap<ChannelRange, number>();
  private readonly rangeIdByText = new Map<string, number>();

  constructor(private readonly work: Work, private readonly ranges: RangeAnalysis, private readonly policy: Policy) {}

  plan(chain: Chain): Segment[] {
    const leaf = this.leaf(chain);
    if (!leaf.plan) {
      leaf.plan = planChain(this.work, this.ranges, { ...chain, cut: chain.cut.map((c) => (c ? CUT : null)) }, this.policy);
    }
    const algebra = leaf.plan;
    // the cached segments carry no node names: this chain's cut reasons go into fresh copies (read-only otherwise)
    let named = false;
    for (const c of chain.cut) if (c !== null) named = true;
    if (!named) return algebra;
    return algebra.map((s) => (s.reason === CUT ? { ...s, reason: chain.cut[s.to]! } : s));
  }

  private leaf(chain: Chain): TrieNode {
    const head = this.work.resolve(chain.members[0]!.node.inputs[0]!);
    const range = chain.opaqueInput ? UNKNOWN_RANGE : this.ranges.rangeOf(head, chain.members[0]!.slot);
    let t = step(this.root, this.rangeId(range));
    t = step(t, chain.shape.length);
    for (const d of chain.shape) t = step(t, d);
    const ms = chain.members;
    for (let i = 0; i < ms.length; i++) t = step(t, ms[i]!.form.id! * 2 + (chain.cut[i] ? 1 : 0));
    return t;
  }

  /** Equal ranges share an id (ranges are objects; their text is built once per object). */
  private rangeId(r: ChannelRange): number {
    let id = this.rangeIds.get(r);
    if (id === undefined) {
      const text = `${r.lo.join(',')}|${r.hi.join(',')}|${r.infinite ? 1 : 0}`;
      id = this.rangeIdByText.get(text);
      if (id === undefined) this.rangeIdByText.set(text, (id = this.rangeIdByText.size));
      this.rangeIds.set(r, id);
    }
    return id;
  }
}

interface TrieNode {
  next: Map<number, TrieNode>;
  plan?: Segment[];
}

function step(t: TrieNode, k: number): TrieNode {
  let n = t.next.get(k);
  if (!n) t.next.set(k, (n = { next: new Map() }));
  return n;
}

/** Segments of a chain: forced cuts first, then the algebra splits what does not compose. */
export function planChain(work: Work, ranges: RangeAnalysis, chain: Chain, policy: Policy): Segment[] {
  const segs: Segment[] = [];
  let a = 0;
  const ms = chain.members;
  // gainAfter[i]: how much the members after i may magnify a value (slopes above 1 in magnitude)
  const gainAfter = new Float64Array(ms.length);
  for (let i = ms.length - 1, g = 1; i >= 0; i--) {
    gainAfter[i] = g;
    g *= memberGain(ms[i]!);
  }
  for (let i = 0; i < ms.length; i++) {
    if (i < ms.length - 1 && !chain.cut[i]) continue;
    const piece = planPiece(work, ranges, ms, a, i, policy, gainAfter);
    if (chain.cut[i]) piece[piece.length - 1]!.reason ||= chain.cut[i]!;
    segs.push(...piece);
    a = i + 1;
  }
  return segs;
}
