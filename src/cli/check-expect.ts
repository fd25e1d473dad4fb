// Stage: CLI. The kernel-count expectation file of `dspc check`: its shape, validation, and the comparison with a compile.
// Contract: counts must match exactly; cycles (when the file has them) within a relative tolerance; every difference is listed.

import { dirname, relative, resolve, sep } from 'node:path';
import type { CompileResult } from '../pipeline.js';
import { DspcError } from '../ir/errors.js';

export const EXPECT_FORMAT = 'dspc-expect';
export const EXPECT_VERSION = 1;

/** What a compile is checked against (also what --update writes). */
export interface Expectation {
  format: typeof EXPECT_FORMAT;
  version: number;
  /** Informational: the model file the counts were taken from, relative to the expectation file (portable across checkouts). */
  model: string;
  target: string;
  dtype: string;
  kernels: { total: number; byType: Record<string, number> };
  activations: {
    /** Activation nodes in the source model. */
    source: number;
    /** Standalone activation kernels left after fusion and epilogue folding. */
    standalone: number;
    /** Activations applied in a producer's epilogue. */
    folded: number;
  };
  /** Simulated total cycles of the fused program; omit the key to skip the cycle check. */
  cycles?: { fused: number };
}

export interface Difference {
  key: string;
  expected: number | null;
  actual: number | null;
  /** 'count' differences always fail; 'cycles' fail beyond the tolerance. */
  kind: 'count' | 'cycles';
  /** Relative change for cycles (actual/expected - 1). */
  relative?: number;
}

export interface CheckOutcome {
  ok: boolean;
  differences: Difference[];
  /** Cycle comparisons made (present when the expectation has cycles). */
  cycles?: { expected: number; actual: number; relative: number; tolerance: number };
}

function fail(file: string, problem: string): never {
  throw new DspcError('E_USAGE', `expectation file: ${problem}`, { file });
}

function isCountMap(v: unknown): v is Record<string, number> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) &&
    Object.values(v).every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0);
}

function count(v: unknown, file: string, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(file, `'${key}' must be a non-negative integer`);
  return v;
}

/** Validate a parsed expectation file; errors name the field. */
export function parseExpectation(json: unknown, file: string): Expectation {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(file, 'must be a JSON object');
  const j = json as Record<string, unknown>;
  if (j['format'] !== EXPECT_FORMAT) fail(file, `'format' must be "${EXPECT_FORMAT}" (create the file with --update)`);
  if (j['version'] !== EXPECT_VERSION) fail(file, `'version' ${JSON.stringify(j['version'])} is not supported (this dspc writes ${EXPECT_VERSION})`);
  for (const k of ['model', 'target', 'dtype']) if (typeof j[k] !== 'string') fail(file, `'${k}' must be a string`);
  const k = j['kernels'] as Record<string, unknown> | undefined;
  if (typeof k !== 'object' || k === null) fail(file, "'kernels' must be an object");
  count(k['total'], file, 'kernels.total');
  if (!isCountMap(k['byType'])) fail(file, "'kernels.byType' must map kernel names to non-negative integers");
  const a = j['activations'] as Record<string, unknown> | undefined;
  if (typeof a !== 'object' || a === null) fail(file, "'activations' must be an object");
  for (const key of ['source', 'standalone', 'folded']) count(a[key], file, `activations.${key}`);
  if (j['cycles'] !== undefined) {
    const c = j['cycles'] as Record<string, unknown>;
    if (typeof c !== 'object' || c === null || typeof c['fused'] !== 'number' || !(c['fused'] > 0)) fail(file, "'cycles.fused' must be a positive number");
  }
  return j as unknown as Expectation;
}

/** Compare; kernel types missing on one side count as 0 on that side. */
export function compareExpectation(expected: Expectation, actual: Expectation, tolerancePct: number): CheckOutcome {
  const diffs: Difference[] = [];
  const cmp = (key: string, e: number | undefined, a: number | undefined): void => {
    if ((e ?? 0) !== (a ?? 0)) diffs.push({ key, expected: e ?? null, actual: a ?? null, kind: 'count' });
  };
  cmp('kernels.total', expected.kernels.total, actual.kernels.total);
  const types = [...new Set([...Object.keys(expected.kernels.byType), ...Object.keys(actual.kernels.byType)])].sort();
  for (const t of types) cmp(`kernels.byType.${t}`, expected.kernels.byType[t], actual.kernels.byType[t]);
  cmp('activations.source', expected.activations.source, actual.activations.source);
  cmp('activations.standalone', expected.activations.standalone, actual.activations.standalone);
  cmp('activations.folded', expected.activations.folded, actual.activations.folded);
  const out: CheckOutcome = { ok: true, differences: diffs };
  if (expected.cycles && actual.cycles) {
    const relative = actual.cycles.fused / expected.cycles.fused - 1;
    out.cycles = { expected: expected.cycles.fused, actual: actual.cycles.fused, relative, tolerance: tolerancePct / 100 };
    if (Math.abs(relative) > tolerancePct / 100) {
      diffs.push({ key: 'cycles.fused', expected: expected.cycles.fused, actual: actual.cycles.fused, kind: 'cycles', relative });
    }
  }
  out.ok = diffs.length === 0;
  return out;
}

/** The expectation file text --update writes (stable key order, trailing newline: diff-friendly in git). */
export function expectationText(e: Expectation): string {
  const byType = Object.fromEntries(Object.entries(e.kernels.byType).sort(([a], [b]) => a.localeCompare(b)));
  const ordered: Expectation = {
    format: EXPECT_FORMAT, version: EXPECT_VERSION, model: e.model, target: e.target, dtype: e.dtype,
    kernels: { total: e.kernels.total, byType }, activations: { ...e.activations },
  };
  if (e.cycles) ordered.cycles = { fused: e.cycles.fused };
  return JSON.stringify(ordered, null, 2) + '\n';
}

/** The counts of a compile in expectation form. */
export function actualCounts(res: CompileResult): Expectation {
  const r = res.artifacts.report;
  const e: Expectation = {
    format: EXPECT_FORMAT, version: EXPECT_VERSION, model: res.model, target: res.target.id, dtype: res.dtype,
    kernels: { total: r.kernels.after, byType: { ...r.kernels.byType } },
    activations: { source: res.passReport.activations.before, standalone: r.activations.standalone, folded: r.activations.folded },
  };
  if (res.simulation) e.cycles = { fused: res.simulation.cycles.fused };
  return e;
}

/** The model path as --update records it: relative to the expectation file's folder, with '/' on every OS. */
export function modelPathFor(expectFile: string, model: string): string {
  return relative(dirname(resolve(expectFile)), resolve(model)).split(sep).join('/');
}
