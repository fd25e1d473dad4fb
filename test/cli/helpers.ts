// Test support for the CLI: spawn the built `dspc` (dist/, built by `npm run build` / .ci/run) and find shared models.
// Contract: test-only; every helper is synchronous and returns exit code, stdout and stderr as strings.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS = path.resolve(REPO, '../shared/models');
export const CLI = path.join(REPO, 'dist/src/cli/main.js');
export const DEMO = path.join(REPO, 'docs/examples/chain_demo/model.onnx');
export const CHROMIUM = '/usr/bin/chromium';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `node dist/src/cli/main.js ...args` (no TTY: no colour, no progress bar). */
export function dspc(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): CliResult {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  delete env['FORCE_COLOR'];
  delete env['DSPC_DEBUG'];
  Object.assign(env, opts.env);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function json<T = Record<string, unknown>>(r: CliResult): T {
  if (r.code !== 0) throw new Error(`dspc exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dspc-${prefix}-`));
}

export function chain(name: string): { model: string; input: string; output: string } {
  const dir = path.join(MODELS, 'chains', name);
  return { model: path.join(dir, 'model.onnx'), input: path.join(dir, 'test_data_set_0/input_0.pb'), output: path.join(dir, 'test_data_set_0/output_0.pb') };
}

export function zoo(name: string): string {
  return path.join(MODELS, 'zoo', name, 'model.onnx');
}

/** A failing CLI run as users see it: exit 2, exactly one stderr line starting 'dspc: ', no stack trace. */
export function expectOneLineError(r: CliResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  if (r.code !== 2) throw new Error(`expected exit 2, got ${r.code}; stderr: ${r.stderr}`);
  if (lines.length !== 1 || !lines[0]!.startsWith('dspc: ')) throw new Error(`expected one 'dspc: ' line, got: ${JSON.stringify(r.stderr)}`);
  if (/\n\s+at /.test(r.stderr) || /\.js:\d+/.test(r.stderr)) throw new Error(`stack trace leaked: ${r.stderr}`);
  return lines[0]!;
}
