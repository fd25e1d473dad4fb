// Stage: benchmark support. What every side-by-side benchmark shares: a benchmark.js timer and the main-module check.
// Contract: measure() resolves with the finished Benchmark (stats.mean in seconds); deferred for promise-returning fns.

import { cpus, loadavg } from 'node:os';
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

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Relative margin of error of the mean, % (95%, normal approximation): how far one run's mean may be off. */
export function rme(xs: readonly number[]): number {
  const m = mean(xs);
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return (1.96 * sd) / Math.sqrt(xs.length) / m * 100;
}

/** The closing line of every side-by-side bench: how loaded the host was while it ran. */
export function loadLine(): string {
  const [l1, l5] = loadavg();
  return `load average during the run: ${l1!.toFixed(2)} (1 min), ${l5!.toFixed(2)} (5 min) on ${cpus().length} CPUs`;
}
