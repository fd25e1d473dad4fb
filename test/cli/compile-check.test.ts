// Tests of `dspc compile`, `simulate`, `inspect <dir>` and `check` through the built CLI on the bundled chain demo.
// Why: compile once, then exercise everything that reads its artifacts; check must fail with a diff on a wrong count.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTensorPb } from '../../src/frontend/index.js';
import { DEMO, dspc, expectOneLineError, json, REPO, tmpDir } from './helpers.js';

const work = tmpDir('compile');
const out = path.join(work, 'out');
let compiled: Record<string, unknown>;

beforeAll(() => {
  compiled = json(dspc(['compile', DEMO, '-o', out, '--json']));
});

describe('dspc compile', () => {
  it('--json carries report.json plus the pass report, and the files it wrote', () => {
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as Record<string, unknown>;
    for (const k of Object.keys(report)) expect(compiled[k], k).toEqual(report[k]);
    const kernels = compiled['kernels'] as { before: number; after: number };
    expect(kernels.after).toBeLessThan(kernels.before); // the demo's chains fuse
    expect(compiled['files']).toEqual(expect.arrayContaining(['schedule.json', 'params.bin', 'params.h', 'report.json', 'model.optimized.onnx',
      'unfused.schedule.json', 'unfused.params.bin', 'reference.input_0.pb', 'reference.output_0.pb']));
    for (const f of compiled['files'] as string[]) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
  });

  it('refuses to overwrite another model\'s output without --force', () => {
    const other = path.join(path.dirname(DEMO), '../../../../shared/models/chains/chain_relu_relu/model.onnx');
    const line = expectOneLineError(dspc(['compile', path.resolve(other), '-o', out]));
    expect(line).toMatch(/another model/);
    expect(fs.existsSync(path.join(out, 'schedule.json'))).toBe(true);
  });

  it('`npm start` (the README\'s first command) prints the summary, per-kernel table and speedup; --quiet prints nothing', () => {
    const start = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start']!;
    const prefix = 'node dist/src/cli/main.js ';
    expect(start.startsWith(prefix)).toBe(true);
    const r = dspc(start.slice(prefix.length).split(' '));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kernels\s+\d+ → \d+/);
    expect(r.stdout).toMatch(/^\s*#\s+kernel\s+node\s+output\s+MACs\s+cycles/m);
    expect(r.stdout).toMatch(/speedup\s+\d+\.\d{3}x/);
    const q = dspc(['compile', DEMO, '--simulate', '--quiet']);
    expect(q.code).toBe(0);
    expect(q.stdout).toBe('');
    expect(q.stderr).toBe('');
  });
});

describe('dspc simulate and inspect <dir>', () => {
  it('--json: the issue-5 speedup report with fused < unfused on the chain demo', () => {
    const s = json<{ cycles: { unfused: number; fused: number; ideal: number }; speedup: number; ofIdeal: number; kernels: unknown[] }>(
      dspc(['simulate', out, '--json']));
    expect(s.cycles.fused).toBeLessThan(s.cycles.unfused);
    expect(s.cycles.ideal).toBeLessThanOrEqual(s.cycles.fused);
    expect(s.speedup).toBeCloseTo(s.cycles.unfused / s.cycles.fused, 12);
    expect(s.ofIdeal).toBeGreaterThan(0);
    expect(s.kernels.length).toBe((compiled['kernels'] as { after: number }).after);
  });

  it('--input/--output: runs on a given tensor and writes the dequantized output', () => {
    const y = path.join(work, 'y.pb');
    const x = path.join(path.dirname(DEMO), 'test_data_set_0/input_0.pb');
    const r = dspc(['simulate', out, '--input', x, '--output', y]);
    expect(r.code).toBe(0);
    const t = readTensorPb(y);
    expect(t.tensor.dims).toEqual([1, 10]);
    expect(r.stdout).toMatch(/functional\s+SQNR/);
  });

  it('inspect <dir> summarises schedule.json and params.bin; a flipped byte is caught by the CRC', () => {
    const info = json<{ invocations: number; params: { records: number; bytes: number } }>(dspc(['inspect', out, '--json']));
    expect(info.invocations).toBe((compiled['kernels'] as { after: number }).after);
    expect(info.params.bytes).toBe(fs.statSync(path.join(out, 'params.bin')).size);
    const bad = path.join(work, 'bad');
    fs.cpSync(out, bad, { recursive: true });
    const bin = fs.readFileSync(path.join(bad, 'params.bin'));
    bin[bin.length >> 1]! ^= 0x40;
    fs.writeFileSync(path.join(bad, 'params.bin'), bin);
    expect(expectOneLineError(dspc(['inspect', bad]))).toMatch(/CRC/);
    expect(expectOneLineError(dspc(['simulate', bad]))).toMatch(/CRC/);
  });
});

describe('dspc check', () => {
  const expect_ = path.join(work, 'counts.json');

  it('is a usage error without an expectation file', () => {
    expect(expectOneLineError(dspc(['check', DEMO, '--expect', expect_]))).toMatch(/--update/);
  });

  it('--update writes the file; the same compile then passes (exit 0)', () => {
    expect(dspc(['check', DEMO, '-t', 'generic-dsp', '--expect', expect_, '--update']).code).toBe(0);
    const e = JSON.parse(fs.readFileSync(expect_, 'utf8')) as { kernels: { total: number; byType: Record<string, number> }; cycles: { fused: number } };
    expect(e.kernels.total).toBe((compiled['kernels'] as { after: number }).after);
    expect(e.cycles.fused).toBeGreaterThan(0);
    const r = dspc(['check', DEMO, '-t', 'generic-dsp', '--expect', expect_]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PASS/);
  });

  it('a wrong count fails with exit 1 and a diff naming the key', () => {
    const e = JSON.parse(fs.readFileSync(expect_, 'utf8')) as { kernels: { byType: Record<string, number> } };
    e.kernels.byType['conv2d'] = e.kernels.byType['conv2d']! + 1;
    const wrong = path.join(work, 'wrong.json');
    fs.writeFileSync(wrong, JSON.stringify(e));
    const r = dspc(['check', DEMO, '--expect', wrong]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FAIL/m);
    expect(r.stderr).toMatch(/kernels\.byType\.conv2d\s+7\s+6\s+-1/);
    const j = dspc(['check', DEMO, '--expect', wrong, '--json']);
    expect(j.code).toBe(1);
    expect((JSON.parse(j.stdout) as { ok: boolean; differences: { key: string }[] }).differences.map((d) => d.key)).toEqual(['kernels.byType.conv2d']);
  });

  it('cycles outside the tolerance fail; inside pass', () => {
    const e = JSON.parse(fs.readFileSync(expect_, 'utf8')) as { cycles: { fused: number } };
    e.cycles.fused = Math.round(e.cycles.fused * 0.9);
    const off = path.join(work, 'cycles.json');
    fs.writeFileSync(off, JSON.stringify(e));
    const fail = dspc(['check', DEMO, '--expect', off]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/cycles\.fused/);
    expect(dspc(['check', DEMO, '--expect', off, '--cycles-tolerance', '15']).code).toBe(0);
  });
});
