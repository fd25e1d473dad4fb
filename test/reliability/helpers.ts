// Test support for the reliability suite: run the built CLI (in parallel), temp directories, crafted-model files.
// Contract: test-only; spawns `node dist/src/cli/main.js` (build first: npx tsc -p tsconfig.json); never touches ../shared.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { packageRoot } from '../../kernels/target.js';

export const REPO = packageRoot();
export const MODELS = path.resolve(REPO, '../shared/models');
export const CLI = path.join(REPO, 'dist/src/cli/main.js');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `dspc ...args` as a child process (no TTY, no DSPC_DEBUG); resolves when it exits. */
export function dspc(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['DSPC_DEBUG'];
  delete env['FORCE_COLOR'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The user-visible contract of bad input: exit 2, one stderr line `dspc: ...`, no stack trace; returns that line. */
export function expectBadInput(r: Run, what: string): string {
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(r.code, `${what}: exit code (stderr: ${r.stderr})`).toBe(2);
  expect(lines.length, `${what}: one stderr line, got ${JSON.stringify(r.stderr)}`).toBe(1);
  expect(lines[0]!.startsWith('dspc: '), what).toBe(true);
  expect(r.stderr, `${what}: stack trace leaked`).not.toMatch(/\n\s+at |\.[jt]s:\d+:\d+|internal error/);
  return lines[0]!;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dspc-rel-${prefix}-`));
}
