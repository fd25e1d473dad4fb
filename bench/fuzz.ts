// Stage: benchmark (issue 7). `npm run bench -- fuzz`: 10,000 fuzzed models through import + verify, export round
// trip and (small graphs) the reference interpreter, each case in a worker thread killed at a hard time limit.
// Contract: prints counts ok / rejected / unclear / crashed / hung plus a reproducer per failure; goal crashed = hung = 0.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { makeCase, pickSource, type CaseOptions } from '../test/reliability/fuzz/cases.js';
import { listCorpus } from '../test/reliability/fuzz/corpus.js';
import { runCase, type Outcome, type Verdict } from '../test/reliability/fuzz/run-case.js';

export interface FuzzConfig {
  seed: number;
  cases: number;
  /** Worker threads running cases in parallel. */
  workers: number;
  /** Hard per-case limit for small seed models; zoo seeds get proportionally more (see limitFor). */
  limitMs: number;
  maxInterpretWork: number;
  /** Also compile accepted small graphs in memory (passes, quantisation, lowering): FUZZ_PIPELINE=1. */
  pipeline: boolean;
  weights?: CaseOptions['weights'];
}

export interface FuzzResult {
  index: number;
  source: string;
  steps: string[];
  outcome: Outcome;
}

export interface FuzzSummary {
  config: FuzzConfig;
  counts: Record<Verdict, number>;
  rejectedByCode: Record<string, number>;
  interpreted: number;
  failures: FuzzResult[];
  caseMs: { median: number; p99: number; max: number };
  elapsedMs: number;
}

export const DEFAULT_FUZZ: FuzzConfig = {
  seed: 7,
  cases: 10_000,
  workers: Math.max(1, Math.min(2, os.availableParallelism())),
  limitMs: 10_000,
  maxInterpretWork: 2e7,
  pipeline: false,
};

// ---- a pool of worker threads with a watchdog per task ---------------------------------------------------------

export type PoolReport<R> = { index: number; result: R } | { index: number; failure: 'timeout' | 'died'; detail: string; ms: number };

export interface PoolOptions<R> {
  total: number;
  concurrency: number;
  timeoutMs: (index: number) => number;
  /** A worker answering {index} messages with {index, result}. */
  spawn: () => Worker;
  onReport: (r: PoolReport<R>) => void;
}

/** Runs tasks 0..total-1; a worker that overruns its task's limit is terminated (even mid-loop) and replaced. */
export function runPool<R>(o: PoolOptions<R>): Promise<void> {
  let next = 0;
  let running = 0;
  let startFailures = 0;
  return new Promise((resolve, reject) => {
    const slot = (): void => {
      if (startFailures > 3) {
        next = o.total; // stop handing out work; a worker that cannot start will never finish any
        if (running === 0) reject(new Error('fuzz workers fail to start (is dist/ built? npm run build)'));
        return;
      }
      if (next >= o.total) {
        if (running === 0) resolve();
        return;
      }
      running++;
      const w = o.spawn();
      let index = -1;
      let started = 0;
      let timer: NodeJS.Timeout | undefined;
      let retired = false;
      const retire = (failure: 'timeout' | 'died', detail: string): void => {
        if (retired) return;
        retired = true;
        clearTimeout(timer);
        if (index >= 0) o.onReport({ index, failure, detail, ms: performance.now() - started });
        else startFailures++;
        void w.terminate();
        running--;
        slot();
      };
      const dispatch = (): void => {
        if (next >= o.total) {
          retired = true;
          void w.terminate();
          running--;
          if (running === 0) resolve();
          return;
        }
        index = next++;
        started = performance.now();
        timer = setTimeout(() => retire('timeout', `no answer within ${o.timeoutMs(index)} ms`), o.timeoutMs(index));
        w.postMessage({ index });
      };
      w.on('message', (m: { index: number; result: R }) => {
        if (retired || m.index !== index) return;
        clearTimeout(timer);
        o.onReport({ index, result: m.result });
        dispatch();
      });
      w.on('error', (e: Error) => retire('died', `${e.name}: ${e.message}`));
      w.on('exit', (code) => retire('died', `worker exited with code ${code}`));
      // Thread start-up is not the task's time: the first task is sent once the worker runs.
      w.once('online', dispatch);
    };
    for (let k = 0; k < Math.max(1, o.concurrency); k++) slot();
  });
}

