// Stage: pipeline. The whole compile, top to bottom: import -> verify -> optimize -> quantize/calibrate -> fusion verdicts -> lower -> emit -> simulate.
// Contract: typed library entry points (compile, optimize, simulate, inspect, run); every failure is a DspcError, nothing half-written on disk.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importOnnxFile } from './frontend/index.js';
import { encodeTensorProto, exportOnnx, readInputFiles, readTensorPb, writeTensorPb } from './frontend/index.js';
import type { InputSlot, PreprocessArg } from './frontend/index.js';
export { parsePreprocess } from './frontend/index.js';
export type { PreprocessArg, PreprocessSpec } from './frontend/index.js';
import { DspcError } from './ir/errors.js';
import type { Graph } from './ir/graph.js';
import { interpret } from './ir/interpret.js';
import { isActivation } from './ir/optable.js';
import { graphStats } from './ir/stats.js';
import type { GraphStats } from './ir/stats.js';
import type { Tensor } from './ir/tensor.js';
import { verifyGraph } from './ir/verify.js';
import { kernelAccuracy } from './accuracy.js';
import { searchPrecision } from './precision.js';
import { optimizeGraph } from './passes/index.js';
import type { OptimizeReport } from './passes/index.js';
import type { PassContext } from './passes/types.js';
import { activationKernelOps, DEFAULT_TARGET, loadTarget } from '../kernels/target.js';
import type { Target } from '../kernels/target.js';
import { parseParamsBin, validateSchedule } from '../kernels/artifacts.js';
import type { MemoryUse, ParamsFile, Schedule } from '../kernels/artifacts.js';
import type { QDType } from '../kernels/types.js';
import type { CalibMethod } from './quant/index.js';
import { qdqSpecOf } from './backend/index.js';
import { exportQdq } from './frontend/index.js';
import { artifactFiles, calibrationOf, compileGraph, loadCalibrationDir, widenToUnits, writeArtifacts } from './backend/index.js';
import type { Artifacts, BackendOptions } from './backend/index.js';
import { DEFAULT_INPUT_SEED, defaultInputs, functionalReport, programFromArtifacts, referenceFileNames, SCHEDULE_FILE, simulateDir, speedupReport, UNFUSED_PREFIX } from './sim/index.js';
import type { Program, SimulateOptions, SpeedupReport } from './sim/index.js';
import { timed } from './timings.js';
import type { Timings } from './timings.js';

/** Progress of long work: (phase, done, total). The CLI draws a bar from it; library users may ignore it. */
export type ProgressFn = (phase: string, done: number, total: number) => void;

/** A target preset name, a path to a target JSON file, or an already loaded description. */
export type TargetSpec = string | Target;

export function resolveTarget(spec: TargetSpec | undefined): Target {
  if (spec === undefined) return loadTarget(DEFAULT_TARGET);
  return typeof spec === 'string' ? loadTarget(spec) : spec;
}

// ------------------------------------------------------------------------------------------------------------------
// 1. import + verify
// ------------------------------------------------------------------------------------------------------------------

export interface LoadOptions {
  /** Refuse model files (plus external data) larger than this many bytes (default 2 GiB). */
  maxModelBytes?: number;
  /** Refuse any tensor (constant, input, activation) larger than this many bytes (default 1 GiB). */
  maxTensorBytes?: number;
  /** Refuse models whose one inference needs more element operations than this (default 1e11). */
  maxWork?: number;
  /** Record wall time and memory of each phase here (`--timings`); absent: nothing is measured. */
  timings?: Timings;
}

/** Import an ONNX file into the IR. The importer infers shapes and runs verifyGraph before returning. */
export function loadModel(modelPath: string, opts: LoadOptions = {}): Graph {
  const { maxModelBytes, maxTensorBytes, maxWork } = opts;
  return timed(opts.timings, 'import', () => importOnnxFile(modelPath, {
    ...(maxModelBytes !== undefined ? { maxModelBytes } : {}),
    ...(maxTensorBytes !== undefined ? { maxTensorBytes } : {}),
    ...(maxWork !== undefined ? { maxWork } : {}),
  }));
}

function graphOf(model: string | Graph, opts: LoadOptions): { graph: Graph; file: string } {
  if (typeof model === 'string') return { graph: loadModel(model, opts), file: model };
  verifyGraph(model, { stage: 'input graph' });
  return { graph: model, file: model.meta['source'] ?? model.name };
}

