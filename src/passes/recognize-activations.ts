// Stage: graph passes, pass 2. Recognises activations written as elementwise ops (Max/Min with constants, Max(x, a*x), x*Clip(x+3, 0, 6)/6, ...) so fusion sees them.
// Contract: each rule is a pure function (site) -> replacement | null, guards first; a replacement computes the same float function (within float32 rounding) and names its source nodes.

import type { AttrValue, Node } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { sameDims } from '../ir/tensor.js';
import { bump } from './rewrite.js';
import type { Pass, PassContext, PassStats, PatternReport } from './types.js';
import { Work } from './work.js';

/** Where a rule looks: the root node (the last op of the pattern) in its slot, and the target's activation kernels. */
interface Site {
  work: Work;
  slot: number;
  node: Node;
  kernels: readonly string[];
}

/** What a rule found: the activation that computes the pattern, reading `x`, and the slots it replaces (root last). */
interface Replacement {
  pattern: string;
  op: string;
  x: string;
  attrs: Record<string, AttrValue>;
  /** PRelu: the slope initializer (the pattern's own constant, broadcast by the same numpy rules). */
  slope?: string;
  slots: number[];
}

type Rule = (site: Site) => Replacement | null;

const f32 = Math.fround;
const SIXTH = f32(1 / 6);

/** A float initializer's values, or undefined for a computed value. */
function constant(work: Work, v: string): Tensor | undefined {
  const t = work.initializer(work.resolve(v));
  return t && t.dtype === 'float32' ? t : undefined;
}

/** The single value every element of a constant holds (NaN: none). */
function uniform(t: Tensor): number | undefined {
  const d = t.data;
  if (d.length === 0) return undefined;
  const v = Number(d[0]);
  for (let i = 1; i < d.length; i++) if (Number(d[i]) !== v) return undefined;
  return Number.isNaN(v) ? undefined : v;
}

function every(t: Tensor, ok: (v: number) => boolean): boolean {
  for (let i = 0; i < t.data.length; i++) if (!ok(Number(t.data[i]))) return false;
  return t.data.length > 0;
}

/** A float tensor whose shape the node's output keeps (a constant operand only broadcasts into it). */
function keepsShape(work: Work, x: string, out: string): boolean {
  const a = work.info(work.resolve(x)), b = work.info(out);
  return !!a && !!b && a.dtype === 'float32' && sameDims(a.shape, b.shape);
}

/** The slot producing `v` when `v` is read only by the pattern (one reader, not a graph output); -1 otherwise. */
function inner(work: Work, v: string, reader: number): number {
  const r = work.resolve(v);
  if (work.neededElsewhere(r, reader)) return -1;
  const p = work.slotOf(r, reader);
  return p >= 0 && work.slots[p]!.outputs.length === 1 ? p : -1;
}

/** Splits a binary op's inputs into (computed operand, constant operand), in either order. */
function withConstant(work: Work, n: Node): { x: string; c: Tensor; cName: string } | null {
  if (n.inputs.length !== 2 || !n.inputs[0] || !n.inputs[1]) return null;
  const [a, b] = n.inputs as [string, string];
  const ca = constant(work, a), cb = constant(work, b);
  if (cb && !ca) return { x: a, c: cb, cName: b };
  if (ca && !cb) return { x: b, c: ca, cName: a };
  return null;
}

/** Max(x, c) / Min(x, c), c one value: a one-sided clamp; Max(x, 0) is Relu. */
const oneSidedClamp: Rule = ({ work, slot, node, kernels }) => {
  if (node.op !== 'Max' && node.op !== 'Min') return null;
  const op = withConstant(work, node);
  if (!op || !keepsShape(work, op.x, node.outputs[0]!)) return null;
  const v = uniform(op.c); // (a per-channel clamp has no kernel: Clip's bounds are one value each)
  if (v === undefined) return null;
  const x = work.resolve(op.x);
  if (node.op === 'Max' && v === 0 && kernels.includes('Relu')) return { pattern: 'Max(x, 0)', op: 'Relu', x, attrs: {}, slots: [slot] };
  if (!kernels.includes('Clip')) return null;
  const attrs: Record<string, AttrValue> = node.op === 'Max' ? { min: v } : { max: v };
  return { pattern: `${node.op}(x, c)`, op: 'Clip', x, attrs, slots: [slot] };
};

/**
 * Max(x, a*x) is LeakyRelu(a) exactly when every a <= 1, Min(x, a*x) when every a >= 1 (x < 0 picks a*x, x >= 0 picks
 * x). Otherwise it is not: Max(x, 2x) is 2x on x >= 0 (TensorFlow's leaky_relu bug, tensorflow#24566). Per-channel a
 * becomes a PRelu reading the same constant.
 */
