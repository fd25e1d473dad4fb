// Runs the library example of docs/api.md verbatim against the built package, resolved as `import ... from 'dspc'`.
// Why: the documented API must keep working; a doc example nobody runs rots.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, tmpDir } from './helpers.js';

function docExample(): string {
  const md = fs.readFileSync(path.join(REPO, 'docs/api.md'), 'utf8');
  const m = /<!-- api-example:start -->\s*```js\n([\s\S]*?)```\s*<!-- api-example:end -->/.exec(md);
  if (!m) throw new Error('docs/api.md: no api-example block');
  return m[1]!;
}

function docOutput(): string {
  const md = fs.readFileSync(path.join(REPO, 'docs/api.md'), 'utf8');
  const m = /<!-- api-output -->[\s\S]*?\n```\n([\s\S]*?)```/.exec(md);
  if (!m) throw new Error('docs/api.md: no api-output block');
  return m[1]!;
}

describe('docs/api.md example', () => {
  let stdout = '';

  it('runs with `import { compile, optimize, simulate } from "dspc"` and prints what the docs show', () => {
    // a scratch package whose node_modules/dspc is this repository: exactly how an installed dependency resolves
    const dir = tmpDir('api');
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(REPO, path.join(dir, 'node_modules', 'dspc'), 'dir');
    const script = path.join(dir, 'example.mjs');
    fs.writeFileSync(script, docExample());
    const r = spawnSync(process.execPath, [script], { cwd: REPO, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    stdout = r.stdout;
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^model: 23 nodes, \d+ parameters, \d+ MACs$/);
    expect(lines[1]).toMatch(/^optimize: nodes 23 -> \d+, activations 14 -> \d+$/);
    expect(lines[2]).toMatch(/^compile: kernels (\d+) -> (\d+), files \d+$/);
    const [, before, after] = /kernels (\d+) -> (\d+)/.exec(lines[2]!)!;
    expect(Number(after)).toBeLessThan(Number(before));
    expect(lines[3]).toMatch(/^simulate: cycles \d+ -> \d+, speedup \d+\.\d{3}x, SQNR \d+\.\d dB$/);
    expect(lines[4]).toBe('error: E_FILE');
  });

  // Why: "a number in docs is one you measured"; when the cost model or fusion changes, regenerate the block.
  it('the output shown in docs/api.md is what the example prints today', () => {
    expect(stdout).not.toBe('');
    expect(docOutput()).toBe(stdout);
  });
});