// ------------------------------------------------------------------------------------------------------------------
// 2. optimize (graph passes, activation fusion)
// ------------------------------------------------------------------------------------------------------------------

export interface OptimizeOptions extends LoadOptions {
  target?: TargetSpec;
  /** Verify the graph after every pass, naming the pass that broke it (tests and DSPC_DEBUG runs). */
  verifyEachPass?: boolean;
  /**
   * Merges must reproduce the chain's float32 result (`--strict-float`). Default: a merge is accepted when its result is
   * never further from the chain's real-arithmetic value than the chain's float32 result (docs/fusion.md).
   */
  strictFloat?: boolean;
}

export interface OptimizeResult {
  /** The imported graph, before any pass. */
  source: Graph;
  /** The optimized graph. */
  graph: Graph;
  /** Issue-3 report: node and activation counts before/after, chains, rule counts. */
  report: OptimizeReport;
  target: Target;
}

export function passContext(target: Target, verify: boolean, strictFloat = false): PassContext {
  return { target: { name: target.id, activationKernels: activationKernelOps(target) }, verify, strictFloat };
}

/** Run the graph passes for a target; the result is verified. */
export function optimize(model: string | Graph, opts: OptimizeOptions = {}): OptimizeResult {
  const { graph: source, file } = graphOf(model, opts);
  const target = resolveTarget(opts.target);
  const verify = opts.verifyEachPass ?? process.env['DSPC_DEBUG'] === '1';
  const { graph, report } = timed(opts.timings, 'passes', () => optimizeGraph(source, passContext(target, verify, opts.strictFloat === true)));
  verifyGraph(graph, { stage: 'optimize', file });
  return { source, graph, report, target };
}

/** The optimized graph as ONNX bytes (`dspc optimize -o`). */
export function toOnnx(g: Graph): Uint8Array {
  return exportOnnx(g);
}

// ------------------------------------------------------------------------------------------------------------------
// 3-7. quantize/calibrate -> fusion verdicts -> lower -> emit (compile)
// ------------------------------------------------------------------------------------------------------------------

export interface CompileOptions extends OptimizeOptions {
  /** Write the artifacts into this directory (atomically); omit to compile in memory only. */
  out?: string;
  /** Run the activation-fusion passes (default true); false compiles the imported graph as is (--no-fuse). */
  fuse?: boolean;
  dtype?: QDType;
  /** Accept only bit-exact merges (default: merges never further from float than the unfused chain). */
  exact?: boolean;
  /** Directory of calibration .pb tensors and/or PNG/JPEG images (default: seeded random inputs, recorded in the report). */
  calib?: string;
  /** How images (in `calib` and `inputs`) become input tensors: a spec or its text form (`layout=nchw,mean=...` or `@file.json`). */
  preprocess?: PreprocessArg;
  /** Run the program bit-accurately on the reference input and report every kernel's output SQNR vs float in
   *  report.json `accuracy` (default false: it costs one more bit-accurate run; the CLI asks for it with --simulate/--report). */
  accuracy?: boolean;
  /** Mixed precision: raise the most sensitive kernels to int16 activations until the calibration set reaches this output SQNR (dB). int8 only. */
  minSqnr?: number;
  /** Activation calibration method: minmax, percentile, mse or entropy (default: the backend's DEFAULT_CALIB_METHOD). */
  calibMethod?: CalibMethod;
  /** Reference input files (.pb or images, one per model input) instead of the seeded default input. */
  inputs?: string[];
  /** Replace an output directory holding another model's artifacts. */
  force?: boolean;
  /** Also estimate cycles of the fused, unfused and ideal programs (see simulate()). */
  simulate?: boolean;
  /** With simulate: also run both programs bit-accurately against the float reference (default true). */
  functional?: boolean;
  onProgress?: ProgressFn;
}

export interface Reference {
  inputs: NamedTensor[];
  outputs: NamedTensor[];
}

export interface CompileResult {
  model: string;
  /** Identity of the compiled model, recorded in the artifacts (graph name + content hash of the model file). */
  modelId: string;
  target: Target;
  dtype: QDType;
  fused: boolean;
  /** The imported graph (also the unfused baseline: --no-fuse runs no graph pass). */
  source: Graph;
  /** The graph after the passes (equal to source with fuse: false). */
  optimized: Graph;
  /** Issue-3 fusion report (all zero changes with fuse: false). */
  passReport: OptimizeReport;
  /** The compiled program: schedule, params.bin, params.h, report.json contents, lowered graph. */
  artifacts: Artifacts;
  /** The same model compiled without fusion (present when fused), for the before/after comparison. */
  baseline?: Artifacts;
  /** Float reference run on the simulator's default input (written as reference.*.pb). */
  reference: Reference;
  /** Directory written, when opts.out was given. */
  outDir?: string;
  files: string[];
  simulation?: SpeedupReport;
}

