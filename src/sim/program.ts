// Stage: simulator. Loads an emitted artifact directory (schedule.json, params.bin, report.json) into a runnable Program.
// Contract: reads only artifacts, kernels/ and targets/; every damaged or inconsistent artifact is DspcError E_ARTIFACT naming the file.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseParamsBin, validateSchedule } from '../../kernels/artifacts.js';
import type { ParamsFile, Schedule } from '../../kernels/artifacts.js';
import { KERNELS } from '../../kernels/index.js';
import { loadTarget, presetNames } from '../../kernels/target.js';
import type { Target } from '../../kernels/target.js';
import type { KernelDef, ParamRef, ParamValues } from '../../kernels/types.js';
import { DspcError } from '../ir/errors.js';

export const SCHEDULE_FILE = 'schedule.json';
export const PARAMS_FILE = 'params.bin';
export const REPORT_FILE = 'report.json';

/** The parts of report.json the simulator uses (the fusion verdicts); the rest is the backend's business. */
export interface ArtifactReport {
  fusion: { node: string; bitExact: boolean; accepted: boolean }[];
}

/** Parameter tables of one invocation, decoded from params.bin records. */
export interface InvocationTables {
  kernel: ParamValues;
  epilogue: ParamValues | undefined;
}

/** A loaded, validated program: what the device would run, plus the target it runs on. */
export interface Program {
  /** Directory it was loaded from (undefined for in-memory artifacts). */
  dir: string | undefined;
  /** Path (or name) of its schedule.json, for error messages. */
  scheduleFile: string;
  schedule: Schedule;
  params: ParamsFile;
  target: Target;
  /** report.json when present (absent for hand-made artifact sets). */
  report: ArtifactReport | undefined;
  /** Kernel definition of every invocation, in schedule order. */
  kernels: KernelDef[];
  /** Decoded tables of every invocation, in schedule order. */
  tables: InvocationTables[];
}

export interface LoadProgramOptions {
  /**
   * Target to run on: a preset name, a target file path or a loaded description. Default: the preset named by
   * the artifacts (a compile for a target file needs it passed here again).
   */
  target?: string | Target;
  /**
   * File-name prefix of the program inside the directory: '' for `schedule.json`/`params.bin`/`report.json`,
   * 'unfused.' for the `--no-fuse` baseline a fused compile writes beside them (default '').
   */
  prefix?: string;
}

/** The raw artifact contents, for programs that never touched the disk (tests, the compile's --simulate). */
export interface ArtifactBytes {
  schedule: unknown;
  paramsBin: Uint8Array;
  report?: unknown;
}

function fail(file: string, problem: string): never {
  throw new DspcError('E_ARTIFACT', problem, { file });
}

function readFile(dir: string, name: string): Uint8Array {
  const file = join(dir, name);
  if (!existsSync(file)) fail(file, `missing ${name}: not a dspc output directory (run dspc compile -o ${dir})`);
  try {
    // A plain Uint8Array, not a Node Buffer: Buffer#slice returns a view into a shared pool, not a copy.
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    return fail(file, `cannot read ${name}: ${(e as Error).message}`);
  }
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return fail(file, `not valid JSON: ${(e as Error).message}`);
  }
}

/** Load and validate `<dir>/schedule.json`, `<dir>/params.bin` and (if present) `<dir>/report.json`. */
export function loadProgram(dir: string, opts: LoadProgramOptions = {}): Program {
  const pre = opts.prefix ?? '';
  const schedule = parseJson(readFile(dir, pre + SCHEDULE_FILE), join(dir, pre + SCHEDULE_FILE));
  const paramsBin = readFile(dir, pre + PARAMS_FILE);
  const reportFile = join(dir, pre + REPORT_FILE);
  const report = existsSync(reportFile) ? parseJson(readFile(dir, pre + REPORT_FILE), reportFile) : undefined;
  return programFromArtifacts({ schedule, paramsBin, report }, { ...opts, dir });
}

/**
 * Validate artifact contents and build a Program. `dir` only labels errors (files are named `<dir>/schedule.json`
 * etc.). params.bin is parsed first so the schedule check can cross-check every parameter reference against it.
 */