const maxOfScaled: Rule = ({ work, slot, node, kernels }) => {
  if ((node.op !== 'Max' && node.op !== 'Min') || node.inputs.length !== 2) return null;
  for (const k of [0, 1]) {
    const x = work.resolve(node.inputs[k]!), m = node.inputs[1 - k]!;
    const ms = inner(work, m, slot);
    const mul = ms >= 0 ? work.slots[ms]! : null;
    if (!mul || mul.op !== 'Mul') continue;
    const sc = withConstant(work, mul);
    if (!sc || work.resolve(sc.x) !== x || !keepsShape(work, x, node.outputs[0]!) || !keepsShape(work, x, m)) continue;
    const exact = node.op === 'Max' ? every(sc.c, (a) => a <= 1) : every(sc.c, (a) => a >= 1);
    if (!exact) return null;
    const a = uniform(sc.c);
    const attrs: Record<string, AttrValue> = a !== undefined ? { alpha: a } : {};
    const pattern = `${node.op}(x, a*x)`;
    if (a !== undefined && kernels.includes('LeakyRelu')) return { pattern, op: 'LeakyRelu', x, attrs, slots: [ms, slot] };
    if (!kernels.includes('PRelu')) return null;
    return { pattern, op: 'PRelu', x, attrs: {}, slope: work.resolve(sc.cName), slots: [ms, slot] };
  }
  return null;
};

/** Composed bounds of a run of clamps (Clip, Relu, and Max/Min with one constant) ending at `v`, read only inside. */
function clampRun(work: Work, v: string, reader: number): { input: string; lo: number; hi: number; slots: number[] } | null {
  const slots: number[] = [];
  // bounds applied last-to-first: clamp(clamp(y, l1, h1), l2, h2) = clamp(y, clamp(l1, l2, h2), clamp(h1, l2, h2))
  let lo = -Infinity, hi = Infinity, cur = v, at = reader;
  for (;;) {
    const s = inner(work, cur, at);
    const n = s >= 0 ? work.slots[s]! : null;
    const b = n ? clampBounds(work, n) : null;
    if (!n || !b) break;
    const l = Math.min(Math.max(b.lo, lo), hi), h = Math.min(Math.max(b.hi, lo), hi);
    lo = l;
    hi = h;
    slots.unshift(s);
    cur = b.input;
    at = s;
  }
  return slots.length ? { input: work.resolve(cur), lo, hi, slots } : null;
}

function clampBounds(work: Work, n: Node): { input: string; lo: number; hi: number } | null {
  if (n.op === 'Relu' && n.inputs.length === 1) return { input: n.inputs[0]!, lo: 0, hi: Infinity };
  if (n.op === 'Clip' && n.inputs.length === 1) {
    const lo = Number(n.attrs['min'] ?? -Infinity), hi = Number(n.attrs['max'] ?? Infinity);
    return lo <= hi ? { input: n.inputs[0]!, lo, hi } : null;
  }
  if (n.op !== 'Max' && n.op !== 'Min') return null;
  const op = withConstant(work, n);
  const v = op ? uniform(op.c) : undefined;
  if (!op || v === undefined || !keepsShape(work, op.x, n.outputs[0]!)) return null;
  return n.op === 'Max' ? { input: op.x, lo: v, hi: Infinity } : { input: op.x, lo: -Infinity, hi: v };
}

/** `v` is Clip(x + 3, 0, 6) (any clamp run with those bounds) of the given x, or HardSigmoid(x) with alpha 1/6, beta 1/2. */
function hardSigmoidOf(work: Work, v: string, reader: number, x: string): { slots: number[]; scaled: boolean } | null {
  const s = inner(work, v, reader);
  const n = s >= 0 ? work.slots[s]! : null;
  if (n && n.op === 'HardSigmoid' && work.resolve(n.inputs[0]!) === x && f32(Number(n.attrs['alpha'])) === SIXTH && f32(Number(n.attrs['beta'])) === 0.5) {
    return { slots: [s], scaled: true };
  }
  const run = clampRun(work, v, reader);
  if (!run || run.lo !== 0 || run.hi !== 6) return null;
  const as = inner(work, run.input, run.slots[0]!);
  const add = as >= 0 ? work.slots[as]! : null;
  const op = add && add.op === 'Add' ? withConstant(work, add) : null;
  if (!op || work.resolve(op.x) !== x || uniform(op.c) !== 3 || !keepsShape(work, x, add!.outputs[0]!)) return null;
  return { slots: [as, ...run.slots], scaled: false };
}

/** Whether node n divides by 6 or multiplies by 1/6 (float32): returns the other operand. */
function sixthOf(work: Work, n: Node): string | null {
  const op = n.op === 'Div' || n.op === 'Mul' ? withConstant(work, n) : null;
  if (!op || (n.op === 'Div' && op.x !== n.inputs[0])) return null;
  const c = uniform(op.c);
  return (n.op === 'Div' ? c === 6 : c === SIXTH) ? op.x : null;
}