/** Graph name plus the first 16 hex digits of the model file's SHA-256: the same file always gets the same id. */
export function modelIdOf(modelPath: string, g: Graph): string {
  const hash = createHash('sha256').update(readFileSync(modelPath)).digest('hex').slice(0, 16);
  return `${g.name}@sha256:${hash}`;
}

function backendOptions(g: Graph, opts: CompileOptions, modelId: string): BackendOptions {
  const b: BackendOptions = { dtype: opts.dtype ?? 'int8', exact: opts.exact ?? false, modelId };
  if (opts.calibMethod !== undefined) b.calibMethod = opts.calibMethod;
  if (opts.calib !== undefined) b.calibration = timed(opts.timings, 'calibration inputs', () => loadCalibrationDir(opts.calib!, g, opts.preprocess));
  if (opts.timings) b.phase = opts.timings.phase;
  return b;
}

/**
 * Compile a model for a target: import, optimize (activation fusion), calibrate and quantize, judge every fused
 * node on every input code, lower onto the target's kernels, emit schedule.json/params.bin/params.h/report.json
 * plus model.optimized.onnx, the unfused program and the float reference, and optionally simulate.
 */
export async function compile(modelPath: string, opts: CompileOptions = {}): Promise<CompileResult> {
  const progress = opts.onProgress ?? ((): void => {});
  const fuse = opts.fuse ?? true;
  const target = resolveTarget(opts.target);
  const t = opts.timings;
  if (opts.minSqnr !== undefined && (opts.dtype ?? 'int8') !== 'int8') throw new DspcError('E_USAGE', '--min-sqnr raises kernels of an int8 program to int16; it needs --dtype int8');
  if (opts.minSqnr !== undefined && !Number.isFinite(opts.minSqnr)) throw new DspcError('E_USAGE', `--min-sqnr must be a number of dB, got ${opts.minSqnr}`);

  // 1. import + verify (the importer infers shapes and verifies)
  const source = loadModel(modelPath, opts);
  const modelId = timed(t, 'model hash', () => modelIdOf(modelPath, source));

  // 2. optimize: the graph passes; --no-fuse runs none, so the imported graph is also the unfused baseline
  const verify = opts.verifyEachPass ?? process.env['DSPC_DEBUG'] === '1';
  const optimized = fuse ? naming(modelPath, () => timed(t, 'passes', () => optimizeGraph(source, passContext(target, verify, opts.strictFloat === true)))) : { graph: source, report: unchangedReport(source) };
  if (fuse) verifyGraph(optimized.graph, { stage: 'optimize', file: modelPath });

  // 3-7. quantize/calibrate -> fusion verdicts -> kernel selection and lowering -> emission, for the program and
  // (when fused) the --no-fuse baseline the report and the simulator compare with
  const bopts = backendOptions(source, opts, modelId);
  const steps = fuse ? 2 : 1;
  progress('quantize and lower', 0, steps);
  const given = opts.inputs?.length ? bindInputs(source, readInputs(source, opts.inputs, opts.preprocess)) : undefined;
  const compileFused = (wide?: ReadonlySet<string>): Artifacts => compileGraph(optimized.graph, target, { ...bopts, ...(fuse ? { unfused: source } : {}), ...(wide ? { wide } : {}) });
  let artifacts = naming(modelPath, () => timed(t, 'program', () => compileFused()));
  // mixed precision: the units --min-sqnr raises to int16, then the program (and its baseline) with them
  const mixed = opts.minSqnr !== undefined ? naming(modelPath, () => timed(t, 'mixed precision', () => mixedPrecision(source, artifacts, compileFused, target, bopts, opts.minSqnr!, given))) : undefined;
  if (mixed) artifacts = mixed.artifacts;
  progress('quantize and lower', 1, steps);
  const baseline = fuse ? naming(modelPath, () => timed(t, 'unfused baseline', () => baselineOf(source, target, bopts, mixed?.wide))) : undefined;
  progress('quantize and lower', steps, steps);

  // the float reference the simulator's functional check compares against
  const reference = naming(modelPath, () => timed(t, 'reference run', () => referenceRun(source, artifacts, given)));
  const result: CompileResult = {
    model: modelPath, modelId, target, dtype: bopts.dtype ?? 'int8', fused: fuse, source, optimized: optimized.graph,
    passReport: optimized.report, artifacts, reference, files: [],
  };
  if (baseline) result.baseline = baseline;

  // per-kernel accuracy: the emitted program run bit-accurately on the reference input, every kernel output vs float
  if (opts.accuracy === true) {
    const inputs = new Map(reference.inputs.map((x) => [x.name, x.tensor]));
    const kernels = naming(modelPath, () => timed(t, 'per-kernel accuracy', () => kernelAccuracy(artifacts.graph, programOf(artifacts, target), inputs)));
    artifacts.report.accuracy = { input: given ? 'given' : 'default', kernels };
  }

  // write everything in one atomic directory write
  // (report.json then carries the timings of every phase so far: asked for, they are the one non-deterministic part)
  if (opts.out !== undefined) {
    if (t) artifacts.report.timings = t.phases.map((p) => ({ ...p }));
    const files = timed(t, 'emission', () => emittedFiles(artifacts, baseline, reference));
    timed(t, 'write', () => writeArtifacts(opts.out!, files, { force: opts.force ?? false, modelId }));
    result.outDir = opts.out;
    result.files = Object.keys(files).sort();
  }

  // 8. simulate the emitted bytes (not the in-memory graph): cycles of fused/unfused/ideal, bit-accurate run
  if (opts.simulate) {
    result.simulation = timed(t, 'simulation', () => {
      const fusedProgram = programOf(artifacts, target);
      const unfusedProgram = baseline ? programOf(baseline, target) : fusedProgram;
      return simulatePrograms(fusedProgram, unfusedProgram, opts.functional === false ? null : reference, progress);
    });
  }
  return result;
}

