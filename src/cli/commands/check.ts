// Stage: CLI command. `dspc check <model...> -t T --expect counts.json | --expect-dir dir`: kernel-count regression test for CI.
// Contract: exit 0 when counts (and cycles within tolerance) match, 1 with a readable diff when not, 2 on bad input; output in model order whatever -j; --update rewrites files atomically.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import type { Command } from 'commander';
import { DspcError } from '../../ir/errors.js';
import { timedAsync } from '../../timings.js';
import { jobsOf, modelNames, runJobs } from '../batch.js';
import type { Job, JobResult } from '../batch.js';
import { compareExpectation, expectationText, modelPathFor, parseExpectation } from '../check-expect.js';
import type { CheckOutcome, Expectation } from '../check-expect.js';
import { addCommonFlags, addLimitFlags, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, limitsOf, outputFor } from '../common.js';
import type { CommonFlags, LimitFlags } from '../common.js';
import { writeFileAtomic } from '../fsutil.js';
import { targetOptionFor } from '../help.js';
import { fmtInt, renderTable } from '../term.js';
import type { Output } from '../term.js';

interface CheckFlags extends CommonFlags, LimitFlags {
  target: string;
  expect?: string;
  expectDir?: string;
  update?: boolean;
  cyclesTolerance: string;
  dtype: 'int8' | 'int16';
  jobs?: string;
}

export const DEFAULT_CYCLES_TOLERANCE_PCT = 1;

function readExpectation(file: string): Expectation {
  if (!existsSync(file)) throw new DspcError('E_USAGE', 'expectation file does not exist; create it with --update', { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DspcError('E_USAGE', `expectation file is not valid JSON (${(e as Error).message})`, { file });
  }
  return parseExpectation(json, file);
}

function tolerance(text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) throw new DspcError('E_USAGE', `--cycles-tolerance must be a non-negative percentage, got '${text}'`);
  return v;
}

/** The expectation file of each model: --expect for a single model, <expect-dir>/<name>.json for any number. */
function expectationFiles(models: readonly string[], flags: CheckFlags): string[] {
  if (flags.expect !== undefined && flags.expectDir !== undefined) throw new DspcError('E_USAGE', 'give --expect <file> or --expect-dir <dir>, not both');
  if (flags.expectDir !== undefined) return modelNames(models).map((n) => join(flags.expectDir!, `${n}.json`));
  if (flags.expect === undefined) throw new DspcError('E_USAGE', 'check needs --expect <counts.json> (one model) or --expect-dir <dir> (any number of models)');
  if (models.length > 1) throw new DspcError('E_USAGE', `--expect names one file, ${models.length} models given: use --expect-dir <dir> (one <name>.json per model)`);
  return [flags.expect];
}

/** Read and check every expectation before any compile starts: a wrong file is bad input, not a regression. */
function expectationsFor(files: readonly string[], flags: CheckFlags): Expectation[] {
  return files.map((file) => {
    const e = readExpectation(file);
    if (e.target !== flags.target) throw new DspcError('E_USAGE', `expectation is for target '${e.target}', not '${flags.target}' (use -t ${e.target} or --update)`, { file });
    if (e.dtype !== flags.dtype) throw new DspcError('E_USAGE', `expectation is for dtype ${e.dtype}, not ${flags.dtype}`, { file });
    return e;
  });
}

/** One model's outcome, as printed and as --json lists it. */
interface ModelOutcome {
  model: string;
  expect: string;
  result: JobResult;
  outcome?: CheckOutcome;
}

export function registerCheck(program: Command): void {
  addCommonFlags(addLimitFlags(
    program
      .command('check')
      .description('compile and compare kernel counts by type, activation counts and (optionally) cycles with an expectation file; exit 1 on any difference')
      .argument('<models...>', 'ONNX model file(s)')
      .addOption(targetOptionFor())
      .option('--expect <counts.json>', 'the expectation file of a single model (created by --update)')
      .option('--expect-dir <dir>', 'one expectation file per model: <dir>/<name>.json, name = the file name without .onnx, or the folder\'s name for <name>/model.onnx')
      .option('--update', 'write the current counts (and cycles) into the expectation file(s) instead of comparing')
      .option('--cycles-tolerance <pct>', 'allowed relative change of simulated cycles, in percent (when the file has cycles)', String(DEFAULT_CYCLES_TOLERANCE_PCT))
      .addOption(new Option('--dtype <type>', 'activation type of the program').choices(['int8', 'int16']).default('int8'))
      .option('-j, --jobs <n>', 'models compiled at once, each on its own worker thread (default: the number of cores)'),
  ))
    .addHelpText('after', '\nCounts must match exactly; delete the "cycles" key of a file to skip the cycle check. Several models: one summary, exit 1 if any regressed, 2 if any could not be compiled. CI usage: docs/ci.md')
    .action(async (models: string[], flags: CheckFlags) => {
      const out = outputFor(flags);
      const tol = tolerance(flags.cyclesTolerance);
      const j = jobsOf(flags.jobs);
      const files = expectationFiles(models, flags);
      const expected = flags.update ? undefined : expectationsFor(files, flags);
      const opts = { target: flags.target, dtype: flags.dtype, simulate: true, functional: false, ...limitsOf(flags) };
      const jobs: Job[] = models.map((model) => ({ kind: 'check', model, opts, timings: out.timings !== undefined }));
      const results = await timedAsync(out.timings, 'models', () => runJobs(jobs, j, out.progress));
      out.stopProgress();
      results.forEach((r, i) => { if (r.ok && r.timings) out.timings!.adopt(r.timings, `${models[i]}: `); });
      const outcomes: ModelOutcome[] = results.map((result, i) => {
        const o: ModelOutcome = { model: models[i]!, expect: files[i]!, result };
        if (result.ok && expected) o.outcome = compareExpectation(expected[i]!, result.actual, tol);
        return o;
      });
      if (flags.update && flags.expectDir !== undefined) mkdirSync(flags.expectDir, { recursive: true });
      if (flags.update) for (const o of outcomes) if (o.result.ok) writeFileAtomic(o.expect, expectationText({ ...o.result.actual, model: modelPathFor(o.expect, o.model) }));
      const single = flags.expectDir === undefined;
      if (single && !outcomes[0]!.result.ok) throw new DspcError('E_USAGE', outcomes[0]!.result.error);
      if (flags.json) out.json(single ? singleJson(outcomes[0]!, flags.update === true) : batchJson(outcomes, flags.update === true));
      else for (const o of outcomes) printModel(out, o, flags.update === true);
      if (!single && !flags.json) printSummary(out, outcomes, flags.update === true, j);
      const errors = outcomes.some((o) => !o.result.ok);
      const failed = outcomes.some((o) => o.outcome && !o.outcome.ok);
      process.exitCode = errors ? EXIT_BAD_INPUT : failed ? EXIT_CHECK_FAILED : EXIT_OK;
    });
}

