// Stage: CLI command. `dspc compile <model> -t T -o dir`: the whole pipeline, its summary, and optional report/dot/simulation.
// Contract: artifacts are written atomically by the pipeline; --report/--dot files are written atomically here after it succeeds.

import { Option } from 'commander';
import type { Command } from 'commander';
import { compile, parsePreprocess, qdqModel } from '../../pipeline.js';
import type { CompileResult } from '../../pipeline.js';
import { DspcError } from '../../ir/errors.js';
import { addCommonFlags, addLimitFlags, addPreprocessFlag, collect, limitsOf, outputFor } from '../common.js';
import type { CommonFlags, LimitFlags } from '../common.js';
import { writeFileAtomic } from '../fsutil.js';
import { STRICT_FLOAT_HELP, passesHelp, targetOptionFor } from '../help.js';
import { buildReportInput, dotFor } from '../report/build.js';
import { renderReportHtml } from '../report/html.js';
import { compileJson, printCompile } from '../summary.js';
import { join } from 'node:path';
import { timedAsync } from '../../timings.js';
import { jobsOf, modelNames, runJobs } from '../batch.js';
import type { Job } from '../batch.js';
import { EXIT_BAD_INPUT } from '../common.js';
import { fmtInt } from '../term.js';
import type { Output } from '../term.js';

export interface CompileFlags extends CommonFlags, LimitFlags {
  target: string;
  out?: string;
  fuse: boolean;
  dtype: 'int8' | 'int16';
  exact?: boolean;
  strictFloat?: boolean;
  calib?: string;
  calibMethod: 'minmax' | 'percentile' | 'mse' | 'entropy';
  preprocess?: string;
  input?: string[];
  minSqnr?: string;
  qdq?: string;
  simulate?: boolean;
  report?: string;
  dot?: string;
  force?: boolean;
  jobs?: string;
}

export function registerCompile(program: Command): void {
  addCommonFlags(addLimitFlags(addPreprocessFlag(
    program
      .command('compile')
      .description('compile a model for a target: fuse activation chains, quantize, lower to kernels, emit schedule.json + params.bin + params.h')
      .argument('<models...>', 'ONNX model file(s); with several, -o is a parent folder holding <name>/ per model')
      .addOption(targetOptionFor())
      .option('-o, --out <dir>', 'write the artifacts into this directory (atomically)')
      .option('--no-fuse', 'skip the activation-fusion passes (the baseline the report compares against)')
      .addOption(new Option('--dtype <type>', 'activation type of the program').choices(['int8', 'int16']).default('int8'))
      .option('--exact', 'accept only merges that are bit-exact on every input code (default: never further from float than the chain)')
      .option('--strict-float', STRICT_FLOAT_HELP)
      .option('--calib <dir>', 'calibration inputs: a directory of .pb tensors and/or PNG/JPEG images (default: seeded random inputs)')
      .addOption(new Option('--calib-method <method>', 'how activation ranges come from the calibration values (weights: per-channel max always)').choices(['minmax', 'percentile', 'mse', 'entropy']).default('minmax'))
      .option('--min-sqnr <dB>', 'mixed precision: raise the most sensitive kernels to int16 activations (int8 weights) until the calibration set reaches this output SQNR')
      .option('-i, --input <file>', 'reference input (.pb or PNG/JPEG) the simulation and accuracy figures use; repeat per input (default: seeded random)', collect)
      .option('--simulate', 'estimate cycles of the fused, unfused and ideal programs and print the per-kernel table')
      .option('--report <file.html>', 'write a self-contained HTML report (graphs, cycle timeline, memory, tables)')
      .option('--qdq <file.onnx>', 'write the quantized program as an ONNX QDQ model (same scales, zero points, int8 weights) for ONNX Runtime')
      .option('--dot <file.dot>', 'write the before/after graphs as Graphviz dot')
      .option('--force', 'replace an output directory that holds another model\'s artifacts')
      .option('-j, --jobs <n>', 'with several models: models compiled at once, each on its own worker thread (default: the number of cores)'),
  )))
    .addHelpText('after', () => passesHelp())
    .action(async (models: string[], flags: CompileFlags) => {
      const out = outputFor(flags);
      if (models.length > 1) return compileMany(models, flags, out);
      const model = models[0]!;
      if (!flags.out && !flags.report && !flags.dot && !flags.qdq && !flags.simulate && !flags.json) {
        throw new DspcError('E_USAGE', 'compile needs -o/--out <dir> (or --report, --dot, --simulate or --json to compile without writing artifacts)');
      }
      const spec = flags.preprocess !== undefined ? parsePreprocess(flags.preprocess) : undefined;
      const opts = {
        ...(spec ? { preprocess: spec } : {}),
        ...(flags.input?.length ? { inputs: flags.input } : {}),
        calibMethod: flags.calibMethod,
        ...(flags.minSqnr !== undefined ? { minSqnr: minSqnrOf(flags.minSqnr) } : {}),
        // the report's per-kernel accuracy chart needs the bit-accurate run on the reference input
        accuracy: flags.simulate === true || flags.report !== undefined,
        target: flags.target, fuse: flags.fuse, dtype: flags.dtype, exact: flags.exact === true, strictFloat: flags.strictFloat === true, force: flags.force === true,
        // the report's timeline needs cycle estimates even without --simulate (the bit-accurate run only with it)
        simulate: flags.simulate === true || flags.report !== undefined, functional: flags.simulate === true, onProgress: out.progress,
        ...(flags.out !== undefined ? { out: flags.out } : {}),
        ...(flags.calib !== undefined ? { calib: flags.calib } : {}),
        ...limitsOf(flags),
        timings: out.timings,
      };
      const res = await compile(model, opts);
      out.stopProgress();
      writeExtras(res, flags);
      if (flags.json) out.json(compileJson(res));
      else printCompile(out, res, { perKernel: flags.simulate === true, extras: [flags.report, flags.dot, flags.qdq].filter((f): f is string => !!f) });
    });
}

