// Stage: backend. compileGraph: BatchNorm fold -> calibration -> fusion verdicts -> lowering -> schedule.json, params.bin, params.h, report.json.
// Contract: deterministic (byte-identical artifacts for equal inputs, no timestamps); "before" counts are the same compile without fusion.

import type { Schedule } from '../../kernels/artifacts.js';
import type { Target } from '../../kernels/target.js';
import type { QDType } from '../../kernels/types.js';
import type { Graph } from '../ir/graph.js';
import { isActivation } from '../ir/optable.js';
import { collectRangesMany, defaultSampleCount, DEFAULT_CALIB_SEED, foldBatchNorm, HistogramSet, narrowRanges, randomSamples } from '../quant/index.js';
import { producers } from '../ir/graph.js';
import type { BnFoldResult, CalibMethod, CalibrationInfo, Ranges, Sample, ValueHistogram } from '../quant/index.js';
import { emitParamsHeader } from './header.js';
import { lowerGraph, sortKeys } from './lower.js';
import type { Lowering } from './lower.js';
import { selectAndFold } from './select.js';
import { fusionVerdicts } from './verdict.js';
import type { FusionVerdict } from './verdict.js';

export interface CalibrationData {
  samples: Sample[];
  info: CalibrationInfo;
}

export interface BackendOptions {
  /** Activation type of the program (default int8). */
  dtype?: QDType;
  /** Output-directory marker written into schedule.json/report.json (default: the graph name). */
  modelId?: string;
  /**
   * The same model optimized with fusion off. When given, `g` is the fused graph: verdicts run on every fused
   * node and report "before" counts come from this graph. When absent, `g` is compiled as is (--no-fuse).
   */
  unfused?: Graph;
  /** Accept only bit-exact merges. */
  exact?: boolean;
  /** Calibration inputs (e.g. loadCalibrationDir); default: seeded standard-normal random inputs. */
  calibration?: CalibrationData;
  /** How an activation's observed values become its range (default DEFAULT_CALIB_METHOD; docs/quantization.md). */
  calibMethod?: CalibMethod;
  /** Values computed in int16 inside an int8 program (mixed precision: whole units of precisionUnits()). */
  wide?: ReadonlySet<string>;
  /** Seed and count of the default random calibration inputs. */
  seed?: number;
  samples?: number;
  /** Runs each step as a named phase (the pipeline's --timings recorder); absent: the steps run plainly. */
  phase?: <T>(name: string, fn: () => T) => T;
}

export interface BackendReport {
  format: 'dspc-report';
  version: 1;
  modelId: string;
  model: string;
  target: string;
  dtype: QDType;
  fused: boolean;
  kernels: { before: number; after: number; byType: Record<string, number>; beforeByType: Record<string, number> };
  activations: { before: number; after: number; folded: number; standalone: number; foldedBefore: number };
  memory: {
    peakBytes: number;
    peakAt: number;
    allocatedBytes: number;
    onChip: { memory: string; size: number; fits: boolean };
    levels: Schedule['memories'];
    buffers: number;
    tensors: number;
    spilledBuffers: number;
    paramBytes: number;
    /** Live activation bytes before the first invocation and during each one. */
    timeline: number[];
  };
  fusion: FusionVerdict[];
  calibration: CalibrationInfo & { method: CalibMethod };
  rewrites: { batchNormFolded: number; batchNormAsDepthwise: number; views: number; verdictFallbacks: number };
  /** Per-kernel SQNR against float on the reference input (when the compile ran the bit-accurate check). */
  accuracy?: AccuracyReport;
  /** Mixed precision (--min-sqnr). */
  precision?: PrecisionReport;
  /** Wall time and memory per phase of the compile (only when timings were asked for: they differ run to run). */
  timings?: Record<string, string | number>[];
}

/** One invocation's output against float on the reference input (filled by the pipeline after lowering). */
export interface KernelAccuracy {
  /** Invocation index in schedule.json. */
  index: number;
  kernel: string;
  node: string;
  /** Epilogue activation applied in its output stage, if any. */
  epilogue?: string;
  /** The IR value compared (the invocation's first output). */
  value: string;
  dtype: string;
  /** SQNR of the output against float, dB; null when not finite (no error at all, or an all-zero float output). */
  sqnrDb: number | null;
  maxAbsError: number;
}

/** What --min-sqnr did: units raised to int16 step by step, network SQNR on the calibration set and cycles. */
export interface PrecisionReport {
  minSqnrDb: number;
  reached: boolean;
  /** Calibration samples the SQNR is measured on. */
  samples: number;
  sqnrDb: { int8: number; mixed: number };
  cycles: { int8: number; mixed: number };
  /** Kernel invocations (node names) whose outputs are int16. */
  int16Kernels: string[];
  /** Graph inputs the host quantizes to int16. */
  int16Inputs: string[];
  /** Precision units of the program (the search raises whole units). */
  units: number;
  /** Each step: the units raised ('input <name>' for a graph input, else kernel node names), network SQNR after it, its gain and the program's cycles. */
  steps: { kernels: string[]; sqnrDb: number; gainDb: number; cycles: number }[];
}

