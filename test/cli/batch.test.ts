// Tests of batch `dspc check` / `dspc compile` over several models on worker threads (-j), and of portable expectation files.
// Why: CI runs these over many models; output order, files and exit codes must not depend on -j, and files must work on any checkout.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelNames } from '../../src/cli/batch.js';
import { dspcErrorOf } from '../dspc-error.js';
import { chain, dspc, expectOneLineError, REPO, tmpDir } from './helpers.js';

const A = chain('chain_relu_relu').model;
const B = chain('chain_clip_clip').model;
const BAD = path.join(REPO, 'test/fixtures/bad/truncated.onnx');

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d).sort()) {
      const p = path.join(d, e);
      if (fs.statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

describe('modelNames', () => {
  it('names a model by its file stem, or by its folder for <name>/model.onnx; a clash is a usage error', () => {
    expect(modelNames(['a/b/net.onnx', 'x/resnet/model.onnx'])).toEqual(['net', 'resnet']);
    expect(dspcErrorOf(() => modelNames(['p/net.onnx', 'q/net.onnx'])).message).toMatch(/both get the name 'net'/);
  });
});

describe('dspc check over several models', () => {
  const dir = tmpDir('batch-check');
  const e1 = path.join(dir, 'j1');
  const e2 = path.join(dir, 'j2');

  it('--update writes one file per model, identical whatever -j, with the model path relative to the file', () => {
    const r1 = dspc(['check', A, B, '--expect-dir', e1, '--update', '-j', '1']);
    const r2 = dspc(['check', A, B, '--expect-dir', e2, '--update', '-j', '2']);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    expect(r1.stdout.replaceAll(e1, 'X').replace('-j 1', '')).toBe(r2.stdout.replaceAll(e2, 'X').replace('-j 2', ''));
    expect(files(e1)).toEqual(files(e2));
    expect(Object.keys(files(e1))).toEqual(['chain_clip_clip.json', 'chain_relu_relu.json']);
    const f = JSON.parse(fs.readFileSync(path.join(e1, 'chain_relu_relu.json'), 'utf8')) as { model: string };
    expect(path.isAbsolute(f.model)).toBe(false);
    expect(path.resolve(e1, f.model)).toBe(path.resolve(A));
  });

  it('passes in model order with one summary line; a regression in one model fails the batch with exit 1 and its diff on stderr', () => {
    const ok = dspc(['check', A, B, '--expect-dir', e1, '-j', '2']);
    expect(ok.code).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PASS .*chain_relu_relu/);
    expect(lines[1]).toMatch(/^PASS .*chain_clip_clip/);
    expect(lines[2]).toMatch(/2 model\(s\), 2 passed, 0 failed/);
    const f = path.join(e2, 'chain_clip_clip.json');
    const j = JSON.parse(fs.readFileSync(f, 'utf8')) as { kernels: { total: number } };
    j.kernels.total += 1;
    fs.writeFileSync(f, JSON.stringify(j));
    const bad = dspc(['check', A, B, '--expect-dir', e2, '-j', '2', '--json']);
    expect(bad.code).toBe(1);
    const doc = JSON.parse(bad.stdout) as { ok: boolean; models: { model: string; ok: boolean }[] };
    expect(doc.ok).toBe(false);
    expect(doc.models.map((m) => [m.model, m.ok])).toEqual([[A, true], [B, false]]);
  });

  it('a model that cannot be compiled is reported in one line and the others still run; exit 2', () => {
    fs.copyFileSync(path.join(e1, 'chain_relu_relu.json'), path.join(e1, 'truncated.json'));
    const r = dspc(['check', A, BAD, '--expect-dir', e1, '-j', '2']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^PASS .*chain_relu_relu/);
    expect(r.stderr).toMatch(/^dspc: .*truncated\.onnx/m);
    expect(r.stderr).toMatch(/1 passed, 0 failed, 1 could not be compiled/);
  });

  it('--expect names one file: several models need --expect-dir', () => {
    expect(expectOneLineError(dspc(['check', A, B, '--expect', path.join(dir, 'x.json')]))).toMatch(/--expect-dir/);
    expect(expectOneLineError(dspc(['check', A, '--expect-dir', e1, '-j', '0']))).toMatch(/-j must be a positive integer/);
  });
});

describe('dspc compile over several models', () => {
  it('writes <out>/<name>/ per model, byte-identical with -j 1 and -j 2', () => {
    const dir = tmpDir('batch-compile');
    const r1 = dspc(['compile', A, B, '-o', path.join(dir, 'j1'), '-j', '1']);
    const r2 = dspc(['compile', A, B, '-o', path.join(dir, 'j2'), '-j', '2']);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    expect(r1.stdout.split('\n')[0]).toMatch(/^chain_relu_relu: kernels/);
    const f1 = files(path.join(dir, 'j1'));
    expect(Object.keys(f1)).toEqual(expect.arrayContaining(['chain_clip_clip/schedule.json', 'chain_relu_relu/params.bin']));
    expect(files(path.join(dir, 'j2'))).toEqual(f1);
    expect(expectOneLineError(dspc(['compile', A, B, '-o', dir, '--report', path.join(dir, 'r.html')]))).toMatch(/single model/);
  });
});