/** The --no-fuse baseline; with mixed precision, the same units raised (carried over by value name, whole units). */
function baselineOf(source: Graph, target: Target, bopts: BackendOptions, wide: ReadonlySet<string> | undefined): Artifacts {
  const int8 = compileGraph(source, target, bopts);
  return wide ? compileGraph(source, target, { ...bopts, wide: widenToUnits(int8.graph, target, wide) }) : int8;
}

/** --min-sqnr: search the int16 units on the calibration samples, recompile with them, record the search. */
function mixedPrecision(source: Graph, int8: Artifacts, compileFused: (wide?: ReadonlySet<string>) => Artifacts, target: Target,
  bopts: BackendOptions, minSqnrDb: number, given: Map<string, Tensor> | undefined): { artifacts: Artifacts; wide: Set<string> } {
  const samples = calibrationOf(source, bopts).samples;
  const reference = given ?? defaultInputs(int8.schedule.inputs, DEFAULT_INPUT_SEED);
  const search = searchPrecision({ compileWith: compileFused, programOf: (a) => programOf(a, target), target, samples, reference, minSqnrDb });
  const artifacts = compileFused(search.wide);
  artifacts.report.precision = search.report;
  return { artifacts, wide: search.wide };
}

/** Passes and backend name the node at fault; the user also needs the model file (issue 7: errors name the file). */
function naming<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DspcError && e.file === undefined) throw e.withFile(file);
    throw e;
  }
}

/** The float reference the simulator compares against: the interpreter on the given input, else the simulator's default input. */
function referenceRun(source: Graph, a: Artifacts, given?: Map<string, Tensor>): Reference {
  const inputs = given ?? defaultInputs(a.schedule.inputs, DEFAULT_INPUT_SEED);
  const out = interpret(source, inputs);
  return {
    inputs: a.schedule.inputs.map((io) => ({ name: io.name, tensor: inputs.get(io.name)! })),
    outputs: a.schedule.outputs.map((io) => ({ name: io.name, tensor: out.get(io.name)! })),
  };
}

/** The program as the simulator would load it from disk (schedule through JSON, params.bin parsed and checked). */
function programOf(a: Artifacts, target: Target): Program {
  return programFromArtifacts({ schedule: JSON.parse(JSON.stringify(a.schedule)) as unknown, paramsBin: a.paramsBin, report: a.report }, { target });
}

