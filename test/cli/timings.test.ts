// Tests of --timings: every command accepts it; compile reports each phase (import ... simulation) with wall time and memory.
// Why: users read where time and memory go from this table; report.json carries the same phases only when asked for.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Timings, timed } from '../../src/timings.js';
import { DEMO, chain, dspc, json, tmpDir } from './helpers.js';

interface Phase { phase: string; depth: number; ms: number; rssMB: number; peakRssMB: number; heapMB: number }

describe('Timings recorder', () => {
  it('records nested phases in start order with their depth, and leaves results unchanged', async () => {
    const t = new Timings();
    const v = t.phase('outer', () => t.phase('inner', () => 41) + 1);
    expect(v).toBe(42);
    expect(await t.phaseAsync('async', async () => 'x')).toBe('x');
    expect(t.phases.map((p) => [p.phase, p.depth])).toEqual([['outer', 0], ['inner', 1], ['async', 0]]);
    for (const p of t.phases) {
      expect(p.ms).toBeGreaterThanOrEqual(0);
      expect(p.peakRssMB).toBeGreaterThanOrEqual(p.rssMB - 0.1);
      expect(p.rssMB).toBeGreaterThan(0);
    }
    expect(timed(undefined, 'plain', () => 7)).toBe(7);
  });

  it('closes a phase whose work throws, and rethrows', () => {
    const t = new Timings();
    expect(() => t.phase('fails', () => { throw new Error('boom'); })).toThrow('boom');
    expect(t.phases).toHaveLength(1);
    expect(t.phase('after', () => 1)).toBe(1);
    expect(t.phases[1]!.depth).toBe(0);
  });
});

describe('dspc --timings', () => {
  it('compile --json --timings: every phase of the compile in the document and in report.json; no table on stderr', () => {
    const out = path.join(tmpDir('timings'), 'out');
    const r = dspc(['compile', DEMO, '-o', out, '--simulate', '--json', '--timings']);
    const doc = json<{ timings: Phase[] }>(r);
    const names = doc.timings.map((p) => p.phase);
    for (const n of ['import', 'passes', 'calibration', 'verdicts', 'lowering', 'emission', 'simulation']) expect(names, n).toContain(n);
    expect(r.stderr).toBe('');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { timings?: Phase[] };
    expect(report.timings!.map((p) => p.phase)).toEqual(expect.arrayContaining(['import', 'passes', 'calibration', 'lowering']));
  });

  it('without --timings report.json has no timings (artifacts stay byte-identical run to run)', () => {
    const out = path.join(tmpDir('timings'), 'out');
    expect(dspc(['compile', DEMO, '-o', out, '-q']).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'))).not.toHaveProperty('timings');
  });

  it('prints the table on stderr for the other commands (inspect, run, optimize, targets)', () => {
    const c = chain('chain_relu_relu');
    const cases: [string[], string][] = [
      [['inspect', c.model], 'import'],
      [['run', c.model, '--input', c.input], 'reference run'],
      [['optimize', c.model, '-o', path.join(tmpDir('timings'), 'm.onnx')], 'passes'],
      [['targets'], 'total'],
    ];
    for (const [args, phase] of cases) {
      const r = dspc([...args, '--timings']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/phase\s+ms\s+rss MiB\s+peak rss MiB/);
      expect(r.stderr).toMatch(new RegExp(`^${phase}\\s+\\d+\\.\\d`, 'm'));
      expect(r.stderr).toMatch(/^total\s+\d+\.\d/m);
    }
  });
});
