// Stage: benchmark support. What every side-by-side benchmark shares: a benchmark.js timer and the main-module check.
// Contract: measure() resolves with the finished Benchmark (stats.mean in seconds); deferred for promise-returning fns.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';

/** Mean seconds per call measured by benchmark.js, at least minSamples samples within maxTime seconds. */
export function measure(name: string, fn: () => unknown, deferred: boolean, maxTime: number, minSamples = 10): Promise<Benchmark> {
  return new Promise((resolve, reject) => {
    const options: Benchmark.Options = {
      minSamples,
      maxTime,
      onComplete: () => resolve(bench),
      onError: (e: Benchmark.Event) => reject((e.target as { error?: Error }).error ?? new Error(`benchmark ${name} failed`)),
    };
    const bench = deferred
      ? new Benchmark(name, { ...options, defer: true, fn: (d: Benchmark.Deferred) => { void (fn() as Promise<unknown>).then(() => d.resolve()); } })
      : new Benchmark(name, { ...options, fn: fn as () => void });
    bench.run({ async: true });
  });
}

/** True when the module at metaUrl is the script node was started with (a bench file run on its own). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(metaUrl) === path.resolve(process.argv[1]);
}
