// Stage: instrumentation. Phase timings of one command: wall time and memory of each named phase (--timings, report.json "timings").
// Contract: recording never changes a result; code that is given no recorder runs its phases plainly, at no cost.

/** One finished phase. Phases may nest: depth 0 is a top-level phase, depth 1 a step inside it, and so on. */
export interface PhaseTiming {
  phase: string;
  depth: number;
  /** Wall time of the phase in milliseconds. */
  ms: number;
  /** Resident set size of the process when the phase ended, MiB. */
  rssMB: number;
  /**
   * Peak resident set size of the process by the end of the phase, MiB (the kernel's high-water mark): the phase
   * where it rises is the one that needed the memory. Process-wide, so it includes every worker thread.
   */
  peakRssMB: number;
  /** V8 heap in use when the phase ended, MiB (typed-array data is outside it, in the RSS). */
  heapMB: number;
}

/** Runs `fn` as the named phase; the type of every `phase` hook the pipeline passes down. */
export type PhaseFn = <T>(name: string, fn: () => T) => T;

const MIB = 2 ** 20;

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Records phases in the order they start (a parent before its steps), each filled in when it ends. */
export class Timings {
  readonly phases: PhaseTiming[] = [];
  private depth = 0;

  /** Run a synchronous phase. */
  readonly phase: PhaseFn = <T>(name: string, fn: () => T): T => {
    const end = this.start(name);
    try {
      return fn();
    } finally {
      end();
    }
  };

  /** Run an asynchronous phase (the time until its promise settles). */
  async phaseAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const end = this.start(name);
    try {
      return await fn();
    } finally {
      end();
    }
  }

  /** Phases recorded elsewhere (a worker thread) appended at this recorder's current depth, names prefixed. */
  adopt(phases: readonly PhaseTiming[], prefix = ''): void {
    for (const p of phases) this.phases.push({ ...p, phase: prefix + p.phase, depth: p.depth + this.depth });
  }

  private start(name: string): () => void {
    const entry: PhaseTiming = { phase: name, depth: this.depth, ms: 0, rssMB: 0, peakRssMB: 0, heapMB: 0 };
    this.phases.push(entry);
    this.depth++;
    const t0 = performance.now();
    return () => {
      entry.ms = round(performance.now() - t0);
      const mem = process.memoryUsage();
      entry.rssMB = round(mem.rss / MIB);
      entry.heapMB = round(mem.heapUsed / MIB);
      entry.peakRssMB = round((process.resourceUsage().maxRSS * 1024) / MIB);
      this.depth--;
    };
  }
}

/** Run `fn` as a phase of `t`, or plainly when no recorder was given. */
export function timed<T>(t: Timings | undefined, name: string, fn: () => T): T {
  return t ? t.phase(name, fn) : fn();
}

/** The asynchronous form of timed(). */
export function timedAsync<T>(t: Timings | undefined, name: string, fn: () => Promise<T>): Promise<T> {
  return t ? t.phaseAsync(name, fn) : fn();
}
