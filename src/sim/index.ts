// Stage: simulator. Public API: load an artifact directory, estimate cycles, run bit-accurately, report fusion's speedup.
// Contract: reads only emitted artifacts (plus kernels/ and targets/); never imports passes, frontend or backend.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from '../../kernels/target.js';
import { DspcError } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import type { RunOptions } from './execute.js';
import { DEFAULT_INPUT_SEED, defaultInputs } from './inputs.js';
import { loadProgram, SCHEDULE_FILE } from './program.js';
import type { Program } from './program.js';
import { functionalReport, speedupReport } from './report.js';
import type { FunctionalReport, SpeedupReport } from './report.js';

export { loadProgram, programFromArtifacts, SCHEDULE_FILE, PARAMS_FILE, REPORT_FILE } from './program.js';
export type { Program, LoadProgramOptions, ArtifactBytes, ArtifactReport, InvocationTables } from './program.js';
export { estimate, estimateIdeal, estimateSchedule, invocationCost, transferCycles } from './cycles.js';
export type { Estimate, EstimateOptions, InvocationCost, KernelCycles, Bound } from './cycles.js';
export { runProgram, runProgramCodes, quantizeTensor, dequantize } from './execute.js';
export type { RunOptions, CodeOutputs } from './execute.js';
export { defaultInputs, normalSequence, DEFAULT_INPUT_SEED } from './inputs.js';
export { errorStats, tensorErrorStats, bitIdentical } from './metrics.js';
export type { ErrorStats } from './metrics.js';
export { speedupReport, functionalReport, speedupOf, countsOf } from './report.js';
export type { SpeedupReport, FunctionalReport, OutputComparison, ProgramCounts, FunctionalOptions } from './report.js';

/**
 * File-name prefix of the `--no-fuse` compile of the same model that a fused compile writes beside its own files
 * (`unfused.schedule.json`, `unfused.params.bin`, `unfused.report.json`).
 */
export const UNFUSED_PREFIX = 'unfused.';

/**
 * Float reference tensors a compile stores for the functional check: `reference.input_K.pb` (the default seeded
 * input, defaultInputs(schedule.inputs)) and `reference.output_K.pb` (the float interpreter's outputs on it),
 * K = position in schedule.inputs / schedule.outputs.
 */
export function referenceFileNames(inputs: number, outputs: number): { inputs: string[]; outputs: string[] } {
  return {
    inputs: Array.from({ length: inputs }, (_, k) => `reference.input_${k}.pb`),
    outputs: Array.from({ length: outputs }, (_, k) => `reference.output_${k}.pb`),
  };
}

/** Paths of the reference tensors of an artifact directory. */
export function referenceFiles(dir: string, p: Program): { inputs: string[]; outputs: string[] } {
  const n = referenceFileNames(p.schedule.inputs.length, p.schedule.outputs.length);
  return { inputs: n.inputs.map((f) => join(dir, f)), outputs: n.outputs.map((f) => join(dir, f)) };
}

/** Reads one ONNX TensorProto file (the frontend's readTensorPb); injected because the simulator does not import the frontend. */
export type TensorReader = (file: string) => { name: string; tensor: Tensor };

export interface SimulateOptions extends RunOptions {
  /** Target override (preset name, file or description); default: the one the artifacts name. */
  target?: string | Target;
  /**
   * The unfused program: a directory or a loaded Program; default the `unfused.*` files of `<dir>` when present,
   * or the program itself when it was compiled with --no-fuse. null: none (no speedup figures).
   */
  unfused?: string | Program | null;
  /** Run the functional bit-accurate mode too (default true). */
  functional?: boolean;
  /** Inputs by name; default the stored reference input, else seeded random (seed). */
  inputs?: Map<string, Tensor>;
  seed?: number;
  /** Float reference outputs for `inputs`; default the stored ones when running on the stored reference input. */
  reference?: Map<string, Tensor>;
  /** Reads `<dir>/reference.*.pb`; without it stored references are not used. */
  readTensor?: TensorReader;
}

