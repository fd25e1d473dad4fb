// Stage: backend. Memory plan: liveness-based buffer reuse for activation tensors, then placement by memory level.
// Contract: deterministic for equal input; a buffer never holds two tensors whose lifetimes overlap; buffers fit their level or E_LIMIT.

import type { BufferDecl } from '../../kernels/types.js';
import type { MemoryUse } from '../../kernels/artifacts.js';
import { DspcError } from '../ir/errors.js';

/** One activation tensor to place: written at invocation `def` (-1 = graph input), last read at `lastUse`. */
export interface LiveTensor {
  name: string;
  bytes: number;
  def: number;
  /** Last invocation reading it; graph outputs use the invocation count (alive to the end). */
  lastUse: number;
}

export interface MemoryLevelCap {
  name: string;
  size: number;
}

export interface MemoryPlan {
  buffers: BufferDecl[];
  /** Tensor name -> buffer id. */
  bufferOf: Map<string, number>;
  /** Largest total of simultaneously live tensor bytes (the lower bound any plan needs). */
  peakBytes: number;
  /** Invocation at which the peak occurs (-1 = before the first). */
  peakAt: number;
  /** Sum of buffer extents (what this plan reserves). */
  allocatedBytes: number;
  levels: MemoryUse[];
  /** Buffers that did not fit the first level, by id. */
  spilled: number[];
  /** Live bytes before the first invocation and after each one, for plots. */
  timeline: number[];
}

export const BUFFER_ALIGN = 16;
const alignUp = (n: number): number => Math.ceil(n / BUFFER_ALIGN) * BUFFER_ALIGN;

interface Slot {
  id: number;
  bytes: number;
  busyUntil: number;
  first: string;
}

/**
 * Assign tensors to reusable buffers, in order of definition: a tensor takes the smallest free buffer that holds
 * it (best fit), else grows the largest free one, else opens a new buffer. A buffer is free for a tensor defined at
 * step t when every tensor it held was last read before t (inputs and outputs of one kernel never share).
 */
function assign(tensors: readonly LiveTensor[]): { slots: Slot[]; bufferOf: Map<string, number> } {
  const order = tensors.map((t, i) => ({ t, i })).sort((a, b) => a.t.def - b.t.def || a.i - b.i);
  const slots: Slot[] = [];
  const bufferOf = new Map<string, number>();
  for (const { t } of order) {
    const last = Math.max(t.lastUse, t.def);
    let best: Slot | undefined;
    let largest: Slot | undefined;
    for (const s of slots) {
      if (s.busyUntil >= t.def) continue;
      if (s.bytes >= t.bytes && (!best || s.bytes < best.bytes)) best = s;
      if (!largest || s.bytes > largest.bytes) largest = s;
    }
    const slot = best ?? largest ?? { id: slots.length, bytes: 0, busyUntil: -Infinity, first: t.name };
    if (slot.id === slots.length) slots.push(slot);
    slot.bytes = Math.max(slot.bytes, t.bytes);
    slot.busyUntil = last;
    bufferOf.set(t.name, slot.id);
  }
  return { slots, bufferOf };
}

/** Live bytes before the first invocation (index 0) and after invocation k (index k+1), plus the peak. */
function liveness(tensors: readonly LiveTensor[], steps: number): { timeline: number[]; peak: number; peakAt: number } {
  const delta = new Float64Array(steps + 2);
  for (const t of tensors) {
    const from = t.def + 1;
    const to = Math.min(Math.max(t.lastUse, t.def), steps) + 1;
    delta[from] = delta[from]! + t.bytes;
    if (to + 1 <= steps + 1) delta[to + 1] = delta[to + 1]! - t.bytes;
  }
  const timeline: number[] = [];
  let acc = 0;
  let peak = 0;
  let peakAt = -1;
  for (let i = 0; i <= steps; i++) {
    acc += delta[i]!;
    timeline.push(acc);
    if (acc > peak) {
      peak = acc;
      peakAt = i - 1;
    }
  }
  return { timeline, peak, peakAt };
}

/**
 * Place buffers level by level, fastest first. Smaller buffers are placed first so that as many tensors as
 * possible stay on chip; a buffer that does not fit a level goes to the next one.
 */
function place(slots: readonly Slot[], levels: readonly MemoryLevelCap[]): { buffers: BufferDecl[]; used: number[] } {
  const used = levels.map(() => 0);
  const buffers: BufferDecl[] = slots.map((s) => ({ id: s.id, name: s.first, bytes: s.bytes, memory: '', offset: 0 }));
  const bySize = [...slots].sort((a, b) => a.bytes - b.bytes || a.id - b.id);
  for (const s of bySize) {
    const b = buffers[s.id]!;
    const lvl = levels.findIndex((l, i) => alignUp(used[i]!) + s.bytes <= l.size);
    if (lvl < 0) {
      throw new DspcError('E_LIMIT', `activation tensor '${s.first}' needs a ${s.bytes}-byte buffer, which fits no memory level ` +
        `(${levels.map((l, i) => `${l.name}: ${l.size - alignUp(used[i]!)} of ${l.size} bytes free`).join(', ')})`);
    }
    b.memory = levels[lvl]!.name;
    b.offset = alignUp(used[lvl]!);
    used[lvl] = b.offset + s.bytes;
  }
  return { buffers, used };
}

/** Plan activation memory for a schedule of `steps` invocations. */
export function planMemory(tensors: readonly LiveTensor[], levels: readonly MemoryLevelCap[], steps: number): MemoryPlan {
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) throw new Error(`memory plan: tensor '${t.name}' listed twice`);
    names.add(t.name);
  }
  const { slots, bufferOf } = assign(tensors);
  const { buffers, used } = place(slots, levels);
  const { timeline, peak, peakAt } = liveness(tensors, steps);
  const first = levels[0]?.name;
  return {
    buffers, bufferOf, peakBytes: peak, peakAt, timeline,
    allocatedBytes: slots.reduce((s, b) => s + b.bytes, 0),
    levels: levels.map((l, i) => ({ name: l.name, size: l.size, used: used[i]! })),
    spilled: buffers.filter((b) => b.memory !== first).map((b) => b.id),
  };
}
