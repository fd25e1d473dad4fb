// Stage: CLI command. `dspc optimize <in.onnx> -o <out.onnx>`: the graph passes (activation fusion) alone, ONNX in and out.
// Contract: --json prints exactly the issue-3 report; the optimized model is written atomically as ONNX.

import type { Command } from 'commander';
import { optimize, toOnnx } from '../../pipeline.js';
import type { OptimizeResult } from '../../pipeline.js';
import { DspcError } from '../../ir/errors.js';
import { addCommonFlags, addLimitFlags, limitsOf, outputFor } from '../common.js';
import type { CommonFlags, LimitFlags } from '../common.js';
import { writeFileAtomic } from '../fsutil.js';
import { STRICT_FLOAT_HELP, passesHelp, targetOptionFor } from '../help.js';
import { chainsTable, modelLabel, opLookup, rulesTable } from '../tables.js';
import type { Output } from '../term.js';

interface OptimizeFlags extends CommonFlags, LimitFlags {
  out?: string;
  target: string;
  strictFloat?: boolean;
}

export function registerOptimize(program: Command): void {
  addCommonFlags(addLimitFlags(
    program
      .command('optimize')
      .description('run the graph passes (activation-chain fusion) and write the optimized model as ONNX')
      .argument('<in.onnx>', 'ONNX model file')
      .option('-o, --out <out.onnx>', 'where to write the optimized model')
      .option('--strict-float', STRICT_FLOAT_HELP)
      .addOption(targetOptionFor()),
  ))
    .addHelpText('after', () => passesHelp())
    .action((model: string, flags: OptimizeFlags) => {
      const out = outputFor(flags);
      if (!flags.out) throw new DspcError('E_USAGE', 'optimize needs -o/--out <out.onnx>');
      const res = optimize(model, { target: flags.target, strictFloat: flags.strictFloat === true, ...limitsOf(flags), timings: out.timings });
      writeFileAtomic(flags.out, toOnnx(res.graph));
      if (flags.json) out.json(res.report);
      else printOptimize(out, res, model, flags.out);
    });
}

function printOptimize(out: Output, res: OptimizeResult, model: string, file: string): void {
  const c = out.c;
  const r = res.report;
  out.info(`${c.bold(modelLabel(model))} on ${res.target.id}: nodes ${r.nodes.before} -> ${c.bold(String(r.nodes.after))}, ` +
    `activations ${r.activations.before} -> ${c.bold(String(r.activations.after))}`);
  if (r.patterns.length) {
    out.info(`\nactivations written as elementwise ops: ${r.patterns.length}`);
    for (const p of r.patterns) out.info(`  ${p.pattern} -> ${c.bold(p.result)}  ${c.dim(p.nodes.join(', '))}`);
  }
  if (r.chains.length) out.info('\n' + chainsTable(r.chains, opLookup(res.source), c));
  if (Object.keys(r.rules).length) out.info('\n' + rulesTable(r.rules, c));
  out.info(`\nwrote ${file}`);
}
