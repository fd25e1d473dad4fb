// Stage: CLI command. `dspc simulate <dir>`: cycle estimates (fused, unfused, ideal) and the bit-accurate run of emitted artifacts.
// Contract: reads only the artifact directory (and given .pb inputs); --json prints the speedup report; --output writes dequantized outputs.

import type { Command } from 'commander';
import { parsePreprocess, simulate, writeTensors } from '../../pipeline.js';
import { addCommonFlags, addPreprocessFlag, collect, outputFor } from '../common.js';
import type { CommonFlags } from '../common.js';
import { printSimulate } from '../summary.js';

interface SimulateFlags extends CommonFlags {
  input?: string[];
  output?: string[];
  target?: string;
  unfused?: string;
  functional: boolean;
  perKernel: boolean;
  preprocess?: string;
}

export function registerSimulate(program: Command): void {
  addCommonFlags(addPreprocessFlag(
    program
      .command('simulate')
      .description('estimate cycles of a compiled program (fused vs unfused vs ideal) and run it bit-accurately')
      .argument('<dir>', 'directory written by `dspc compile -o`')
      .option('-i, --input <file>', 'input tensor (.pb TensorProto) or PNG/JPEG image; repeat per input (default: the compile\'s reference input)', collect)
      .option('-o, --output <y.pb>', 'write the dequantized float output; repeat per output', collect)
      .option('-t, --target <name|file>', 'target description (default: the preset the artifacts name; required for a target file)')
      .option('--unfused <dir>', 'directory of a --no-fuse compile to compare with (default: the unfused.* files in <dir>)')
      .option('--no-functional', 'cycle estimates only, skip the bit-accurate run')
      .option('--no-per-kernel', 'omit the per-kernel table'),
  )).action((dir: string, flags: SimulateFlags) => {
    const out = outputFor(flags);
    const spec = flags.preprocess !== undefined ? parsePreprocess(flags.preprocess) : undefined;
    const res = simulate(dir, {
      ...(spec ? { preprocess: spec } : {}),
      timings: out.timings,
      functional: flags.functional || (flags.output?.length ?? 0) > 0, onProgress: out.progress,
      ...(flags.input ? { inputs: flags.input } : {}), ...(flags.target ? { target: flags.target } : {}),
      ...(flags.unfused ? { unfused: flags.unfused } : {}),
    });
    out.stopProgress();
    if (flags.output?.length && res.outputs) writeTensors(flags.output, res.outputs);
    if (flags.json) out.json(res.report);
    else printSimulate(out, res, flags.perKernel, flags.output ?? []);
  });
}