/** Several models: each compiled on a worker into <out>/<name>/, one line each in the order given, then a summary. */
async function compileMany(models: string[], flags: CompileFlags, out: Output): Promise<void> {
  for (const [flag, v] of [['--report', flags.report], ['--dot', flags.dot], ['--input', flags.input], ['--calib', flags.calib]] as const) {
    if (v !== undefined) throw new DspcError('E_USAGE', `${flag} is for a single model (${models.length} given)`);
  }
  if (!flags.out && !flags.simulate && !flags.json) throw new DspcError('E_USAGE', 'compile of several models needs -o/--out <parent dir> (or --simulate or --json)');
  const names = modelNames(models);
  const j = jobsOf(flags.jobs);
  const jobs: Job[] = models.map((model, i) => ({
    kind: 'compile', model, timings: out.timings !== undefined,
    opts: {
      target: flags.target, fuse: flags.fuse, dtype: flags.dtype, exact: flags.exact === true, force: flags.force === true,
      simulate: flags.simulate === true, functional: flags.simulate === true, ...limitsOf(flags),
      ...(flags.out !== undefined ? { out: join(flags.out, names[i]!) } : {}),
    },
  }));
  const results = await timedAsync(out.timings, 'models', () => runJobs(jobs, j, out.progress));
  out.stopProgress();
  results.forEach((r, i) => { if (r.ok && r.timings) out.timings!.adopt(r.timings, `${names[i]}: `); });
  if (flags.json) out.json({ ok: results.every((r) => r.ok), models: results.map((r, i) => (r.ok ? { model: models[i], ...r.json } : { model: models[i], ok: false, error: r.error })) });
  else {
    results.forEach((r, i) => {
      if (!r.ok) process.stderr.write(`dspc: ${r.error.includes(models[i]!) ? '' : `${models[i]}: `}${r.error}\n`);
      else out.info(batchLine(names[i]!, r.json));
    });
    const bad = results.filter((r) => !r.ok).length;
    out.info(`compile: ${models.length} model(s), ${models.length - bad} compiled, ${bad} failed (-j ${j})`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = EXIT_BAD_INPUT;
}

/** One model of a batch on one line: kernels, standalone activations, cycles and where it went. */
function batchLine(name: string, j: Record<string, unknown>): string {
  const r = j as unknown as CompileResult['artifacts']['report'] & { simulation?: CompileResult['simulation']; outDir?: string };
  const s = r.simulation;
  const sim = s ? `, cycles ${fmtInt(s.cycles.unfused ?? 0)} -> ${fmtInt(s.cycles.fused)}${s.speedup !== null ? ` (${s.speedup.toFixed(3)}x)` : ''}` : '';
  const dir = r.outDir !== undefined ? ` -> ${r.outDir}/` : '';
  return `${name}: kernels ${r.kernels.before} -> ${r.kernels.after}, ${r.activations.standalone} standalone activations${sim}${dir}`;
}

function writeExtras(res: CompileResult, flags: CompileFlags): void {
  if (flags.report) writeFileAtomic(flags.report, renderReportHtml(buildReportInput(res)));
  if (flags.dot) writeFileAtomic(flags.dot, dotFor(res));
  if (flags.qdq) writeFileAtomic(flags.qdq, qdqModel(res));
}

function minSqnrOf(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new DspcError('E_USAGE', `--min-sqnr must be a number of dB, got '${text}'`);
  return v;
}