export interface Simulation {
  program: Program;
  unfused: Program | null;
  report: SpeedupReport;
  /** Dequantized outputs of the fused program (functional mode only), by output name. */
  outputs: Map<string, Tensor> | null;
}

function unfusedOf(dir: string, p: Program, opts: SimulateOptions): Program | null {
  if (opts.unfused === null) return null;
  if (opts.unfused !== undefined) {
    return typeof opts.unfused === 'string' ? loadProgram(opts.unfused, targetOpt(opts)) : opts.unfused;
  }
  if (!p.schedule.fused) return p;
  return existsSync(join(dir, UNFUSED_PREFIX + SCHEDULE_FILE)) ? loadProgram(dir, { ...targetOpt(opts), prefix: UNFUSED_PREFIX }) : null;
}

function targetOpt(opts: SimulateOptions): { target?: string | Target } {
  return opts.target === undefined ? {} : { target: opts.target };
}

function readAll(files: string[], read: TensorReader): Map<string, Tensor> | undefined {
  if (files.length === 0 || !files.every((f) => existsSync(f))) return undefined;
  const m = new Map<string, Tensor>();
  for (const f of files) {
    try {
      const { name, tensor } = read(f);
      m.set(m.has(name) ? f : name, tensor);
    } catch (e) {
      if (e instanceof DspcError) throw new DspcError('E_ARTIFACT', `reference tensor: ${e.problem}`, { file: f });
      throw e;
    }
  }
  return m;
}

interface InputChoice {
  inputs: Map<string, Tensor>;
  input: FunctionalReport['input'];
  seed?: number;
  reference?: Map<string, Tensor>;
}

/** Given inputs win; else the stored reference input and outputs; else the seeded default input. */
function chooseInputs(dir: string, p: Program, opts: SimulateOptions): InputChoice {
  if (opts.inputs) return { inputs: opts.inputs, input: 'given', ...(opts.reference ? { reference: opts.reference } : {}) };
  const files = referenceFiles(dir, p);
  const stored = opts.readTensor ? readAll(files.inputs, opts.readTensor) : undefined;
  if (stored && opts.readTensor) {
    const ref = opts.reference ?? readAll(files.outputs, opts.readTensor);
    return { inputs: stored, input: 'reference', ...(ref ? { reference: ref } : {}) };
  }
  const seed = opts.seed ?? DEFAULT_INPUT_SEED;
  return { inputs: defaultInputs(p.schedule.inputs, seed), input: 'default', seed, ...(opts.reference ? { reference: opts.reference } : {}) };
}

/**
 * Everything `dspc simulate <dir>` reports: cycle estimates of the fused program, its unfused compile and the
 * ideal limit, and (functional mode) the bit-accurate run compared with the float reference and the unfused run.
 */
export function simulateDir(dir: string, opts: SimulateOptions = {}): Simulation {
  try {
    return simulateLoaded(dir, opts);
  } catch (e) {
    // A kernel refusing its invocation (inconsistent shapes or attributes in a damaged schedule) names the node;
    // the user also needs to know which artifacts were at fault (issue 7: every error names the file).
    if (e instanceof DspcError && e.file === undefined) throw e.withFile(dir);
    throw e;
  }
}

function simulateLoaded(dir: string, opts: SimulateOptions): Simulation {
  const program = loadProgram(dir, targetOpt(opts));
  const unfused = unfusedOf(dir, program, opts);
  const report = speedupReport(program, unfused ?? undefined);
  if (opts.functional === false) return { program, unfused, report, outputs: null };
  const choice = chooseInputs(dir, program, opts);
  const other = unfused === program ? undefined : unfused ?? undefined;
  const f = functionalReport(program, other, { ...choice, ...(opts.onInvocation ? { onInvocation: opts.onInvocation } : {}) });
  report.functional = f.report;
  return { program, unfused, report, outputs: f.outputs };
}
