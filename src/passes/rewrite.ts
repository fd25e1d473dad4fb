// Stage: graph passes. Shared rewrite steps: bypassing a value-preserving node, building fused nodes and their reports.
// Contract: every step keeps graph output names stable (a removed producer hands its output name to the replacement).

import type { Node } from '../ir/graph.js';
import type { Choice } from './kernel-choice.js';
import { emitChoice } from './params.js';
import type { ChainReport, PassStats } from './types.js';
import type { Work } from './work.js';

/** Whether `y` (a value about to lose its producer) can be replaced by `x` everywhere. */
export function canHandOver(work: Work, x: string, y: string): boolean {
  return !work.isOutput(y) || (work.producer(x) !== undefined && !work.isOutput(x));
}

/**
 * `y`'s producer is gone and `y` equals `x`: readers of `y` read `x`; when `y` is a graph output, `x`'s producer is
 * renamed to produce `y` instead, so the graph's interface keeps its names. Check canHandOver() first.
 */
export function handOver(work: Work, x: string, y: string): void {
  if (!work.isOutput(y)) work.rename(y, x);
  else work.renameProduced(x, y);
}

/** Removes a node whose output 0 equals its input 0; false (graph unchanged) when the output name cannot move. */
export function bypass(work: Work, slot: number): boolean {
  const n = work.slots[slot]!;
  const x = work.resolve(n.inputs[0]!), y = n.outputs[0]!;
  if (!canHandOver(work, x, y)) return false;
  work.remove(slot);
  handOver(work, x, y);
  return true;
}

export function bump(stats: PassStats, rule: string, by = 1): void {
  stats.rules[rule] = (stats.rules[rule] ?? 0) + by;
}

export function report(stats: PassStats, r: ChainReport): void {
  (stats.chains ??= []).push(r);
}

export function origins(nodes: readonly Node[]): string[] {
  // the source nodes a merge stands for, each once (names may repeat in ONNX); this runs once per segment and its
  // array lives on in the fused node, so the common case (no member merged before, distinct names) is an exact-size
  // array filled without a helper closure: `[]` grown by push() reserves 16 slots
  let merged = false;
  for (const n of nodes) if (n.origin) merged = true;
  if (!merged) {
    const out = new Array<string>(nodes.length);
    let k = 0;
    for (const n of nodes) if (!out.includes(n.name)) out[k++] = n.name;
    if (k < out.length) out.length = k; // (setting an unchanged length still calls into the runtime)
    return out;
  }
  const out: string[] = [];
  for (const n of nodes) for (const o of n.origin ?? [n.name]) if (!out.includes(o)) out.push(o);
  return out;
}

/**
 * Replaces `members` (slots, in order, a straight line from `input` to the last member's output) with the node a
 * choice describes, placed in the last member's slot and named after it. Returns the op type (or 'removed') and the
 * source nodes it stands for.
 */
export function replaceSegment(
  work: Work, slots: readonly number[], input: string, ch: Choice, shape: readonly number[],
): { op: string; origin: string[] } {
  const members = new Array<Node>(slots.length);
  for (let k = 0; k < slots.length; k++) members[k] = work.slots[slots[k]!]!;
  const last = members[members.length - 1]!;
  const output = last.outputs[0]!;
  const origin = origins(members);
  for (const s of slots) work.remove(s);
  for (let k = 0; k < members.length - 1; k++) work.drop(members[k]!.outputs[0]!, slots[k]!);
  if (ch.op === 'removed') {
    handOver(work, input, output);
    return { op: 'removed', origin };
  }
  // identical chains share one plan and so one Choice: their PRelus share one slope initializer
  const shared = ch.op === 'PRelu' ? work.sharedInitializer(ch) : undefined;
  const slopeName = ch.op === 'PRelu' ? (shared ?? work.freshValueName(`${last.name}_slope`)) : '';
  const first = members[0]!;
  const { node, init } = emitChoice(ch, shape, {
    name: last.name, input, output, origin, slopeName, slopeExists: shared !== undefined,
    sharedInputs: first.inputs.length === 1 && first.inputs[0] === input ? first.inputs : undefined,
    sharedOutputs: last.outputs.length === 1 ? last.outputs : undefined,
  });
  if (init && !shared) {
    work.addInitializer(slopeName, init);
    work.shareInitializer(ch, slopeName);
  }
  work.place(slots[slots.length - 1]!, node!);
  return { op: node!.op, origin };
}
