// Stage: benchmark (issue 3). Fusion pass time on generated 10k / 100k / 1M-node graphs with chains between convolutions.
// Contract: runFuseBench() prints one table from one run: ms per size, the 1M/100k ratio (goal <= 12), 1M time (goal < 2 s).

import { cpus, loadavg } from 'node:os';
import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/graph.js';
import { fuseActivationsPass } from '../src/passes/fuse-activations.js';
import { defaultPassTargetInfo, optimizeGraph } from '../src/passes/index.js';
import type { PassContext } from '../src/passes/types.js';
import { isMain, measure } from './common.js';

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

/**
 * Mean ms of `fn` by benchmark.js, at least 10 samples: a 1M-node call takes most of a second, and with 5 samples one
 * slow call (a full collection landing in it) moved the mean, and so the ratio, by a tenth (rme 15-25%).
 */
async function wall(name: string, fn: () => void): Promise<{ ms: number; rme: number; samples: number }> {
  const b = await measure(name, fn, false, 5, 10);
  return { ms: b.stats.mean * 1e3, rme: b.stats.rme, samples: b.stats.sample.length };
}

/**
 * Median CPU ms (user + system of this process) over timed repetitions, each after a full GC: on a shared, loaded
 * machine wall time measures the neighbours as much as the pass, CPU time much less so.
 */
function cpuMs(fn: () => void, times: number): number {
  const c: number[] = [];
  for (let i = 0; i < times; i++) {
    gc();
    const u = process.cpuUsage();
    fn();
    const d = process.cpuUsage(u);
    c.push((d.user + d.system) / 1e3);
  }
  return c.sort((a, b) => a - b)[Math.floor(c.length / 2)]!;
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
    const fuse = { cpu: cpuMs(runFuse, reps), ...(await wall(`fuse ${n}`, runFuse)) };
    gc();
    const all = { cpu: cpuMs(runAll, reps), ...(await wall(`optimize ${n}`, runAll)) };
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
if (isMain(import.meta.url)) {
  runFuseBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
