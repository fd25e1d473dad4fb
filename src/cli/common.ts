// Stage: CLI. Shared command plumbing: exit codes, error-to-message mapping, the options every command shares.
// Contract: a command action resolves to an exit code; every failure becomes one stderr line `dspc: <message>` and exit 2.

import { CommanderError } from 'commander';
import type { Command } from 'commander';
import { DspcError, isDspcError } from '../ir/errors.js';
import { Timings } from '../timings.js';
import { Output, renderTimings } from './term.js';

/** Documented exit codes (docs/cli.md). */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export interface CommonFlags {
  json?: boolean;
  quiet?: boolean;
  timings?: boolean;
  /** The recorder behind --timings, set by the program's preAction hook (see timingsHooks). */
  timingsRecorder?: Timings;
}

export function outputFor(flags: CommonFlags): Output {
  return new Output({ json: flags.json === true, quiet: flags.quiet === true }, flags.timingsRecorder);
}

/** --json, --quiet and --timings, identical on every command. */
export function addCommonFlags(cmd: Command): Command {
  return cmd
    .option('--json', 'print one JSON document on stdout and nothing else')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--timings', 'measure wall time and memory of every phase; print them on stderr (in the document with --json)');
}

/**
 * --timings on every command: before the action a recorder is put into the command's options (the action passes
 * it to the pipeline), after it the whole command is closed as phase 'total' and the table goes to stderr.
 */
export function timingsHooks(program: Command, stderr: NodeJS.WritableStream = process.stderr): void {
  const started = new WeakMap<Timings, number>();
  program.hook('preAction', (_root, action) => {
    if (action.opts<CommonFlags>().timings !== true) return;
    const t = new Timings();
    started.set(t, performance.now());
    action.setOptionValue('timingsRecorder', t);
  });
  program.hook('postAction', (_root, action) => {
    const flags = action.opts<CommonFlags>();
    const t = flags.timingsRecorder;
    if (!t) return;
    if (flags.json !== true) stderr.write(renderTimings(t.phases, performance.now() - started.get(t)!) + '\n');
  });
}

/** Resource limits of the importer (docs/reliability.md), on every command that reads a model. */
export interface LimitFlags {
  maxModelMb?: string;
  maxTensorMb?: string;
  maxGops?: string;
}

export function addLimitFlags(cmd: Command): Command {
  return cmd
    .option('--max-model-mb <n>', 'refuse model files (plus external data) larger than n MiB (default 2048)')
    .option('--max-tensor-mb <n>', 'refuse any tensor larger than n MiB (default 1024)')
    .option('--max-gops <n>', 'refuse models needing more than n x 1e9 element operations per inference (default 100)');
}

/** The import limits the flags ask for, as LoadOptions (unset flags keep the importer's defaults). */
export function limitsOf(flags: LimitFlags): { maxModelBytes?: number; maxTensorBytes?: number; maxWork?: number } {
  const num = (text: string | undefined, flag: string, unit: number): number | undefined => {
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!Number.isFinite(v) || v <= 0) throw new DspcError('E_USAGE', `${flag} must be a positive number, got '${text}'`);
    return Math.floor(v * unit);
  };
  const out: { maxModelBytes?: number; maxTensorBytes?: number; maxWork?: number } = {};
  const m = num(flags.maxModelMb, '--max-model-mb', 2 ** 20);
  const t = num(flags.maxTensorMb, '--max-tensor-mb', 2 ** 20);
  const w = num(flags.maxGops, '--max-gops', 1e9);
  if (m !== undefined) out.maxModelBytes = m;
  if (t !== undefined) out.maxTensorBytes = t;
  if (w !== undefined) out.maxWork = w;
  return out;
}

/** --preprocess, identical on every command that reads image inputs (run, compile, simulate). */
export function addPreprocessFlag(cmd: Command): Command {
  return cmd.option('--preprocess <spec>', 'how PNG/JPEG inputs become tensors: key=value,... (layout, order, resize, mean, std, scale, offset) or @file.json');
}

/** Commander collector for repeatable options (--input a.pb --input b.pb). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Node system errors carry a code and path; they are bad input (missing file, unwritable directory), not crashes. */
interface SystemError extends Error {
  code: string;
  path?: string;
  syscall?: string;
}

function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === 'string' && (e as Partial<SystemError>).code!.startsWith('E');
}

const SYSTEM_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
};

/** One line, no stack: newlines inside a message (lists of unsupported ops) are joined with '; '. */
function oneLine(s: string): string {
  return s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join('; ');
}

/** The user-facing text for any failure; the stack is added only with DSPC_DEBUG=1. */
export function describeError(e: unknown): string {
  if (isDspcError(e)) return oneLine(e.message);
  if (isSystemError(e) && SYSTEM_PROBLEMS[e.code]) {
    return oneLine(e.path !== undefined ? `${e.path}: ${SYSTEM_PROBLEMS[e.code]}` : `${e.message}`);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return `internal error: ${oneLine(msg)} (set DSPC_DEBUG=1 for the stack trace)`;
}

/** Print an error as one line on stderr and return the exit code for it. */
export function reportError(e: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (e instanceof CommanderError) {
    // Commander already printed usage errors through configureOutput; help and --version are successes.
    return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT_OK : EXIT_BAD_INPUT;
  }
  stderr.write(`dspc: ${describeError(e)}\n`);
  if (process.env['DSPC_DEBUG'] === '1' && e instanceof Error && e.stack) stderr.write(`${e.stack}\n`);
  return EXIT_BAD_INPUT;
}
