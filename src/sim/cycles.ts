// Stage: simulator. Cycle model: per invocation launch + max(compute, memory), parameter DMA on a timeline, summed over the schedule.
// Contract: pure functions of (schedule, target); the formulas are exactly those of docs/cost-model.md "Cycle model".

import type { BufferDecl, Invocation, KernelDef, KernelRole, QDType } from '../../kernels/types.js';
import type { Target } from '../../kernels/target.js';
import { DspcError } from '../ir/errors.js';
import type { Program } from './program.js';

/** Own cost of one invocation, before it is placed on the timeline (no DMA stall). */
export interface InvocationCost {
  launch: number;
  /** MAC/vector cycles, the epilogue overlapped with the output stage (max, not sum). */
  compute: number;
  /** Slowest memory level: ceil(bytes / bytesPerCycle) + latency, per level the invocation touches. */
  memory: number;
  /** Cycles of each memory level the activation tensors touch. */
  memoryByLevel: Record<string, number>;
  /** Activation bytes read + written per memory level. */
  bytes: Record<string, number>;
  /** Parameter bytes and the DMA cycles to load them. */
  paramBytes: number;
  dma: number;
  macs: number;
  /** launch + max(compute, memory). */
  own: number;
}

export type Bound = 'compute' | 'memory' | 'dma' | 'launch' | 'free';

/** One invocation as the estimate reports it. */
export interface KernelCycles extends InvocationCost {
  index: number;
  kernel: string;
  node: string;
  role: KernelRole;
  /** Activation kernel folded into the output stage, if any. */
  epilogue: string | null;
  origin: string[];
  /** Cycles waiting for this invocation's parameter DMA after the previous invocation ended. */
  dmaStall: number;
  /** Cycles charged to this invocation: dmaStall + own (0 when costed as free). */
  cycles: number;
  /** Start and end cycle on the program timeline. */
  start: number;
  end: number;
  /** MACs / (cycles * macsPerCycle[dtype]); 0 for kernels without MACs. */
  utilisation: number;
  /** What limits it: the largest of compute, memory, DMA stall and launch. */
  bound: Bound;
}

export interface Estimate {
  target: string;
  clockHz: number;
  dtype: QDType;
  /** Total cycles: the end of the last invocation = sum of per-invocation cycles. */
  cycles: number;
  /** cycles / clockHz. */
  seconds: number;
  macs: number;
  /** MACs / (cycles * macsPerCycle[dtype]). */
  utilisation: number;
  kernels: KernelCycles[];
  /** Per kernel name: invocations and cycles. */
  byKernel: Record<string, { count: number; cycles: number }>;
}

export interface EstimateOptions {
  /** Invocations costed at zero (no launch, compute, memory or DMA): the ideal limit passes standalone activations. */
  free?: (inv: Invocation, def: KernelDef) => boolean;
}

function levelOf(target: Target, name: string): Target['memories'][number] {
  const m = target.memories.find((l) => l.name === name);
  if (!m) throw new DspcError('E_ARTIFACT', `memory level '${name}' of the schedule is not a memory of target '${target.id}'`);
  return m;
}

/** Cycles to move `bytes` through a memory level: streaming at its bandwidth after one latency. */
export function transferCycles(bytes: number, bytesPerCycle: number, latency: number): number {
  return bytes > 0 ? Math.ceil(bytes / bytesPerCycle) + latency : 0;
}

/**
 * Own cost of one invocation on a target. Tensors are charged to the memory level of their buffer; a level's
 * latency is paid once per invocation (the kernel streams each tensor, so only the first access waits).
 */
