// Stage: fixed point. Range narrowing: a value read only by a chain of clamping activations (Relu, Clip) needs precision only inside the clamp.
// Contract: narrowing is lossless for the chain's output (values outside saturate to the clamp bound); applied identically to fused and unfused graphs.

import type { Graph, Node } from '../ir/graph.js';
import { consumers, isGraphOutput } from '../ir/graph.js';
import type { Range, Ranges } from './calibrate.js';

/** ONNX Clip: min(max(x, lo), hi) (lo > hi yields hi). */
function clip(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** Clamp bounds of a slope-1 clamping activation, null for anything else. */
function clampOf(n: Node): { lo: number; hi: number } | null {
  if (n.op === 'Relu') return { lo: 0, hi: Infinity };
  if (n.op !== 'Clip') return null;
  const lo = typeof n.attrs.min === 'number' ? n.attrs.min : -Infinity;
  const hi = typeof n.attrs.max === 'number' ? n.attrs.max : Infinity;
  return { lo, hi };
}

/**
 * The interval outside which the single-consumer Relu/Clip chain starting at `v` is constant, or null when `v` is
 * not read by exactly one such activation (or is a graph output). Composition is exact: clamp(clamp(x,a1,b1),a2,b2)
 * = clamp(x, clip(a1,a2,b2), clip(b1,a2,b2)).
 */
export function clampChainInterval(g: Graph, v: string, cons: Map<string, Node[]>): { lo: number; hi: number } | null {
  let lo = -Infinity;
  let hi = Infinity;
  let cur = v;
  let any = false;
  for (;;) {
    const cs = cons.get(cur) ?? [];
    if (cs.length !== 1 || isGraphOutput(g, cur)) break;
    const a = cs[0]!;
    const b = a.inputs[0] === cur ? clampOf(a) : null;
    if (!b) break;
    [lo, hi] = [clip(lo, b.lo, b.hi), clip(hi, b.lo, b.hi)];
    any = true;
    cur = a.outputs[0]!;
  }
  return any ? { lo, hi } : null;
}

/** Ranges with every clamp-chain input narrowed to its clamp interval (calibrated ends clamped into it). */
export function narrowRanges(g: Graph, ranges: Ranges): Ranges {
  const cons = consumers(g);
  const out: Ranges = new Map();
  for (const [v, r] of ranges) {
    const iv = clampChainInterval(g, v, cons);
    const n: Range = iv ? { min: clip(r.min, iv.lo, iv.hi), max: clip(r.max, iv.lo, iv.hi) } : { ...r };
    out.set(v, n);
  }
  return out;
}
