// Stage: kernel library support. Target descriptions: typed mirror of targets/schema.json, loader and validation.
// Contract: loadTarget returns a schema-valid, semantically checked Target or throws DspcError('E_TARGET') naming file and field.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DspcError } from '../src/ir/errors.js';
import { KERNELS } from './index.js';
import type { Target, TargetKernel } from './types.js';

export const DEFAULT_TARGET = 'generic-dsp';

export type { MemoryLevel, ParamMemory, Target, TargetKernel } from './types.js';

/**
 * Package root: the nearest directory above this module holding package.json (works from src and dist). The one
 * copy: the CLI (package.json), benches and tests (../shared beside the checkout) locate the package through it too.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('dspc: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const TARGETS_DIR = join(packageRoot(), 'targets');

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  // ajv is CommonJS; createRequire sidesteps its default-export interop under NodeNext.
  const require = createRequire(import.meta.url);
  const AjvCtor = require('ajv') as { default: new (o: object) => { compile(s: object): ValidateFunction } };
  const schema = JSON.parse(readFileSync(join(TARGETS_DIR, 'schema.json'), 'utf8')) as object;
  validator = new AjvCtor.default({ allErrors: true, strict: true }).compile(schema);
  return validator;
}

/** Preset names (targets/*.json except the schema), sorted. */
export function presetNames(): string[] {
  return readdirSync(TARGETS_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'schema.json')
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A preset name or a path to a JSON file. */
export function loadTarget(nameOrPath: string): Target {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json');
  const file = looksLikePath ? resolve(nameOrPath) : join(TARGETS_DIR, `${nameOrPath}.json`);
  if (!looksLikePath && !presetNames().includes(nameOrPath)) {
    throw new DspcError('E_TARGET', `unknown target '${nameOrPath}'; presets: ${presetNames().join(', ')} (or give a .json file path)`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DspcError('E_TARGET', `cannot read target description: ${(e as Error).message}`, { file });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DspcError('E_TARGET', `not valid JSON: ${(e as Error).message}`, { file });
  }
  return validateTarget(data, file);
}

/** Schema plus semantic validation of an already parsed description. */
export function validateTarget(data: unknown, file = '<target>'): Target {
  const validate = schemaValidator();
  if (!validate(data)) {
    const errs = (validate.errors ?? []).map(describeAjvError);
    throw new DspcError('E_TARGET', `invalid target description: ${errs.join('; ')}`, { file });
  }
  const t = data as Target;
  const problem = semanticProblem(t);
  if (problem) throw new DspcError('E_TARGET', `invalid target description: ${problem}`, { file });
  return t;
}

function describeAjvError(e: ErrorObject): string {
  const at = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
  if (e.keyword === 'additionalProperties') {
    return `${at}: unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  }
  if (e.keyword === 'required') return `${at}: missing field '${(e.params as { missingProperty: string }).missingProperty}'`;
  return `${at}: ${e.message ?? e.keyword}`;
}

/** Rules the schema cannot say. Returns the first problem, naming the field. */
function semanticProblem(t: Target): string | null {
  const memNames = new Set<string>();
  for (const [i, m] of t.memories.entries()) {
    if (memNames.has(m.name)) return `memories[${i}].name: duplicate memory '${m.name}'`;
    memNames.add(m.name);
    const prev = t.memories[i - 1];
    if (prev && m.bytesPerCycle > prev.bytesPerCycle) {
      return `memories[${i}].bytesPerCycle: '${m.name}' (${m.bytesPerCycle}) is faster than '${prev.name}' (${prev.bytesPerCycle}); list memories fastest first`;
    }
  }
  if (!memNames.has(t.paramMemory.memory)) {
    return `paramMemory.memory: '${t.paramMemory.memory}' is not one of memories (${[...memNames].join(', ')})`;
  }
  for (const dt of ['int8', 'int16'] as const) {
    if (t.macsPerCycle[dt] % t.vectorLanes[dt] !== 0) {
      return `macsPerCycle.${dt}: ${t.macsPerCycle[dt]} is not a multiple of vectorLanes.${dt} (${t.vectorLanes[dt]})`;
    }
  }
  return kernelProblem(t);
}

function kernelProblem(t: Target): string | null {
  const listed = new Map<string, number>();
  let lastActCost = -Infinity;
  let lastActName = '';
  for (const [i, k] of t.kernels.entries()) {
    const at = `kernels[${i}]`;
    const def = KERNELS.get(k.name);
    if (!def) return `${at}.name: unknown kernel '${k.name}'; the library has ${[...KERNELS.keys()].sort().join(', ')}`;
    if (listed.has(k.name)) return `${at}.name: kernel '${k.name}' listed twice`;
    listed.set(k.name, i);
    if (def.role === 'activation') {
      if (k.cyclesPerVector === undefined) return `${at}.cyclesPerVector: required for activation kernel '${k.name}'`;
      if (k.cyclesPerVector < lastActCost) {
        return `${at}.cyclesPerVector: activation kernels must be listed cheapest first, but '${k.name}' (${k.cyclesPerVector}) follows '${lastActName}' (${lastActCost})`;
      }
      lastActCost = k.cyclesPerVector;
      lastActName = k.name;
      if (k.epilogue?.length) return `${at}.epilogue: activation kernel '${k.name}' cannot have an epilogue`;
    }
    if (def.role === 'view' && k.epilogue?.length) return `${at}.epilogue: view kernel '${k.name}' cannot have an epilogue`;
  }
  for (const [i, k] of t.kernels.entries()) {
    for (const [j, e] of (k.epilogue ?? []).entries()) {
      const at = `kernels[${i}].epilogue[${j}]`;
      const def = KERNELS.get(e);
      if (!def) return `${at}: unknown kernel '${e}'`;
      if (def.role !== 'activation') return `${at}: '${e}' is not an activation kernel`;
      if (!listed.has(e)) return `${at}: '${k.name}' lists epilogue '${e}', which is not a kernel of this target`;
    }
  }
  return null;
}

/** Every preset, sorted by id (default first). */
export function listTargets(): Target[] {
  const all = presetNames().map((n) => loadTarget(n));
  return all.sort((a, b) => (a.id === DEFAULT_TARGET ? -1 : b.id === DEFAULT_TARGET ? 1 : a.id.localeCompare(b.id)));
}

/** The target's entry for a kernel, if it has that kernel. */
export function targetKernel(t: Target, name: string): TargetKernel | undefined {
  return t.kernels.find((k) => k.name === name);
}

/**
 * IR op types of the target's activation kernels, cheapest first (stable for equal cost): what the fusion pass
 * may produce. An op appears once, at its cheapest kernel.
 */
export function activationKernelOps(t: Target): string[] {
  const acts = t.kernels
    .map((k, i) => ({ k, i, def: KERNELS.get(k.name) }))
    .filter((e) => e.def?.role === 'activation')
    .sort((a, b) => (a.k.cyclesPerVector ?? 0) - (b.k.cyclesPerVector ?? 0) || a.i - b.i);
  const out: string[] = [];
  for (const e of acts) for (const op of e.def!.ops) if (!out.includes(op)) out.push(op);
  return out;
}

/** Activation kernels a kernel can fold into its epilogue on this target. */
export function epilogueKernels(t: Target, kernel: string): string[] {
  return targetKernel(t, kernel)?.epilogue ?? [];
}