/** Cycle estimates (fused, unfused, ideal) plus the bit-accurate run of both programs against the reference. */
function simulatePrograms(fused: Program, unfused: Program, ref: Reference | null, progress: ProgressFn): SpeedupReport {
  // a --no-fuse program is its own unfused program (as simulateDir treats it): speedup 1 by definition
  const report = speedupReport(fused, unfused);
  if (!ref) return report;
  const total = fused.schedule.invocations.length + (unfused === fused ? 0 : unfused.schedule.invocations.length);
  let done = 0;
  const f = functionalReport(fused, unfused === fused ? undefined : unfused, {
    inputs: new Map(ref.inputs.map((t) => [t.name, t.tensor])), input: 'default', seed: DEFAULT_INPUT_SEED,
    reference: new Map(ref.outputs.map((t) => [t.name, t.tensor])),
    onInvocation: () => progress('functional simulation', ++done, total),
  });
  report.functional = f.report;
  return report;
}

/**
 * The compiled int8 program as an ONNX QDQ model (`dspc compile --qdq`): QuantizeLinear/DequantizeLinear with the
 * program's scales and zero points around every value, its int8 weight and int32 bias codes behind DequantizeLinear.
 */
export function qdqModel(res: CompileResult): Uint8Array {
  return naming(res.model, () => exportQdq(res.artifacts.graph, qdqSpecOf(res.artifacts)));
}

/** The float graph the program was lowered from, as ONNX (BatchNorm folded, rejected merges restored). */
export const OPTIMIZED_MODEL_FILE = 'model.optimized.onnx';

/** Everything written into the output directory: the program, the optimized model, the unfused program and the float reference. */
export function emittedFiles(a: Artifacts, baseline: Artifacts | undefined, ref: Reference): Record<string, Uint8Array | string> {
  const files: Record<string, Uint8Array | string> = { ...artifactFiles(a), [OPTIMIZED_MODEL_FILE]: exportOnnx(a.graph) };
  if (baseline) {
    const b = artifactFiles(baseline);
    for (const name of ['schedule.json', 'params.bin', 'report.json']) files[UNFUSED_PREFIX + name] = b[name]!;
  }
  const names = referenceFileNames(ref.inputs.length, ref.outputs.length);
  ref.inputs.forEach((t, k) => { files[names.inputs[k]!] = encodeTensorProto(t.name, t.tensor); });
  ref.outputs.forEach((t, k) => { files[names.outputs[k]!] = encodeTensorProto(t.name, t.tensor); });
  return files;
}

/** The issue-3 report of a graph no pass touched (--no-fuse). */
function unchangedReport(g: Graph): OptimizeReport {
  const acts = g.nodes.filter((n) => isActivation(n.op)).length;
  return { nodes: { before: g.nodes.length, after: g.nodes.length }, activations: { before: acts, after: acts }, chains: [], patterns: [], rules: {} };
}

// ------------------------------------------------------------------------------------------------------------------
// inspect / run (float reference)
// ------------------------------------------------------------------------------------------------------------------

export interface ModelInfo extends GraphStats {
  model: string;
  graph: string;
  opset: number;
}

/** Node count, op histogram, parameters, MACs, I/O of a model as imported (after import-time constant folding). */
export function inspectModel(modelPath: string, opts: LoadOptions = {}): ModelInfo {
  const g = loadModel(modelPath, opts);
  return { model: modelPath, graph: g.name, opset: g.opset, ...graphStats(g) };
}

export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/**
 * Bind input tensors to graph inputs: by name when every name matches, else by position when the counts agree
 * (ONNX test-data .pb files carry the graph input name, hand-made ones often do not).
 */
export function bindInputs(g: Graph, given: NamedTensor[], what = 'input'): Map<string, Tensor> {
  if (given.length !== g.inputs.length) {
    throw new DspcError('E_USAGE', `the model has ${g.inputs.length} ${what}(s) (${g.inputs.map((v) => v.name).join(', ')}), ${given.length} given`);
  }
  const names = new Set(g.inputs.map((v) => v.name));
  const byName = given.every((t) => names.has(t.name)) && new Set(given.map((t) => t.name)).size === given.length;
  const m = new Map<string, Tensor>();
  g.inputs.forEach((v, i) => m.set(v.name, byName ? given.find((t) => t.name === v.name)!.tensor : given[i]!.tensor));
  return m;
}

