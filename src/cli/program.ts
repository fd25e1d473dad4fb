// Stage: CLI. The command tree: one commander program, one module per command, consistent flags across commands.
// Contract: usage errors are printed as `dspc: <message>` and surface as CommanderError (exitOverride) so main maps them to exit 2.

import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerCheck } from './commands/check.js';
import { registerCompile } from './commands/compile.js';
import { registerInspect } from './commands/inspect.js';
import { registerKernels, registerTargets } from './commands/targets.js';
import { registerOptimize } from './commands/optimize.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { packageRoot } from '../../kernels/target.js';
import { timingsHooks } from './common.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Usage errors as one line with the same prefix as every other dspc error, naming the help that explains the usage. */
function usageErrors(help: string): { outputError: (str: string, write: (s: string) => void) => void } {
  return { outputError: (str, write) => write(`dspc: ${str.replace(/^error: /, '').trimEnd()} (see '${help}')\n`) };
}

export function buildProgram(): Command {
  const program = new Command('dspc');
  program
    .description('Compile ONNX models for DSP-style neural-network accelerators, fuse activation chains exactly, and simulate the result.')
    .version(version(), '-V, --version', 'print the dspc version')
    .helpOption('-h, --help', 'show help for a command')
    .configureOutput(usageErrors('dspc --help'))
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nExit codes: 0 ok, 1 check failed, 2 bad input or usage. Docs: docs/cli.md');
  registerCompile(program);
  registerOptimize(program);
  registerSimulate(program);
  registerInspect(program);
  registerRun(program);
  registerTargets(program);
  registerKernels(program);
  registerCheck(program);
  for (const cmd of program.commands) cmd.configureOutput(usageErrors(`dspc ${cmd.name()} --help`));
  timingsHooks(program);
  return program;
}
