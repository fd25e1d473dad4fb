#!/usr/bin/env node
// Stage: CLI entry. Builds the `dspc` command tree (commander) and maps every outcome to a documented exit code.
// Contract: exit 0 ok, 1 check failed, 2 bad input or usage; errors are one stderr line `dspc: <message>` (stack only with DSPC_DEBUG=1).

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildProgram } from './program.js';
import { reportError } from './common.js';

/** Run the CLI on argv (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** `dspc ... | head`: the reader closing the pipe early is not an error of ours; stop quietly like other Unix tools. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

if (invokedDirectly()) {
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  // Exit through process.exitCode, not process.exit(): stdout may still be draining into a pipe.
  process.exitCode = await main(process.argv.slice(2));
}