/** Run the float reference interpreter on a model. */
export function run(model: string | Graph, inputs: NamedTensor[] | Map<string, Tensor>, opts: LoadOptions = {}): NamedTensor[] {
  const { graph } = graphOf(model, opts);
  const bound = inputs instanceof Map ? inputs : bindInputs(graph, inputs);
  const out = timed(opts.timings, 'reference run', () => interpret(graph, bound));
  return graph.outputs.map((o) => ({ name: o.name, tensor: out.get(o.name)! }));
}

/** The inputs of a model (name and shape), as image readers need them. */
export function inputSlots(model: string | Graph, opts: LoadOptions = {}): InputSlot[] {
  const { graph } = graphOf(model, opts);
  return graph.inputs.map((v) => ({ name: v.name, shape: v.shape }));
}

/**
 * Read input files for a model: .pb tensors as stored, PNG/JPEG images preprocessed to the shape of the input at
 * their position (`preprocess`: a spec, `key=value,...` or `@file.json`).
 */
export function readInputs(model: string | Graph, files: readonly string[], preprocess?: PreprocessArg, opts: LoadOptions = {}): NamedTensor[] {
  return readInputFiles(files, inputSlots(model, opts), preprocess);
}

/** Read ONNX TensorProto .pb files. */
export function readTensors(files: readonly string[]): NamedTensor[] {
  return files.map((f) => {
    const { name, tensor } = readTensorPb(f);
    return { name, tensor };
  });
}

/** Write tensors as .pb files, one per path in order (each written atomically). */
export function writeTensors(files: readonly string[], tensors: readonly NamedTensor[]): void {
  if (files.length !== tensors.length) {
    throw new DspcError('E_USAGE', `the model has ${tensors.length} output(s) (${tensors.map((t) => t.name).join(', ')}), ${files.length} --output path(s) given`);
  }
  files.forEach((f, i) => writeTensorPb(f, tensors[i]!.name, tensors[i]!.tensor));
}

// ------------------------------------------------------------------------------------------------------------------
// inspect an artifact directory (what `dspc compile -o` wrote)
// ------------------------------------------------------------------------------------------------------------------

export interface ArtifactsInfo {
  dir: string;
  model: string;
  modelId: string;
  target: string;
  dtype: QDType;
  fused: boolean;
  invocations: number;
  /** Kernel name -> invocations. */
  kernels: Record<string, number>;
  /** Activation kernel -> invocations that apply it in their epilogue. */
  epilogues: Record<string, number>;
  buffers: number;
  memories: MemoryUse[];
  params: {
    version: number;
    bytes: number;
    crc32: number;
    records: number;
    /** Kernel -> records and payload bytes of its tables. */
    byKernel: Record<string, { records: number; bytes: number }>;
  };
}

function countBy<T>(items: readonly T[], key: (t: T) => string | undefined): Record<string, number> {
  const m = new Map<string, number>();
  for (const it of items) {
    const k = key(it);
    if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));
}

function readArtifact(dir: string, name: string): Buffer {
  const file = join(dir, name);
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DspcError('E_ARTIFACT', code === 'ENOENT' ? `missing ${name}: not a dspc output directory` : `cannot read ${name} (${code ?? (e as Error).message})`, { file });
  }
}

/** schedule.json and params.bin of a directory, parsed and cross-validated (no target needed, unlike the simulator). */
export function readArtifacts(dir: string): { schedule: Schedule; params: ParamsFile } {
  const params = parseParamsBin(readArtifact(dir, 'params.bin'), join(dir, 'params.bin'));
  const file = join(dir, 'schedule.json');
  let json: unknown;
  try {
    json = JSON.parse(readArtifact(dir, 'schedule.json').toString('utf8'));
  } catch (e) {
    if (e instanceof DspcError) throw e;
    throw new DspcError('E_ARTIFACT', `not valid JSON: ${(e as Error).message}`, { file });
  }
  return { schedule: validateSchedule(json, file, params), params };
}

/** Parse and validate schedule.json + params.bin (CRC, version, every offset) and summarise them. */
export function inspectArtifacts(dir: string): ArtifactsInfo {
  const { schedule, params } = readArtifacts(dir);
  const byKernel: Record<string, { records: number; bytes: number }> = {};
  for (const r of params.records) {
    const e = (byKernel[r.kernel] ??= { records: 0, bytes: 0 });
    e.records++;
    e.bytes += r.bytes;
  }
  return {
    dir, model: schedule.model, modelId: schedule.modelId, target: schedule.target, dtype: schedule.dtype, fused: schedule.fused,
    invocations: schedule.invocations.length,
    kernels: countBy(schedule.invocations, (i) => i.kernel),
    epilogues: countBy(schedule.invocations, (i) => i.epilogue?.kernel),
    buffers: schedule.buffers.length,
    memories: schedule.memories,
    params: { version: params.version, bytes: params.fileBytes, crc32: params.crc32, records: params.records.length,
      byKernel: Object.fromEntries(Object.entries(byKernel).sort(([a], [b]) => a.localeCompare(b))) },
  };
}