// ---- the fuzz worker ---------------------------------------------------------------------------------------------

interface WorkerInit {
  dspcFuzz: FuzzConfig;
}

function workerMain(cfg: FuzzConfig): void {
  const corpus = listCorpus();
  parentPort!.on('message', (m: { index: number }) => {
    let result: Omit<FuzzResult, 'index'>;
    try {
      const c = makeCase(corpus, cfg.seed, m.index, { weights: cfg.weights });
      const outcome = runCase(c, { maxInterpretWork: cfg.maxInterpretWork, pipeline: cfg.pipeline });
      result = { source: `${c.source.set}/${c.source.name}`, steps: c.steps, outcome };
    } catch (e) {
      const outcome: Outcome = { verdict: 'crashed', stage: 'import', message: `fuzz harness: ${(e as Error).message}`, ms: 0, interpreted: false };
      result = { source: '?', steps: [], outcome };
    }
    parentPort!.postMessage({ index: m.index, result });
  });
}

if (!isMainThread && (workerData as Partial<WorkerInit> | null)?.dspcFuzz) workerMain((workerData as WorkerInit).dspcFuzz);

// ---- the run -----------------------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
}

export async function runFuzz(config: Partial<FuzzConfig> = {}, progress?: (done: number) => void): Promise<FuzzSummary> {
  const cfg: FuzzConfig = { ...DEFAULT_FUZZ, ...config };
  const corpus = listCorpus();
  const counts: Record<Verdict, number> = { ok: 0, rejected: 0, unclear: 0, crashed: 0, hung: 0 };
  const rejectedByCode: Record<string, number> = {};
  const failures: FuzzResult[] = [];
  const times: number[] = [];
  let interpreted = 0;
  const limitFor = (index: number): number => {
    const s = pickSource(corpus, cfg.seed, index, { weights: cfg.weights });
    return Math.round(cfg.limitMs * (1 + s.size / 10e6));
  };
  const t0 = performance.now();
  await runPool<Omit<FuzzResult, 'index'>>({
    total: cfg.cases,
    concurrency: cfg.workers,
    timeoutMs: limitFor,
    spawn: () => new Worker(new URL(import.meta.url), { workerData: { dspcFuzz: cfg } satisfies WorkerInit, resourceLimits: { maxOldGenerationSizeMb: 3072 } }),
    onReport: (r) => {
      let res: FuzzResult;
      if ('result' in r) {
        res = { index: r.index, ...r.result };
      } else {
        const s = pickSource(corpus, cfg.seed, r.index, { weights: cfg.weights });
        const verdict: Verdict = r.failure === 'timeout' ? 'hung' : 'crashed';
        res = { index: r.index, source: `${s.set}/${s.name}`, steps: [], outcome: { verdict, stage: 'import', message: r.detail, ms: r.ms, interpreted: false } };
      }
      const o = res.outcome;
      counts[o.verdict]++;
      times.push(o.ms);
      if (o.interpreted) interpreted++;
      if (o.verdict === 'rejected') rejectedByCode[o.code ?? '?'] = (rejectedByCode[o.code ?? '?'] ?? 0) + 1;
      if (o.verdict !== 'ok' && o.verdict !== 'rejected') failures.push(res);
      progress?.(times.length);
    },
  });
  times.sort((a, b) => a - b);
  failures.sort((a, b) => a.index - b.index);
  return {
    config: cfg, counts, rejectedByCode, interpreted, failures,
    caseMs: { median: percentile(times, 0.5), p99: percentile(times, 0.99), max: times[times.length - 1] ?? 0 },
    elapsedMs: performance.now() - t0,
  };
}

