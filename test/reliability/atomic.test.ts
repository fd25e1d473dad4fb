// Reliability (issue 7 items 3 and 6): a compile killed at any moment leaves the previous output directory intact or
// absent, never a mix; another model's output is not replaced without --force; the same compile twice gives
// byte-identical artifacts. Runs the built CLI as child processes on the zoo model tiny_cnn.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectArtifacts } from '../../src/pipeline.js';
import { CLI, MODELS, dspc, expectBadInput, tmpDir } from './helpers.js';

const MODEL_A = path.join(MODELS, 'chains/chain_relu_relu/model.onnx');
const MODEL_B = path.join(MODELS, 'zoo/tiny_cnn/model.onnx');
const base = tmpDir('atomic');
const refA = path.join(base, 'ref-a');
const refB = path.join(base, 'ref-b');
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** Every file of a directory with its bytes (no sub-directories in an artifact directory). */
function snapshot(dir: string): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

function sameFiles(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  return a.size === b.size && [...a].every(([f, bytes]) => b.get(f)?.equals(bytes) === true);
}

/** What a directory holds: absent, exactly one of the reference outputs, or something else (a failure). */
function stateOf(dir: string, refs: Record<string, Map<string, Buffer>>): string {
  if (!fs.existsSync(dir)) return 'absent';
  const snap = snapshot(dir);
  for (const [name, ref] of Object.entries(refs)) if (sameFiles(snap, ref)) return name;
  return `MIXED: ${[...snap.keys()].join(', ')}`;
}

/** Temp/backup siblings writeArtifacts leaves when killed: `.<name>.tmp-<pid>-<hex>` / `.<name>.old-...`. */
function leftovers(dir: string): string[] {
  const name = path.basename(dir);
  return fs.readdirSync(path.dirname(dir)).filter((e) => e.startsWith(`.${name}.tmp-`) || e.startsWith(`.${name}.old-`));
}

beforeAll(async () => {
  const [a, b] = await Promise.all([
    dspc(['compile', MODEL_A, '-o', refA, '--quiet']),
    dspc(['compile', MODEL_B, '-o', refB, '--quiet']),
  ]);
  expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, '', 0, '']);
});

/**
 * Compile MODEL_B over a copy of MODEL_A's output and SIGKILL it `delayMs` after its temp directory appears
 * (null: kill 150 ms after start, before any write; undefined: let it finish).
 */
function killedCompile(out: string, delayMs: number | null | undefined): Promise<{ signal: NodeJS.Signals | null; code: number | null }> {
  fs.cpSync(refA, out, { recursive: true });
  const parent = path.dirname(out);
  const prefix = `.${path.basename(out)}.tmp-`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'compile', MODEL_B, '-o', out, '--force', '--quiet'], { stdio: 'ignore' });
    const kill = (): boolean => child.kill('SIGKILL');
    const watcher = fs.watch(parent, (_event, file) => {
      if (delayMs === null || delayMs === undefined || !file || !String(file).startsWith(prefix)) return;
      watcher.close();
      setTimeout(kill, delayMs);
    });
    const early = delayMs === null ? setTimeout(kill, 150) : undefined;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      watcher.close();
      clearTimeout(early);
      resolve({ code, signal });
    });
  });
}

describe('a compile killed mid-write (SIGKILL) never leaves a mixed output directory', () => {
  const DELAYS: (number | null | undefined)[] = [null, 0, 2, 8, 20, 40, 80, undefined];

  it(`kills at ${DELAYS.length - 1} moments (before writing, then 0..80 ms into the write) plus one clean run`, async () => {
    const refs = { previous: snapshot(refA), complete: snapshot(refB) };
    const results: { delay: string; state: string; stale: number; signal: string | null }[] = [];
    for (let k = 0; k < DELAYS.length; k += 2) {
      // two at a time: the suite must stay fast on two cores
      const batch = DELAYS.slice(k, k + 2).map(async (d, j) => {
        const out = path.join(base, `out-${k + j}`);
        const r = await killedCompile(out, d);
        const state = stateOf(out, refs);
        if (state !== 'absent') {
          // whatever is there is one consistent, loadable program
          const info = inspectArtifacts(out);
          const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as { modelId: string };
          expect(report.modelId).toBe(info.modelId);
        }
        results.push({ delay: d === null ? 'before write' : d === undefined ? 'not killed' : `${d} ms`, state, stale: leftovers(out).length, signal: r.signal });
        return out;
      });
      await Promise.all(batch);
    }
    results.sort((a, b) => a.delay.localeCompare(b.delay));
    for (const r of results) expect(['previous', 'complete', 'absent'], JSON.stringify(r)).toContain(r.state);
    expect(results.find((r) => r.delay === 'not killed')!.state).toBe('complete');
    expect(results.find((r) => r.delay === 'before write')!.state).toBe('previous');
    // the kills must really land inside the write (temp directory left behind), or this test proves nothing
    expect(results.filter((r) => r.signal === 'SIGKILL' && r.stale > 0).length, JSON.stringify(results)).toBeGreaterThan(0);
  });

  it('the next compile into the same place succeeds and removes what killed writes left behind', async () => {
    const out = path.join(base, 'out-1');
    const r = await dspc(['compile', MODEL_B, '-o', out, '--force', '--quiet']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(sameFiles(snapshot(out), snapshot(refB))).toBe(true);
    expect(leftovers(out)).toEqual([]);
  });
});

describe('an existing output directory of another model', () => {
  it('is not overwritten without --force (exit 2, clear message, directory untouched); --force replaces it', async () => {
    const out = path.join(base, 'other');
    fs.cpSync(refA, out, { recursive: true });
    const r = await dspc(['compile', MODEL_B, '-o', out]);
    const line = expectBadInput(r, 'compile over another model');
    const idA = (JSON.parse(fs.readFileSync(path.join(refA, 'schedule.json'), 'utf8')) as { modelId: string }).modelId;
    expect(line).toBe(`dspc: ${path.resolve(out)}: output directory holds the output of another model ('${idA}'); use --force to replace it`);
    expect(sameFiles(snapshot(out), snapshot(refA))).toBe(true);
    const forced = await dspc(['compile', MODEL_B, '-o', out, '--force', '--quiet']);
    expect([forced.code, forced.stderr]).toEqual([0, '']);
    expect(sameFiles(snapshot(out), snapshot(refB))).toBe(true);
  });

  it('a non-empty directory dspc did not write is refused too', async () => {
    const out = path.join(base, 'mine');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'keep me');
    const line = expectBadInput(await dspc(['compile', MODEL_A, '-o', out]), 'compile over a foreign directory');
    expect(line).toMatch(/output directory is not empty and holds no dspc output; use --force to replace it$/);
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('the same model may recompile into its own directory without --force', async () => {
    const out = path.join(base, 'same');
    fs.cpSync(refB, out, { recursive: true });
    const r = await dspc(['compile', MODEL_B, '-o', out, '--quiet']);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });
});

describe('determinism', () => {
  it('compiling the same model twice gives byte-identical artifacts (every file)', async () => {
    const again = path.join(base, 'again-b');
    const r = await dspc(['compile', MODEL_B, '-o', again, '--quiet']);
    expect(r.code).toBe(0);
    const a = snapshot(refB);
    const b = snapshot(again);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
    expect(a.has('params.bin') && a.has('schedule.json') && a.has('report.json')).toBe(true);
  });
});