export interface AccuracyReport {
  /** Which input the figures are on: the compile's reference input (seeded default or given with --input). */
  input: 'default' | 'given';
  kernels: KernelAccuracy[];
}

export interface Artifacts {
  schedule: Schedule;
  paramsBin: Uint8Array;
  /** params.h text, generated on first read (megabytes of C for large models; the unfused baseline never writes it). */
  readonly paramsH: string;
  report: BackendReport;
  /** The graph actually lowered (after BatchNorm folding and verdict fallbacks). */
  graph: Graph;
  lowering: Lowering;
}

// Memo tables: graphs are immutable by convention, so BN folds, random samples and ranges computed for one graph
// object are reused when the same graph is compiled again (every preset, int8 and int16, fused and --no-fuse).
const bnMemo = new WeakMap<Graph, BnFoldResult>();
const sampleMemo = new WeakMap<Graph, Map<string, CalibrationData>>();
const rangeMemo = new WeakMap<readonly Sample[], WeakMap<Graph, Observed>>();

/** What calibration saw of one graph: min/max of every value, and (when a method needed them) value histograms. */
interface Observed {
  raw: Ranges;
  hist?: Map<string, ValueHistogram>;
}

/** Activation ranges by min-max unless the caller chooses; measured on the shared real models (docs/quantization.md). */
export const DEFAULT_CALIB_METHOD: CalibMethod = 'minmax';

function foldBn(g: Graph): BnFoldResult {
  let r = bnMemo.get(g);
  if (!r) bnMemo.set(g, (r = foldBatchNorm(g)));
  return r;
}

/** The calibration samples a compile of `g` with `opts` uses (given, or the memoised seeded random ones). */
export function calibrationOf(g: Graph, opts: BackendOptions): CalibrationData {
  if (opts.calibration) return opts.calibration;
  const seed = opts.seed ?? DEFAULT_CALIB_SEED;
  const n = opts.samples ?? defaultSampleCount(g);
  let m = sampleMemo.get(g);
  if (!m) sampleMemo.set(g, (m = new Map()));
  const key = `${seed}/${n}`;
  let c = m.get(key);
  if (!c) {
    c = { samples: randomSamples(g, seed, n), info: { source: 'random', samples: n, seed, distribution: 'standard normal, every input element' } };
    m.set(key, c);
  }
  return c;
}

/**
 * Ranges of each graph by a calibration method; graphs calibrated together share their common float evaluation.
 * Histograms are collected only for methods that need them (min-max needs only the running min/max).
 */
function rangesOf(graphs: Graph[], samples: readonly Sample[], method: CalibMethod, dtype: QDType): Ranges[] {
  let m = rangeMemo.get(samples);
  if (!m) rangeMemo.set(samples, (m = new WeakMap()));
  const memo = m;
  const needHist = method !== 'minmax';
  const missing = graphs.filter((g, i) => (!memo.has(g) || (needHist && !memo.get(g)!.hist)) && graphs.indexOf(g) === i);
  if (missing.length > 0) {
    const hs = needHist ? new HistogramSet(missing.length) : undefined;
    collectRangesMany(missing, samples, hs?.observe).forEach((r, i) => memo.set(missing[i]!, hs ? { raw: r, hist: hs.perGraph[i]! } : { raw: r }));
  }
  return graphs.map((g) => {
    const o = memo.get(g)!;
    return o.hist ? HistogramSet.rangesOf(o.hist, method, dtype, o.raw) : o.raw;
  });
}

/**
 * The fused graph takes the unfused graph's (narrowed) range for every value both graphs produce with the same
 * node, so both programs quantize shared tensors identically and bit-exact merges give bit-identical programs.
 */
function alignRanges(fused: Graph, unfused: Graph, fusedRanges: Ranges, unfusedRanges: Ranges): Ranges {
  const uProd = producers(unfused);
  const fProd = producers(fused);
  const out: Ranges = new Map();
  for (const [v, r] of fusedRanges) {
    const a = fProd.get(v);
    const b = uProd.get(v);
    const same = a && b ? a.name === b.name && a.op === b.op : !a && !b;
    const u = same ? unfusedRanges.get(v) : undefined;
    out.set(v, u ? { ...u } : r);
  }
  return out;
}

