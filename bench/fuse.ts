// Stage: benchmark (issue 3). Fusion pass time on generated 10k / 100k / 1M-node graphs with chains between convolutions.
// Contract: runFuseBench() prints one table from one run: ms per size, the 1M/100k ratio (goal <= 12), 1M time (goal < 2 s).

import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/graph.js';
import { fuseActivationsPass } from '../src/passes/fuse-activations.js';
import { defaultPassTargetInfo, optimizeGraph } from '../src/passes/index.js';
import type { PassContext } from '../src/passes/types.js';

const CTX: PassContext = { target: defaultPassTargetInfo, verify: false };
const C = 4;

/** The chains placed after successive convolutions (the mix of the shared chains models). */
const CHAINS: readonly (readonly [string, Record<string, number>, string?][])[] = [
  [['Relu', {}], ['Relu', {}]],
  [['LeakyRelu', { alpha: 0.1 }], ['PRelu', {}, 'slopeA']],
  [['Relu', {}], ['LeakyRelu', { alpha: 0.2 }], ['PRelu', {}, 'slopeB']],
  [['PRelu', {}, 'slopeA'], ['PRelu', {}, 'slopeB']],
  [['Relu', {}], ['Clip', { min: 0, max: 6 }]],
  [['LeakyRelu', { alpha: 0.05 }], ['Relu', {}], ['LeakyRelu', { alpha: 0.1 }]],
  [['LeakyRelu', { alpha: 0.1 }], ['LeakyRelu', { alpha: 0.2 }]],
  [['Clip', { min: -1, max: 2 }], ['Clip', { min: 0, max: 4 }]],
];

/** conv -> chain -> conv -> chain ... until `nodes` nodes; weights are shared initializers (the pass never reads them). */
export function chainGraph(nodes: number): Graph {
  const b = new GraphBuilder(`chains_${nodes}`);
  b.floats('w', [C, C, 3, 3], Array.from({ length: C * C * 9 }, (_, i) => Math.sin(i) / 9));
  b.floats('bias', [C], [0.1, -0.1, 0.2, 0]);
  b.floats('slopeA', [C, 1, 1], [0, 0.25, 0.5, 0.125]);
  b.floats('slopeB', [C, 1, 1], [0.5, 0.25, 0.375, 0.0625]);
  let v = b.input('x', 'float32', [1, C, 4, 4]);
  let count = 0;
  for (let k = 0; count < nodes; k++) {
    v = b.node('Conv', [v, 'w', 'bias'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: `conv${k}` });
    count++;
    const ch = CHAINS[k % CHAINS.length]!;
    for (let i = 0; i < ch.length && count < nodes; i++, count++) {
      const [op, attrs, slope] = ch[i]!;
      v = b.node(op, slope ? [v, slope] : [v], attrs, { name: `act${k}_${i}` });
    }
  }
  b.output(v);
  return b.build();
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Mean ms of `fn` by benchmark.js (a few samples; each call is long, so few cycles). */
function measure(name: string, fn: () => void): Promise<{ ms: number; rme: number; samples: number }> {
  return new Promise((resolve, reject) => {
    const bench: Benchmark = new Benchmark(name, {
      fn, minSamples: 5, maxTime: 3, initCount: 1,
      onComplete: () => resolve({ ms: bench.stats.mean * 1e3, rme: bench.stats.rme, samples: bench.stats.sample.length }),
      onError: (e: Benchmark.Event) => reject((e.target as { error?: Error }).error ?? new Error(`benchmark ${name} failed`)),
    });
    bench.run({ async: true });
  });
}

/**
 * Timed repetitions: median wall ms, and median CPU ms of this process (user + system; on a shared, loaded machine
 * wall time measures the neighbours as much as the pass, CPU time much less so).
 */
function repeat(fn: () => void, times: number): { ms: number; cpu: number; rme: number; samples: number } {
  const t: number[] = [], c: number[] = [];
  for (let i = 0; i < times; i++) {
    gc();
    const s = performance.now(), u = process.cpuUsage();
    fn();
    const d = process.cpuUsage(u);
    t.push(performance.now() - s);
    c.push((d.user + d.system) / 1e3);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const sd = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, t.length - 1));
  return { ms: median(t), cpu: median(c), rme: (100 * sd) / mean / Math.sqrt(t.length), samples: t.length };
}

export async function runFuseBench(): Promise<void> {
  const sizes: [nodes: number, reps: number][] = [[10_000, 20], [100_000, 6], [1_000_000, 3]];
  const rows: string[][] = [[
    'nodes', 'activations before->after', 'fuse wall ms', 'fuse cpu ms', 'optimize wall ms', 'optimize cpu ms', 'samples', 'rme %',
  ]];
  const result = new Map<number, { fuse: number; fuseCpu: number; all: number; allCpu: number }>();
  for (const [n, reps] of sizes) {
    const g = chainGraph(n);
    const { report } = optimizeGraph(g, CTX); // warm-up and the counts for the table
    gc();
    const runFuse = (): void => { fuseActivationsPass.run(g, CTX); };
    const runAll = (): void => { optimizeGraph(g, CTX); };
    // wall time by benchmark.js at every size (one method for both sides of the ratio: its mean over back-to-back
    // calls, GC included); CPU time of this process from timed repetitions, each after a full GC
    const fuseReps = repeat(runFuse, reps);
    const fuse = { ...(await measure(`fuse ${n}`, runFuse)), cpu: fuseReps.cpu };
    gc();
    const allReps = repeat(runAll, reps);
    const all = { ...(await measure(`optimize ${n}`, runAll)), cpu: allReps.cpu };
    result.set(n, { fuse: fuse.ms, fuseCpu: fuse.cpu, all: all.ms, allCpu: all.cpu });
    rows.push([String(g.nodes.length), `${report.activations.before}->${report.activations.after}`, fuse.ms.toFixed(1), fuse.cpu.toFixed(1),
      all.ms.toFixed(1), all.cpu.toFixed(1), `${fuse.samples}/${all.samples}`, `${fuse.rme.toFixed(1)}/${all.rme.toFixed(1)}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
  const big = result.get(1_000_000)!, mid = result.get(100_000)!;
  const ratio = (a: number, b: number): string => (a / b).toFixed(2);
  console.log(`1M/100k ratio (wall, cpu): fuse-activations ${ratio(big.fuse, mid.fuse)}, ${ratio(big.fuseCpu, mid.fuseCpu)}; ` +
    `optimizeGraph ${ratio(big.all, mid.all)}, ${ratio(big.allCpu, mid.allCpu)} (goal <= 12)`);
  console.log(`1M nodes (wall, cpu): fuse-activations ${(big.fuse / 1e3).toFixed(2)} s, ${(big.fuseCpu / 1e3).toFixed(2)} s; ` +
    `optimizeGraph ${(big.all / 1e3).toFixed(2)} s, ${(big.allCpu / 1e3).toFixed(2)} s (goal < 2 s)`);
  const [l1, l5] = loadavg();
  console.log(`load average during the run: ${l1.toFixed(2)} (1 min), ${l5.toFixed(2)} (5 min) on ${cpus().length} CPUs`);
}

// Direct run: `node --expose-gc dist/bench/fuse.js` (bench/run.ts wires `npm run bench -- fuse`).
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  runFuseBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
