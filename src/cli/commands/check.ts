// Stage: CLI command. `dspc check <model> -t T --expect counts.json`: kernel-count regression test for CI.
// Contract: exit 0 when counts (and cycles within tolerance) match, 1 with a readable diff when not, 2 on bad input; --update rewrites the file atomically.

import { existsSync, readFileSync } from 'node:fs';
import { Option } from 'commander';
import type { Command } from 'commander';
import { compile } from '../../pipeline.js';
import type { CompileResult } from '../../pipeline.js';
import { DspcError } from '../../ir/errors.js';
import { compareExpectation, EXPECT_FORMAT, EXPECT_VERSION, expectationText, parseExpectation } from '../check-expect.js';
import type { CheckOutcome, Expectation } from '../check-expect.js';
import { addCommonFlags, addLimitFlags, EXIT_CHECK_FAILED, EXIT_OK, limitsOf, outputFor } from '../common.js';
import type { CommonFlags, LimitFlags } from '../common.js';
import { writeFileAtomic } from '../fsutil.js';
import { targetOptionFor } from '../help.js';
import { fmtInt, renderTable } from '../term.js';
import type { Output } from '../term.js';

interface CheckFlags extends CommonFlags, LimitFlags {
  target: string;
  expect?: string;
  update?: boolean;
  cyclesTolerance: string;
  dtype: 'int8' | 'int16';
}

export const DEFAULT_CYCLES_TOLERANCE_PCT = 1;

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

export function registerCheck(program: Command): void {
  addCommonFlags(addLimitFlags(
    program
      .command('check')
      .description('compile and compare kernel counts by type, activation counts and (optionally) cycles with an expectation file; exit 1 on any difference')
      .argument('<model>', 'ONNX model file')
      .addOption(targetOptionFor())
      .option('--expect <counts.json>', 'the expectation file (created by --update)')
      .option('--update', 'write the current counts (and cycles) into the expectation file instead of comparing')
      .option('--cycles-tolerance <pct>', 'allowed relative change of simulated cycles, in percent (when the file has cycles)', String(DEFAULT_CYCLES_TOLERANCE_PCT))
      .addOption(new Option('--dtype <type>', 'activation type of the program').choices(['int8', 'int16']).default('int8')),
  ))
    .addHelpText('after', '\nCounts must match exactly; delete the "cycles" key of the file to skip the cycle check. CI usage: docs/ci.md')
    .action(async (model: string, flags: CheckFlags) => {
      const out = outputFor(flags);
      if (!flags.expect) throw new DspcError('E_USAGE', 'check needs --expect <counts.json>');
      const tol = tolerance(flags.cyclesTolerance);
      const expected = flags.update ? undefined : readExpectation(flags.expect);
      if (expected && expected.target !== flags.target) {
        throw new DspcError('E_USAGE', `expectation is for target '${expected.target}', not '${flags.target}' (use -t ${expected.target} or --update)`, { file: flags.expect });
      }
      if (expected && expected.dtype !== flags.dtype) {
        throw new DspcError('E_USAGE', `expectation is for dtype ${expected.dtype}, not ${flags.dtype}`, { file: flags.expect });
      }
      const res = await compile(model, { target: flags.target, dtype: flags.dtype, simulate: true, functional: false, onProgress: out.progress, ...limitsOf(flags), timings: out.timings });
      out.stopProgress();
      const actual = actualCounts(res);
      if (flags.update) {
        writeFileAtomic(flags.expect, expectationText(actual));
        if (flags.json) out.json({ ok: true, updated: flags.expect, actual });
        else out.info(`updated ${flags.expect}: ${actual.kernels.total} kernels, ${actual.activations.standalone} standalone activations, ${fmtInt(actual.cycles?.fused ?? 0)} cycles`);
        process.exitCode = EXIT_OK;
        return;
      }
      const outcome = compareExpectation(expected!, actual, tol);
      if (flags.json) out.json({ ok: outcome.ok, expect: flags.expect, differences: outcome.differences, cycles: outcome.cycles ?? null, actual });
      else printOutcome(out, flags.expect, model, actual, outcome);
      process.exitCode = outcome.ok ? EXIT_OK : EXIT_CHECK_FAILED;
    });
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
