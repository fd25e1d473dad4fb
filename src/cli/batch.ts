// Stage: CLI. Batch runs of `dspc check` / `dspc compile` over several models: one job per model on a pool of worker threads.
// Contract: results come back in the order the models were given, whatever -j is; a failing model is a result (its one-line error), never a crash of the batch.

import { availableParallelism } from 'node:os';
import { basename, dirname, extname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { compile } from '../pipeline.js';
import type { CompileOptions, ProgressFn } from '../pipeline.js';
import { DspcError } from '../ir/errors.js';
import type { PhaseTiming } from '../timings.js';
import { Timings } from '../timings.js';
import { actualCounts } from './check-expect.js';
import type { Expectation } from './check-expect.js';
import { describeError } from './common.js';
import { compileJson } from './summary.js';

/** What one worker does for one model: the compile options are plain data (no callbacks, no recorder). */
export interface Job {
  kind: 'check' | 'compile';
  model: string;
  opts: Omit<CompileOptions, 'onProgress' | 'timings'>;
  timings: boolean;
}

export type JobResult =
  | { ok: true; actual: Expectation; json: Record<string, unknown>; timings?: PhaseTiming[] }
  | { ok: false; error: string; badInput: boolean };

/** Run one job in this thread (the worker's body, and the whole of -j 1). */
export async function runJob(job: Job, onProgress?: ProgressFn): Promise<JobResult> {
  const t = job.timings ? new Timings() : undefined;
  try {
    const res = await compile(job.model, { ...job.opts, ...(t ? { timings: t } : {}), ...(onProgress ? { onProgress } : {}) });
    // the compile's JSON view holds only data (report, pass report, simulation): it crosses threads as it is
    const json = job.kind === 'compile' ? compileJson(res) : {};
    return { ok: true, actual: actualCounts(res), json, ...(t ? { timings: t.phases } : {}) };
  } catch (e) {
    return { ok: false, error: describeError(e), badInput: e instanceof DspcError };
  }
}

/** -j: a positive integer; default the number of cores. */
export function jobsOf(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new DspcError('E_USAGE', `-j must be a positive integer, got '${text}'`);
  return n;
}

/**
 * Run the jobs on up to `j` worker threads (in this thread, with progress, when j or the job count is 1). Each worker takes the
 * next job when it finishes one, so one slow model does not hold up the rest; results are in job order.
 */
export async function runJobs(jobs: readonly Job[], j: number, onProgress?: ProgressFn): Promise<JobResult[]> {
  const n = Math.min(j, jobs.length);
  const results = new Array<JobResult>(jobs.length);
  if (n <= 1) {
    for (let i = 0; i < jobs.length; i++) results[i] = await runJob(jobs[i]!, onProgress);
    return results;
  }
  let next = 0;
  const workerFile = new URL('./batch-worker.js', import.meta.url);
  const one = (): Promise<void> => new Promise((done, fail) => {
    const w = new Worker(workerFile);
    let current = -1;
    const feed = (): void => {
      if (next >= jobs.length) {
        void w.terminate().then(() => done());
        return;
      }
      current = next++;
      w.postMessage(jobs[current]);
    };
    w.on('message', (r: JobResult) => {
      results[current] = r;
      feed();
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (next < jobs.length || (current >= 0 && results[current] === undefined)) fail(new Error(`batch worker exited with code ${code}`));
    });
    feed();
  });
  await Promise.all(Array.from({ length: n }, one));
  return results;
}

/**
 * Per-model names for expectation files and output subdirectories: the file name without extension, or the
 * folder's name for the usual `<name>/model.onnx` layout. Two models with one name are a usage error.
 */
export function modelNames(models: readonly string[]): string[] {
  const names = models.map((m) => {
    const stem = basename(m, extname(m));
    return stem === 'model' ? basename(dirname(resolve(m))) : stem;
  });
  const seen = new Map<string, string>();
  names.forEach((n, i) => {
    const other = seen.get(n);
    if (other !== undefined) throw new DspcError('E_USAGE', `models ${other} and ${models[i]} both get the name '${n}' (expectation file / output folder); rename one`);
    seen.set(n, models[i]!);
  });
  return names;
}
