// Stage: CLI command. `dspc compile <model> -t T -o dir`: the whole pipeline, its summary, and optional report/dot/simulation.
// Contract: artifacts are written atomically by the pipeline; --report/--dot files are written atomically here after it succeeds.

import { Option } from 'commander';
import type { Command } from 'commander';
import { compile, parsePreprocess } from '../../pipeline.js';
import type { CompileResult } from '../../pipeline.js';
import { DspcError } from '../../ir/errors.js';
import { addCommonFlags, addLimitFlags, addPreprocessFlag, collect, limitsOf, outputFor } from '../common.js';
import type { CommonFlags, LimitFlags } from '../common.js';
import { writeFileAtomic } from '../fsutil.js';
import { STRICT_FLOAT_HELP, passesHelp, targetOptionFor } from '../help.js';
import { buildReportInput, dotFor } from '../report/build.js';
import { renderReportHtml } from '../report/html.js';
import { compileJson, printCompile } from '../summary.js';

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
  simulate?: boolean;
  report?: string;
  dot?: string;
  force?: boolean;
}

export function registerCompile(program: Command): void {
  addCommonFlags(addLimitFlags(addPreprocessFlag(
    program
      .command('compile')
      .description('compile a model for a target: fuse activation chains, quantize, lower to kernels, emit schedule.json + params.bin + params.h')
      .argument('<model>', 'ONNX model file')
      .addOption(targetOptionFor())
      .option('-o, --out <dir>', 'write the artifacts into this directory (atomically)')
      .option('--no-fuse', 'skip the activation-fusion passes (the baseline the report compares against)')
      .addOption(new Option('--dtype <type>', 'activation type of the program').choices(['int8', 'int16']).default('int8'))
      .option('--exact', 'accept only merges that are bit-exact on every input code (default: never further from float than the chain)')
      .option('--strict-float', STRICT_FLOAT_HELP)
      .option('--calib <dir>', 'calibration inputs: a directory of .pb tensors and/or PNG/JPEG images (default: seeded random inputs)')
      .addOption(new Option('--calib-method <method>', 'how activation ranges come from the calibration values (weights: per-channel max always)').choices(['minmax', 'percentile', 'mse', 'entropy']).default('minmax'))
      .option('-i, --input <file>', 'reference input (.pb or PNG/JPEG) the simulation and accuracy figures use; repeat per input (default: seeded random)', collect)
      .option('--simulate', 'estimate cycles of the fused, unfused and ideal programs and print the per-kernel table')
      .option('--report <file.html>', 'write a self-contained HTML report (graphs, cycle timeline, memory, tables)')
      .option('--dot <file.dot>', 'write the before/after graphs as Graphviz dot')
      .option('--force', 'replace an output directory that holds another model\'s artifacts'),
  )))
    .addHelpText('after', () => passesHelp())
    .action(async (model: string, flags: CompileFlags) => {
      const out = outputFor(flags);
      if (!flags.out && !flags.report && !flags.dot && !flags.simulate && !flags.json) {
        throw new DspcError('E_USAGE', 'compile needs -o/--out <dir> (or --report, --dot, --simulate or --json to compile without writing artifacts)');
      }
      const spec = flags.preprocess !== undefined ? parsePreprocess(flags.preprocess) : undefined;
      const opts = {
        ...(spec ? { preprocess: spec } : {}),
        ...(flags.input?.length ? { inputs: flags.input } : {}),
        calibMethod: flags.calibMethod,
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
      else printCompile(out, res, { perKernel: flags.simulate === true, extras: [flags.report, flags.dot].filter((f): f is string => !!f) });
    });
}

function writeExtras(res: CompileResult, flags: CompileFlags): void {
  if (flags.report) writeFileAtomic(flags.report, renderReportHtml(buildReportInput(res)));
  if (flags.dot) writeFileAtomic(flags.dot, dotFor(res));
}