export function programFromArtifacts(a: ArtifactBytes, opts: LoadProgramOptions & { dir?: string } = {}): Program {
  const pre = opts.prefix ?? '';
  const at = (name: string): string => (opts.dir === undefined ? pre + name : join(opts.dir, pre + name));
  const params = parseParamsBin(a.paramsBin, at(PARAMS_FILE));
  const schedule = validateSchedule(a.schedule, at(SCHEDULE_FILE), params);
  crossCheck(schedule, params, at(SCHEDULE_FILE));
  // validateSchedule has checked every kernel name, arity, parameter list and epilogue role against KERNELS.
  const kernels = schedule.invocations.map((inv) => KERNELS.get(inv.kernel)!);
  const tables = schedule.invocations.map((inv) => ({
    kernel: decodeTables(inv.params, params),
    epilogue: inv.epilogue ? decodeTables(inv.epilogue.params, params) : undefined,
  }));
  const target = targetOf(schedule, opts.target);
  checkPlacement(schedule, target, at(SCHEDULE_FILE));
  return {
    dir: opts.dir, scheduleFile: at(SCHEDULE_FILE), schedule, params, target,
    report: a.report === undefined ? undefined : checkReport(a.report, at(REPORT_FILE)), kernels, tables,
  };
}

/** Facts validateSchedule leaves to the reader: program identity agreements between the two files. */
function crossCheck(s: Schedule, p: ParamsFile, file: string): void {
  if (p.targetId !== s.target) fail(file, `target '${s.target}' disagrees with params.bin's '${p.targetId}' (files from different compiles?)`);
  if (p.modelId !== s.modelId) fail(file, `modelId '${s.modelId}' disagrees with params.bin's '${p.modelId}' (files from different compiles?)`);
  if (p.dtype !== s.dtype) fail(file, `dtype ${s.dtype} disagrees with params.bin's ${p.dtype}`);
  for (const [k, io] of [...s.inputs.map((t) => ['inputs', t] as const), ...s.outputs.map((t) => ['outputs', t] as const)]) {
    // an int8 program may keep some tensors in int16 (mixed precision, --min-sqnr); an int16 program is int16 throughout
    if (io.dtype !== s.dtype && !(s.dtype === 'int8' && io.dtype === 'int16')) fail(file, `${k} '${io.name}' has dtype ${io.dtype}, the program runs in ${s.dtype}`);
  }
}

/** Every buffer lies inside a memory level of the target it runs on (bounds the simulated memory, too). */
function checkPlacement(s: Schedule, t: Target, file: string): void {
  s.buffers.forEach((b, i) => {
    const level = t.memories.find((m) => m.name === b.memory);
    if (!level) fail(file, `buffers[${i}].memory: target '${t.id}' has no memory '${b.memory}' (it has ${t.memories.map((m) => m.name).join(', ')})`);
    if (b.offset + b.bytes > level.sizeBytes) {
      fail(file, `buffers[${i}]: [${b.offset}, ${b.offset + b.bytes}) exceeds memory '${b.memory}' of target '${t.id}' (${level.sizeBytes} bytes)`);
    }
  });
}

function decodeTables(refs: readonly ParamRef[], p: ParamsFile): ParamValues {
  const out: ParamValues = {};
  for (const r of refs) out[r.name] = p.records[r.record]!.data;
  return out;
}

function targetOf(s: Schedule, spec: string | Target | undefined): Target {
  if (spec !== undefined && typeof spec !== 'string') return spec;
  if (spec !== undefined) return loadTarget(spec);
  if (!presetNames().includes(s.target)) {
    throw new DspcError('E_TARGET', `the artifacts were compiled for target '${s.target}', which is not a preset; pass its description file as the target`);
  }
  return loadTarget(s.target);
}

function checkReport(v: unknown, file: string): ArtifactReport {
  const r = v as { fusion?: unknown };
  if (typeof v !== 'object' || v === null || !Array.isArray(r.fusion)) fail(file, 'report.json: fusion must be an array of verdicts');
  const fusion = r.fusion.map((f: unknown, i: number) => {
    const o = f as { node?: unknown; bitExact?: unknown; accepted?: unknown };
    if (typeof f !== 'object' || f === null || typeof o.node !== 'string' || typeof o.bitExact !== 'boolean' || typeof o.accepted !== 'boolean') {
      fail(file, `report.json: fusion[${i}] must have a string node and boolean bitExact and accepted`);
    }
    return { node: o.node, bitExact: o.bitExact, accepted: o.accepted };
  });
  return { fusion };
}