export function formatSummary(s: FuzzSummary): string {
  const c = s.counts;
  const codes = Object.entries(s.rejectedByCode).sort().map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `fuzz: ${s.config.cases} cases, seed ${s.config.seed}, ${s.config.workers} worker(s), limit ${s.config.limitMs} ms per case (zoo seeds scaled by size)`,
    `  stages    import + verify, export -> re-import, reference interpreter on small graphs${s.config.pipeline ? ', optimize + compile (FUZZ_PIPELINE=1)' : ''}`,
    `  ok        ${String(c.ok).padStart(6)}   (${s.interpreted} also run on the reference interpreter)`,
    `  rejected  ${String(c.rejected).padStart(6)}   (typed DspcError naming file and problem: ${codes || 'none'})`,
    `  unclear   ${String(c.unclear).padStart(6)}   (typed error, message does not name the file or problem)`,
    `  crashed   ${String(c.crashed).padStart(6)}`,
    `  hung      ${String(c.hung).padStart(6)}`,
    `  time      ${(s.elapsedMs / 1000).toFixed(1)} s; per case median ${s.caseMs.median.toFixed(1)} ms, p99 ${s.caseMs.p99.toFixed(1)} ms, max ${s.caseMs.max.toFixed(0)} ms`,
  ];
  for (const f of s.failures.slice(0, 25)) {
    lines.push(`  #${f.index} ${f.outcome.verdict} at ${f.outcome.stage} (${f.source}; ${f.steps.join(' | ')}): ${f.outcome.message}`);
  }
  if (s.failures.length) lines.push(`  reproduce one: node dist/bench/fuzz.js --seed ${s.config.seed} --case <index> [--write case.onnx]${s.config.pipeline ? ' --pipeline' : ''}`);
  return lines.join('\n');
}

/** `npm run bench -- fuzz` (FUZZ_CASES / FUZZ_SEED / FUZZ_PIPELINE=1 override the defaults). */
export async function runFuzzBench(): Promise<void> {
  const cases = Number(process.env['FUZZ_CASES'] ?? DEFAULT_FUZZ.cases);
  const seed = Number(process.env['FUZZ_SEED'] ?? DEFAULT_FUZZ.seed);
  const pipeline = process.env['FUZZ_PIPELINE'] === '1';
  let last = 0;
  const s = await runFuzz({ cases, seed, pipeline }, (done) => {
    if (process.stderr.isTTY && done - last >= 250) {
      last = done;
      process.stderr.write(`\rfuzz: ${done}/${cases}`);
    }
  });
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  process.stdout.write(`${formatSummary(s)}\n`);
}

/** `node dist/bench/fuzz.js --seed S --case I [--write f.onnx]`: rebuild one case, run it in-process, print it. */
function reproduce(argv: string[]): number {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seed = Number(arg('--seed') ?? DEFAULT_FUZZ.seed);
  const index = Number(arg('--case'));
  if (!Number.isInteger(index)) {
    process.stderr.write('usage: node dist/bench/fuzz.js --seed S --case I [--write case.onnx] [--pipeline]\n');
    return 2;
  }
  const c = makeCase(listCorpus(), seed, index);
  const out = arg('--write');
  if (out) fs.writeFileSync(out, c.bytes);
  const o = runCase(c, { maxInterpretWork: DEFAULT_FUZZ.maxInterpretWork, pipeline: argv.includes('--pipeline') });
  process.stdout.write(`${JSON.stringify({ index, source: `${c.source.set}/${c.source.name}`, steps: c.steps, bytes: c.bytes.length, outcome: o }, null, 2)}\n`);
  return o.verdict === 'ok' || o.verdict === 'rejected' ? 0 : 1;
}

function invokedDirectly(): boolean {
  try {
    return isMainThread && !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) process.exitCode = reproduce(process.argv.slice(2));