/** Kernel counts of a graph without lowering it (selection + epilogue folding only). */
function countKernels(g: Graph, target: Target): { kernels: number; byType: Record<string, number>; folded: number } {
  const sel = selectAndFold(g, target);
  const byType: Record<string, number> = {};
  let kernels = 0;
  for (const n of g.nodes) {
    const s = sel.of.get(n.name);
    if (s?.kind !== 'kernel' || sel.foldedInto.has(n.name)) continue;
    kernels++;
    byType[s.kernel.name] = (byType[s.kernel.name] ?? 0) + 1;
  }
  return { kernels, byType: sortKeys(byType), folded: sel.foldedInto.size };
}

/** Compile an optimized graph for a target into the four artifacts (model.optimized.onnx is the pipeline's). */
export function compileGraph(g: Graph, target: Target, opts: BackendOptions = {}): Artifacts {
  const phase = opts.phase ?? (<T>(_name: string, fn: () => T): T => fn());
  const dtype = opts.dtype ?? 'int8';
  const modelId = opts.modelId ?? g.name;
  const method = opts.calibMethod ?? DEFAULT_CALIB_METHOD;
  const fusedBn = phase('batchnorm folding', () => foldBn(g));
  const unfusedBn = opts.unfused ? phase('batchnorm folding', () => foldBn(opts.unfused!)) : fusedBn;
  const { calib, fusedRanges, unfusedRanges } = phase('calibration', () => {
    const calib = calibrationOf(unfusedBn.graph, opts);
    const graphs = opts.unfused ? [unfusedBn.graph, fusedBn.graph] : [unfusedBn.graph];
    const [rawUnfused, rawFused = rawUnfused] = rangesOf(graphs, calib.samples, method, dtype) as [Ranges, Ranges?];
    const unfusedRanges = narrowRanges(unfusedBn.graph, rawUnfused);
    const fusedRanges = opts.unfused ? alignRanges(fusedBn.graph, unfusedBn.graph, narrowRanges(fusedBn.graph, rawFused), unfusedRanges) : unfusedRanges;
    return { calib, fusedRanges, unfusedRanges };
  });
  const verdict = opts.unfused
    ? phase('verdicts', () => fusionVerdicts(fusedBn.graph, unfusedBn.graph, { dtype, exact: opts.exact ?? false, fusedRanges, unfusedRanges }))
    : { verdicts: [], graph: fusedBn.graph, ranges: fusedRanges };
  const lowering = phase('lowering', () => lowerGraph(verdict.graph, target, { dtype, ranges: verdict.ranges, modelId, fused: opts.unfused !== undefined, ...(opts.wide ? { wide: opts.wide } : {}) }));
  const before = opts.unfused ? countKernels(unfusedBn.graph, target) : { ...lowering.stats, kernels: lowering.stats.kernels };
  const st = lowering.stats;
  const mem = lowering.memory;
  const first = mem.levels[0]!;
  const report: BackendReport = {
    format: 'dspc-report', version: 1, modelId, model: g.name, target: target.id, dtype, fused: opts.unfused !== undefined,
    kernels: { before: before.kernels, after: st.kernels, byType: st.byType, beforeByType: before.byType },
    activations: {
      before: unfusedBn.graph.nodes.filter((n) => isActivation(n.op)).length,
      after: st.activations, folded: st.folded, standalone: st.activations - st.folded, foldedBefore: before.folded,
    },
    memory: {
      peakBytes: mem.peakBytes, peakAt: mem.peakAt, allocatedBytes: mem.allocatedBytes,
      onChip: { memory: first.name, size: first.size, fits: mem.spilled.length === 0 },
      levels: mem.levels, buffers: mem.buffers.length, tensors: mem.bufferOf.size, spilledBuffers: mem.spilled.length,
      paramBytes: lowering.paramsBin.length, timeline: mem.timeline,
    },
    fusion: verdict.verdicts,
    calibration: { ...calib.info, method },
    rewrites: {
      batchNormFolded: fusedBn.folded, batchNormAsDepthwise: fusedBn.converted, views: st.views,
      verdictFallbacks: verdict.verdicts.filter((v) => !v.accepted).length,
    },
  };
  let paramsH: string | undefined;
  return {
    schedule: lowering.schedule, paramsBin: lowering.paramsBin, report, graph: verdict.graph, lowering,
    get paramsH(): string {
      return (paramsH ??= emitParamsHeader(lowering.tables, lowering.image, target.id, modelId));
    },
  };
}

/** The files of an artifact directory, ready for writeArtifacts (JSON with 2-space indent and a final newline). */
export function artifactFiles(a: Artifacts): Record<string, Uint8Array | string> {
  return {
    'schedule.json': `${JSON.stringify(a.schedule, null, 2)}\n`,
    'params.bin': a.paramsBin,
    'params.h': a.paramsH,
    'report.json': `${JSON.stringify(a.report, null, 2)}\n`,
  };
}
