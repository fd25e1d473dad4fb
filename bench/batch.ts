// Stage: benchmark. `dspc check` over many models with -j 1 and -j 2 (worker threads), side by side in one run.
// Contract: runBatchBench() prints wall seconds of each and the speedup -j 1 / -j 2 (goal >= 1.7 over the shared zoo, chains and real models).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../kernels/target.js';
import { isMain, loadLine } from './common.js';
import { runJobs } from '../src/cli/batch.js';
import type { Job } from '../src/cli/batch.js';

/** Every model of the shared sets named in BENCH_BATCH_SETS (default zoo, chains, real), in manifest order. */
function models(): string[] {
  const root = path.resolve(packageRoot(), '../shared/models');
  const sets = (process.env['BENCH_BATCH_SETS'] ?? 'zoo,chains,real').split(',');
  const out: string[] = [];
  for (const s of sets) {
    const dir = path.join(root, s);
    for (const e of fs.readdirSync(dir).sort()) {
      const f = path.join(dir, e, 'model.onnx');
      if (fs.existsSync(f)) out.push(f);
    }
  }
  return out;
}

async function wall(jobs: readonly Job[], j: number): Promise<number> {
  const t0 = performance.now();
  const r = await runJobs(jobs, j);
  const bad = r.filter((x) => !x.ok);
  if (bad.length) console.log(`  (-j ${j}: ${bad.length} model(s) failed: ${bad.map((x) => (x.ok ? '' : x.error)).join('; ')})`);
  return (performance.now() - t0) / 1e3;
}

export async function runBatchBench(): Promise<void> {
  const files = models();
  // what `dspc check` compiles: cycle estimates, no bit-accurate run
  const jobs: Job[] = files.map((model) => ({ kind: 'check', model, opts: { target: 'generic-dsp', dtype: 'int8', simulate: true, functional: false }, timings: false }));
  // -j 2 first, then -j 1, then -j 2 again: a drift of the host's speed falls on both sides
  const a = await wall(jobs, 2);
  const b = await wall(jobs, 1);
  const c = await wall(jobs, 2);
  const j2 = (a + c) / 2;
  console.log(`dspc check over ${files.length} models (${process.env['BENCH_BATCH_SETS'] ?? 'zoo,chains,real'}): -j 1 ${b.toFixed(1)} s, -j 2 ${a.toFixed(1)} s and ${c.toFixed(1)} s`);
  console.log(`speedup -j 1 / -j 2 = ${(b / j2).toFixed(2)}x (goal >= 1.7 on 2 quiet cores)`);
  console.log(loadLine());
}

// Direct run: `node dist/bench/batch.js` (bench/run.ts wires `npm run bench -- batch`).
if (isMain(import.meta.url)) {
  runBatchBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