export function invocationCost(inv: Invocation, def: KernelDef, target: Target, buffers: readonly BufferDecl[]): InvocationCost {
  if (def.role === 'view') {
    return { launch: 0, compute: 0, memory: 0, memoryByLevel: {}, bytes: {}, paramBytes: 0, dma: 0, macs: 0, own: 0 };
  }
  const w = def.work(inv, target);
  const overlap = w.epilogueCycles === undefined ? 0 : Math.max(0, w.epilogueCycles - (w.outputStageCycles ?? 0));
  const compute = w.computeCycles + overlap;
  const bytes: Record<string, number> = {};
  const add = (buffer: number, b: number): void => {
    const mem = buffers[buffer]!.memory;
    bytes[mem] = (bytes[mem] ?? 0) + b;
  };
  inv.inputs.forEach((t, k) => add(t.buffer, w.inputBytes[k] ?? 0));
  inv.outputs.forEach((t, k) => add(t.buffer, w.outputBytes[k] ?? 0));
  const memoryByLevel: Record<string, number> = {};
  let memory = 0;
  for (const [name, b] of Object.entries(bytes)) {
    const l = levelOf(target, name);
    memoryByLevel[name] = transferCycles(b, l.bytesPerCycle, l.latencyCycles);
    memory = Math.max(memory, memoryByLevel[name]!);
  }
  const pm = target.paramMemory;
  const dma = transferCycles(w.paramBytes, pm.dmaBytesPerCycle, levelOf(target, pm.memory).latencyCycles);
  const launch = target.kernelLaunchCycles;
  return { launch, compute, memory, memoryByLevel, bytes, paramBytes: w.paramBytes, dma, macs: w.macs, own: launch + Math.max(compute, memory) };
}

function boundOf(c: InvocationCost, stall: number): Bound {
  if (c.own === 0 && stall === 0) return 'free';
  const parts: [Bound, number][] = [['compute', c.compute], ['memory', c.memory], ['dma', stall], ['launch', c.launch]];
  return parts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}

/**
 * Place every invocation on one timeline. Parameter DMA runs on its own engine, one table set at a time: with
 * double buffering the tables of invocation i load while invocation i-1 runs (the buffer frees when i-2 ends);
 * without, they load after i-1 ends. An invocation starts when its predecessor ended and its tables are in.
 */
export function estimateSchedule(
  invocations: readonly Invocation[], defs: readonly KernelDef[], target: Target, buffers: readonly BufferDecl[],
  dtype: QDType, opts: EstimateOptions = {},
): Estimate {
  const peak = target.macsPerCycle[dtype];
  const kernels: KernelCycles[] = [];
  let end = 0;
  let prevStart = 0;
  let dmaEnd = 0;
  invocations.forEach((inv, i) => {
    const def = defs[i]!;
    const free = opts.free?.(inv, def) ?? false;
    const cost = free ? invocationCost(inv, { ...def, role: 'view' }, target, buffers) : invocationCost(inv, def, target, buffers);
    let start = end;
    if (cost.dma > 0) {
      const dmaStart = Math.max(dmaEnd, target.paramMemory.doubleBuffered ? prevStart : end);
      dmaEnd = dmaStart + cost.dma;
      start = Math.max(end, dmaEnd);
    }
    const dmaStall = start - end;
    const cycles = dmaStall + cost.own;
    kernels.push({
      index: inv.index, kernel: inv.kernel, node: inv.node, role: def.role, epilogue: inv.epilogue?.kernel ?? null,
      origin: [...inv.origin], ...cost, dmaStall, cycles, start, end: start + cost.own,
      utilisation: cycles > 0 ? cost.macs / (cycles * peak) : 0, bound: boundOf(cost, dmaStall),
    });
    if (cost.own > 0 || cost.dma > 0) prevStart = start;
    end = start + cost.own;
  });
  const macs = kernels.reduce((s, k) => s + k.macs, 0);
  const byKernel: Record<string, { count: number; cycles: number }> = {};
  for (const k of kernels) {
    const e = (byKernel[k.kernel] ??= { count: 0, cycles: 0 });
    e.count++;
    e.cycles += k.cycles;
  }
  return {
    target: target.id, clockHz: target.clockHz, dtype, cycles: end, seconds: end / target.clockHz, macs,
    utilisation: end > 0 ? macs / (end * peak) : 0, kernels,
    byKernel: Object.fromEntries(Object.entries(byKernel).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

/** Cycle estimate of a loaded program. */
export function estimate(p: Program, opts: EstimateOptions = {}): Estimate {
  return estimateSchedule(p.schedule.invocations, p.kernels, p.target, p.schedule.buffers, p.schedule.dtype, opts);
}

/** The ideal limit: the same program with every standalone activation kernel at zero cost. */
export function estimateIdeal(p: Program): Estimate {
  return estimate(p, { free: (_inv, def) => def.role === 'activation' });
}