function singleJson(o: ModelOutcome, update: boolean): Record<string, unknown> {
  const actual = o.result.ok ? o.result.actual : undefined;
  if (update) return { ok: true, updated: o.expect, actual };
  return { ok: o.outcome!.ok, expect: o.expect, differences: o.outcome!.differences, cycles: o.outcome!.cycles ?? null, actual };
}

function batchJson(outcomes: readonly ModelOutcome[], update: boolean): Record<string, unknown> {
  const models = outcomes.map((o) => (o.result.ok ? { model: o.model, ...singleJson(o, update) } : { model: o.model, expect: o.expect, ok: false, error: o.result.error }));
  return { ok: models.every((m) => m.ok === true), models };
}

function printModel(out: Output, o: ModelOutcome, update: boolean): void {
  const r = o.result;
  // errors of one model of a batch: the same one line the CLI prints for a single failing command, naming the model
  if (!r.ok) {
    process.stderr.write(`dspc: ${r.error.includes(o.model) ? '' : `${o.model}: `}${r.error}\n`);
    return;
  }
  const a = r.actual;
  if (update) out.info(`updated ${o.expect}: ${a.kernels.total} kernels, ${a.activations.standalone} standalone activations, ${fmtInt(a.cycles?.fused ?? 0)} cycles`);
  else printOutcome(out, o.expect, o.model, a, o.outcome!);
}

function printSummary(out: Output, outcomes: readonly ModelOutcome[], update: boolean, j: number): void {
  const errors = outcomes.filter((o) => !o.result.ok).length;
  const failed = outcomes.filter((o) => o.outcome && !o.outcome.ok).length;
  const ok = outcomes.length - errors - failed;
  const c = failed || errors ? out.ce : out.c;
  const text = `check: ${outcomes.length} model(s), ${ok} ${update ? 'updated' : 'passed'}, ${failed} failed, ${errors} could not be compiled (-j ${j})`;
  // like a failed check's diff, a failing summary reaches the CI log even with --quiet
  if (failed || errors) process.stderr.write(`${c.red(text)}\n`);
  else out.info(c.green(text));
}

function signed(n: number): string {
  return n > 0 ? `+${fmtInt(n)}` : n < 0 ? `-${fmtInt(-n)}` : '0';
}

function printOutcome(out: Output, file: string, model: string, actual: Expectation, o: CheckOutcome): void {
  const c = out.c;
  // A failed check is the one result that must reach a CI log even with --quiet: it goes to stderr.
  const head = `dspc check ${model} on ${actual.target} (${actual.dtype}) against ${file}`;
  if (o.ok) {
    const cyc = o.cycles ? `, cycles ${fmtInt(o.cycles.actual)} within ${(o.cycles.tolerance * 100).toFixed(2)}% (${(o.cycles.relative * 100).toFixed(2)}%)` : '';
    out.info(`${c.green('PASS')} ${head}: ${actual.kernels.total} kernels, ${actual.activations.standalone} standalone activations${cyc}`);
    return;
  }
  const ce = out.ce;
  const rows = o.differences.map((d) => {
    const delta = d.kind === 'cycles'
      ? `${d.relative! > 0 ? '+' : ''}${(d.relative! * 100).toFixed(2)}% (tolerance ${(o.cycles!.tolerance * 100).toFixed(2)}%)`
      : signed((d.actual ?? 0) - (d.expected ?? 0));
    const worse = (d.actual ?? 0) > (d.expected ?? 0);
    return [d.key, d.expected === null ? '-' : fmtInt(d.expected), d.actual === null ? '-' : fmtInt(d.actual),
      worse ? ce.red(delta) : ce.green(delta), worse ? 'more than expected' : 'fewer than expected'];
  });
  const text = [
    `${ce.red('FAIL')} ${head}: ${o.differences.length} difference(s)`,
    renderTable([{ header: 'key' }, { header: 'expected', align: 'right' }, { header: 'actual', align: 'right' }, { header: 'change', align: 'right' }, { header: '' }], rows, ce),
    `If the change is intended, accept it with: dspc check ${model} -t ${actual.target} --expect ${file} --update`,
  ].join('\n');
  process.stderr.write(text + '\n');
}