/**
 * x * Clip(x + 3, 0, 6) / 6 (also x * (Clip(...) / 6), x * Clip(...) * (1/6)) and x * HardSigmoid(x) as HardSwish.
 * In float32 the forms differ from HardSwish's x * clamp(x/6 + 1/2, 0, 1) by rounding only (a few ulps).
 */
const hardSwish: Rule = ({ work, slot, node, kernels }) => {
  if (!kernels.includes('HardSwish') || (node.op !== 'Mul' && node.op !== 'Div') || node.inputs.length !== 2) return null;
  // x * hs(x) at the root (hs already scaled by 1/6, or HardSigmoid), or (x * clip) / 6 with the scaling at the root
  const scaledBy = sixthOf(work, node);
  const prod = scaledBy !== null ? inner(work, scaledBy, slot) : slot;
  const mul = prod >= 0 ? work.slots[prod]! : null;
  if (!mul || mul.op !== 'Mul' || mul.inputs.length !== 2) return null;
  for (const k of [0, 1]) {
    const x = work.resolve(mul.inputs[k]!), other = mul.inputs[1 - k]!;
    if (constant(work, x) || !keepsShape(work, x, node.outputs[0]!)) continue;
    let hs: { slots: number[]; scaled: boolean } | null = null;
    if (scaledBy !== null) hs = hardSigmoidOf(work, other, prod, x);
    else {
      // x * (clip / 6): the scaling sits on the clamp's side
      const ds = inner(work, other, prod);
      const d = ds >= 0 ? work.slots[ds]! : null;
      const inner6 = d ? sixthOf(work, d) : null;
      const run = inner6 !== null ? hardSigmoidOf(work, inner6, ds, x) : hardSigmoidOf(work, other, prod, x);
      if (run && (inner6 !== null) !== run.scaled) hs = { slots: inner6 !== null ? [...run.slots, ds] : run.slots, scaled: true };
    }
    if (!hs || (scaledBy !== null && hs.scaled)) continue;
    const slots = scaledBy !== null ? [...hs.slots, prod, slot] : [...hs.slots, slot];
    const pattern = hs.slots.some((s) => work.slots[s]!.op === 'HardSigmoid') ? 'x*HardSigmoid(x)' : 'x*Clip(x+3, 0, 6)/6';
    return { pattern, op: 'HardSwish', x, attrs: {}, slots };
  }
  return null;
};

/** Rules in the order they are tried at each root. */
export const RECOGNITION_RULES: readonly Rule[] = [hardSwish, maxOfScaled, oneSidedClamp];

function apply(work: Work, r: Replacement, stats: PassStats): void {
  const nodes = r.slots.map((s) => work.slots[s]!);
  const root = nodes[nodes.length - 1]!;
  const origin: string[] = [];
  for (const n of nodes) for (const o of n.origin ?? [n.name]) if (!origin.includes(o)) origin.push(o);
  for (const s of r.slots) work.remove(s);
  for (let k = 0; k < nodes.length - 1; k++) work.drop(nodes[k]!.outputs[0]!, r.slots[k]!);
  const inputs = r.slope ? [r.x, r.slope] : [r.x];
  work.place(r.slots[r.slots.length - 1]!, { name: root.name, op: r.op, inputs, outputs: [root.outputs[0]!], attrs: r.attrs, origin });
  bump(stats, `recognize-${r.op}`);
  (stats.patterns ??= []).push({ nodes: nodes.map((n) => n.name), pattern: r.pattern, result: r.op } satisfies PatternReport);
}

export function applyRecognizeActivations(work: Work, ctx: PassContext): PassStats {
  const stats: PassStats = { rules: {} };
  const kernels = ctx.target.activationKernels;
  for (let s = 0; s < work.slots.length; s++) {
    const node = work.slots[s];
    // roots are elementwise arithmetic ops (cheap test first: this loop sees every node)
    if (!node || (node.op !== 'Max' && node.op !== 'Min' && node.op !== 'Mul' && node.op !== 'Div')) continue;
    if (node.outputs.length !== 1) continue;
    for (const rule of RECOGNITION_RULES) {
      const r = rule({ work, slot: s, node, kernels });
      if (r) {
        apply(work, r, stats);
        break;
      }
    }
  }
  work.flush();
  return stats;
}

export const recognizeActivationsPass: Pass = {
  name: 'recognize-activations',
  description: 'turn activations written as elementwise ops (Max(x, 0), Max(x, a*x), x*Clip(x+3, 0, 6)/6, ...) into activation nodes',
  apply: applyRecognizeActivations,
  run: (g, ctx) => {
    const work = new Work(g);
    const stats = applyRecognizeActivations(work, ctx);
    return { graph: work.finish(), stats };
  },
};
