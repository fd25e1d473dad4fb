// Stage: simulator. The speedup report: fused vs unfused vs ideal cycles per kernel and in total, plus the functional comparison.
// Contract: speedup = unfused/fused, ofIdeal = (unfused - fused)/(unfused - ideal) as docs/cost-model.md defines them, edge cases included.

import type { QDType } from '../../kernels/types.js';
import type { Tensor } from '../ir/tensor.js';
import { toFloat32 } from '../ir/tensor.js';
import { estimate, estimateIdeal } from './cycles.js';
import type { Estimate, KernelCycles } from './cycles.js';
import { runProgramCodes } from './execute.js';
import type { RunOptions } from './execute.js';
import { bitIdentical, errorStats } from './metrics.js';
import type { ErrorStats } from './metrics.js';
import type { Program } from './program.js';

export interface ProgramCounts {
  /** Kernel invocations. */
  kernels: number;
  /** Invocations of activation kernels (standalone activations). */
  activations: number;
  /** Invocations with an activation folded into their epilogue. */
  folded: number;
}

export interface SpeedupReport {
  model: string;
  target: string;
  dtype: QDType;
  clockHz: number;
  /** unfused is null when no unfused program was available. */
  cycles: { unfused: number | null; fused: number; ideal: number };
  /** unfused / fused. */
  speedup: number | null;
  /**
   * Fraction of the ideal gain achieved: (unfused - fused) / (unfused - ideal). When no gain is possible
   * (unfused <= ideal) it is 1 if fused = unfused and null otherwise.
   */
  ofIdeal: number | null;
  /** Wall time on the target at its clock, in seconds. */
  seconds: { unfused: number | null; fused: number; ideal: number };
  macs: number;
  utilisation: number;
  counts: { fused: ProgramCounts; unfused: ProgramCounts | null };
  /** Per invocation of the fused program. */
  kernels: KernelCycles[];
  /** Per invocation of the unfused program (side-by-side timelines). */
  unfusedKernels: KernelCycles[] | null;
  /** Per kernel name of the fused program: invocations and cycles. */
  byKernel: Estimate['byKernel'];
  functional?: FunctionalReport;
}

export interface OutputComparison {
  name: string;
  /** Fused output against the float reference (null without a reference). */
  fused: ErrorStats | null;
  unfused: ErrorStats | null;
  /** Fused and unfused output codes and quantization equal (null without an unfused program). */
  identical: boolean | null;
}

export interface FunctionalReport {
  /** Where the input came from: the compile's stored reference input, the seeded default, or the caller. */
  input: 'reference' | 'default' | 'given';
  seed?: number;
  outputs: OutputComparison[];
  /** Worst over outputs (null without a reference). */
  sqnrDb: number | null;
  maxAbsError: number | null;
  identical: boolean | null;
  /** Every accepted merge of report.json's fusion verdicts is bit-exact (null without report.json). */
  allMergesBitExact: boolean | null;
}

export function countsOf(p: Program): ProgramCounts {
  return {
    kernels: p.schedule.invocations.length,
    activations: p.kernels.filter((k) => k.role === 'activation').length,
    folded: p.schedule.invocations.filter((inv) => inv.epilogue !== undefined).length,
  };
}

/** speedup and ofIdeal from the three totals (see SpeedupReport). */
export function speedupOf(unfused: number, fused: number, ideal: number): { speedup: number; ofIdeal: number | null } {
  const speedup = fused > 0 ? unfused / fused : unfused > 0 ? Infinity : 1;
  const gain = unfused - ideal;
  if (gain > 0) return { speedup, ofIdeal: (unfused - fused) / gain };
  return { speedup, ofIdeal: fused === unfused ? 1 : null };
}

/** Cycle totals and per-kernel figures of a fused program against its unfused compile (when given). */
export function speedupReport(fused: Program, unfused?: Program): SpeedupReport {
  const f = estimate(fused);
  const i = estimateIdeal(fused);
  const u = unfused ? estimate(unfused) : null;
  const s = u ? speedupOf(u.cycles, f.cycles, i.cycles) : { speedup: null, ofIdeal: null };
  const hz = fused.target.clockHz;
  return {
    model: fused.schedule.model, target: fused.target.id, dtype: fused.schedule.dtype, clockHz: hz,
    cycles: { unfused: u?.cycles ?? null, fused: f.cycles, ideal: i.cycles },
    speedup: s.speedup, ofIdeal: s.ofIdeal,
    seconds: { unfused: u ? u.cycles / hz : null, fused: f.seconds, ideal: i.seconds },
    macs: f.macs, utilisation: f.utilisation,
    counts: { fused: countsOf(fused), unfused: unfused ? countsOf(unfused) : null },
    kernels: f.kernels, unfusedKernels: u?.kernels ?? null, byKernel: f.byKernel,
  };
}

export interface FunctionalOptions extends RunOptions {
  inputs: Map<string, Tensor>;
  input: FunctionalReport['input'];
  seed?: number;
  /** Float reference outputs for these inputs, by output name. */
  reference?: Map<string, Tensor>;
}

/** Run fused (and unfused) on the same inputs; compare with the reference and with each other. */
export function functionalReport(fused: Program, unfused: Program | undefined, opts: FunctionalOptions): {
  report: FunctionalReport; outputs: Map<string, Tensor>;
} {
  const f = runProgramCodes(fused, opts.inputs, opts);
  const u = unfused ? runProgramCodes(unfused, opts.inputs, opts) : null;
  const refOf = (name: string, k: number): Tensor | undefined =>
    opts.reference?.get(name) ?? (opts.reference?.size === fused.schedule.outputs.length ? [...opts.reference.values()][k] : undefined);
  const outputs = fused.schedule.outputs.map((o, k): OutputComparison => {
    const ref = refOf(o.name, k);
    const fo = f.outputs.get(o.name)!;
    const uo = u?.outputs.get(o.name) ?? (u ? [...u.outputs.values()][k] : undefined);
    const uc = u?.codes.get(o.name) ?? (u ? [...u.codes.values()][k] : undefined);
    const uio = unfused?.schedule.outputs.find((x) => x.name === o.name) ?? unfused?.schedule.outputs[k];
    return {
      name: o.name,
      fused: ref ? errorStats(toFloat32(ref), toFloat32(fo), o.name) : null,
      unfused: ref && uo ? errorStats(toFloat32(ref), toFloat32(uo), o.name) : null,
      identical: uc && uio ? uio.scale === o.scale && uio.zeroPoint === o.zeroPoint && bitIdentical(f.codes.get(o.name)!, uc) : null,
    };
  });
  const withRef = outputs.filter((o) => o.fused !== null);
  const report: FunctionalReport = {
    input: opts.input, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), outputs,
    sqnrDb: withRef.length ? Math.min(...withRef.map((o) => o.fused!.sqnrDb)) : null,
    maxAbsError: withRef.length ? Math.max(...withRef.map((o) => o.fused!.maxAbsError)) : null,
    identical: u ? outputs.every((o) => o.identical === true) : null,
    allMergesBitExact: fused.report ? fused.report.fusion.every((v) => !v.accepted || v.bitExact) : null,
  };
  return { report, outputs: f.outputs };
}