// ------------------------------------------------------------------------------------------------------------------
// 8. simulate an artifact directory
// ------------------------------------------------------------------------------------------------------------------

export interface SimulateDirOptions {
  /** Target override (preset name or file); default: the preset the artifacts name. */
  target?: TargetSpec;
  /** Input .pb files or PNG/JPEG images (bound by name or position); default: the compile's stored reference input. */
  inputs?: string[];
  /** How image inputs become tensors (a spec, `key=value,...` or `@file.json`). */
  preprocess?: PreprocessArg;
  /** Skip the bit-accurate run (cycle estimates only). */
  functional?: boolean;
  /** Directory of a --no-fuse compile to compare with; default the unfused.* files beside the program. */
  unfused?: string;
  onProgress?: ProgressFn;
  /** Record wall time and memory of the simulation here (`--timings`). */
  timings?: Timings;
}

export interface SimulateResult {
  dir: string;
  report: SpeedupReport;
  /** The fused program's schedule (per-kernel shapes for tables). */
  schedule: Schedule;
  /** Dequantized float outputs of the fused program (functional mode), in schedule output order. */
  outputs: NamedTensor[] | null;
}

/**
 * Float reference outputs for caller-given inputs: the interpreter on the model.optimized.onnx the compile wrote
 * (same float function as the source model: fusion is exact). Undefined when the directory has no such file.
 */
function floatReference(dir: string, inputs: NamedTensor[]): Map<string, Tensor> | undefined {
  const file = join(dir, OPTIMIZED_MODEL_FILE);
  if (!existsSync(file)) return undefined;
  const g = loadModel(file);
  return new Map(run(g, inputs).map((t) => [t.name, t.tensor]));
}

/** Invocations listed in a schedule.json, for progress totals only (0 when unreadable: the loader reports problems). */
function invocationCount(file: string): number {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { invocations?: unknown[] };
    return Array.isArray(j.invocations) ? j.invocations.length : 0;
  } catch {
    return 0;
  }
}

/**
 * Cycle estimates of the fused program, its unfused compile and the ideal limit, plus (functional mode) the
 * bit-accurate run against the float reference and the unfused program. Reads only the artifact directory.
 */
export function simulate(dir: string, opts: SimulateDirOptions = {}): SimulateResult {
  const progress = opts.onProgress ?? ((): void => {});
  const sopts: SimulateOptions = { readTensor: readTensorPb, functional: opts.functional ?? true };
  if (opts.target !== undefined) sopts.target = opts.target;
  if (opts.unfused !== undefined) sopts.unfused = opts.unfused;
  if (opts.inputs?.length) {
    const given = readInputFiles(opts.inputs, readArtifacts(dir).schedule.inputs, opts.preprocess);
    const names = new Set(given.map((t) => t.name));
    // bind by name when the names are distinct, else by the schedule's input order (resolved by the simulator)
    sopts.inputs = new Map(given.map((t, i) => [names.size === given.length ? t.name : `#${i}`, t.tensor]));
    const ref = sopts.functional ? floatReference(dir, given) : undefined;
    if (ref) sopts.reference = ref;
  }
  if (sopts.functional) {
    const unfusedFile = opts.unfused !== undefined ? join(opts.unfused, SCHEDULE_FILE) : join(dir, UNFUSED_PREFIX + SCHEDULE_FILE);
    const total = invocationCount(join(dir, SCHEDULE_FILE)) + invocationCount(unfusedFile);
    let done = 0;
    sopts.onInvocation = () => progress('functional simulation', ++done, Math.max(total, done));
  }
  const sim = timed(opts.timings, 'simulation', () => simulateDir(dir, sopts));
  const outputs = sim.outputs ? sim.program.schedule.outputs.map((o) => ({ name: o.name, tensor: sim.outputs!.get(o.name)! })) : null;
  return { dir, report: sim.report, schedule: sim.program.schedule, outputs };
}
