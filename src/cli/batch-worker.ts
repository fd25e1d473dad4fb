// Stage: CLI worker thread. Runs batch jobs (one model's compile each) that the main thread posts, and posts each result back.
// Contract: one result message per job, in the order received; errors are results (runJob catches them), the thread never throws.

import { parentPort } from 'node:worker_threads';
import { runJob } from './batch.js';
import type { Job } from './batch.js';

// Jobs arrive one at a time (the pool posts the next only after a result), so they run strictly in order.
parentPort?.on('message', (job: Job) => {
  void runJob(job).then((r) => parentPort!.postMessage(r));
});
