// Stage: graph passes, fusion algebra. Which existing activation kernel computes a composed chain exactly, cheapest first.
// Contract: one table row per kernel family; a choice is returned only when it equals the chain on every element's domain.

import type { Canon, ElemChain, NormalElem } from './algebra.js';
import { NF } from './algebra.js';

/** Op types fusion may emit ('removed' = no node). */
export type FusedOp = 'removed' | 'Relu' | 'LeakyRelu' | 'PRelu' | 'Clip';

/** A composed chain: one ElemChain per parameter element, row-major over `shape` (the data's rank, 1 where uniform). */
export interface Composite {
  shape: number[];
  elems: ElemChain[];
}

export interface Choice {
  op: FusedOp;
  /** LeakyRelu slope. */
  alpha: number;
  /** PRelu slope per element of the composite's shape. */
  slopes: Float32Array | null;
  /** Clip bounds. */
  min: number;
  max: number;
}

export type ChoiceResult = { ok: true; choice: Choice } | { ok: false; reason: string };

interface Family {
  op: FusedOp;
  /** Candidate parameters read off the composed elements, most natural first; each is then verified on all elements. */
  candidates: (c: Composite, canons: [Canon, Canon][]) => Choice[];
  elem: (ch: Choice, i: number) => NormalElem;
}

function choice(op: FusedOp, over: Partial<Choice> = {}): Choice {
  return { op, alpha: 0, slopes: null, min: -Infinity, max: Infinity, ...over };
}

/** The negative branch's slope where it is linear, 0 where it is the constant 0 (Relu-like), undefined where free. */
function negSlope(cn: Canon): number | undefined {
  if (cn.kind === 'lin') return cn.s;
  if (cn.kind === 'const') return 0;
  return undefined;
}

function uniq(xs: number[]): number[] {
  const out: number[] = [];
  for (const x of xs) if (!out.some((y) => Object.is(y, x) || (y === 0 && x === 0))) out.push(x);
  return out;
}

/** Clip bound candidates from one element: bounds that bite, constants it takes, then the neutral choices. */
function clipCandidates(cs: [Canon, Canon]): Choice[] {
  const [n, p] = cs;
  const mins: number[] = [], maxs: number[] = [];
  for (const b of [n, p]) {
    if (b.kind === 'lin') {
      if (b.l !== -Infinity) mins.push(b.l);
      if (b.h !== Infinity) maxs.push(b.h);
    } else if (b.kind === 'const') {
      mins.push(b.c);
      maxs.push(b.c);
    }
  }
  const out: Choice[] = [];
  for (const lo of uniq([...mins, 0, -Infinity])) {
    for (const hi of uniq([...maxs, Infinity])) if (lo <= hi) out.push(choice('Clip', { min: lo, max: hi }));
  }
  return out;
}

/** The kernel families, in no particular order: the target's list gives the cost order. */
const FAMILIES: readonly Family[] = [
  { op: 'removed', candidates: () => [choice('removed')], elem: () => NF.identity() },
  { op: 'Relu', candidates: () => [choice('Relu')], elem: () => NF.relu() },
  {
    op: 'LeakyRelu',
    candidates: (_c, canons) => {
      for (const [n] of canons) {
        const s = negSlope(n);
        if (s !== undefined) return [choice('LeakyRelu', { alpha: s })];
      }
      return [choice('LeakyRelu', { alpha: 0 })];
    },
    elem: (ch) => NF.leaky(ch.alpha),
  },
  {
    op: 'PRelu',
    candidates: (c, canons) => {
      const slopes = new Float32Array(c.elems.length);
      let fill = 0;
      for (const [n] of canons) {
        const s = negSlope(n);
        if (s !== undefined) {
          fill = s;
          break;
        }
      }
      canons.forEach(([n], i) => {
        const s = negSlope(n);
        if (s !== undefined) fill = s;
        slopes[i] = fill; // a free element copies its neighbour so that uniform slopes stay uniform
      });
      return [choice('PRelu', { slopes })];
    },
    elem: (ch, i) => NF.leaky(ch.slopes![i]!),
  },
  { op: 'Clip', candidates: (_c, canons) => clipCandidates(canons[0]!), elem: (ch) => NF.clip(ch.min, ch.max) },
];

const BY_OP: ReadonlyMap<string, Family> = new Map(FAMILIES.map((f) => [f.op, f]));

/** Op types fusion can emit. */
export function isFusedOp(op: string): op is FusedOp {
  return BY_OP.has(op);
}

function verifies(f: Family, ch: Choice, c: Composite): boolean {
  for (let i = 0; i < c.elems.length; i++) if (!c.elems[i]!.matches(f.elem(ch, i))) return false;
  return true;
}

/** Describes the composed function of element 0 for reasons ("x<0: 0.05x clamped to [-0.5,inf]; x>=0: ..."). */
export function describeComposite(c: Composite): string {
  const [n, p] = c.elems[0]!.canon();
  const part = (b: Canon, side: string): string => {
    if (b.kind === 'any') return `${side}: unused`;
    if (b.kind === 'const') return `${side}: ${b.c}`;
    const lin = b.s === 1 ? 'x' : `${b.s}*x`;
    return b.l === -Infinity && b.h === Infinity ? `${side}: ${lin}` : `${side}: clamp(${lin}, ${b.l}, ${b.h})`;
  };
  return `${part(n, 'x<0')}; ${part(p, 'x>=0')}${c.elems.length > 1 ? ` (element 0 of ${c.elems.length})` : ''}`;
}

/**
 * The cheapest kernel of `kernels` (cheapest first) that computes the composite exactly; removal beats every kernel.
 * Fails with a reason when the float32 policy refuses the composition (`strict`: it must reproduce the chain's float32
 * rounding; default: never further from real arithmetic than the chain) or no listed kernel fits.
 */
export function chooseKernel(c: Composite, kernels: readonly string[], opts: { removal?: boolean; strict?: boolean } = {}): ChoiceResult {
  for (const e of c.elems) {
    const why = e.inexactness(opts.strict === true);
    if (why) return { ok: false, reason: `not exact in float32: ${why}` };
  }
  const canons = c.elems.map((e) => e.canon());
  for (const op of opts.removal === false ? kernels : ['removed', ...kernels]) {
    const f = BY_OP.get(op);
    if (!f) continue;
    for (const ch of f.candidates(c, canons)) if (verifies(f, ch, c)) return { ok: true, choice: ch };
  }
  return { ok: false, reason: `no kernel of the target computes ${describeComposite(c)}` };
}

/** Position of an op in the target's cost order (removal costs nothing; unlisted ops cost more than any listed one). */
export function kernelRank(op: string, kernels: readonly string[]): number {
  if (op === 'removed') return -1;
  const i = kernels.indexOf(op);
  return i < 0 ? kernels.length : i;
}
