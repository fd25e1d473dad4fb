// Stage: benchmark (issue 3). Fusion pass time on generated 10k / 100k / 1M-node graphs with chains between convolutions.
// Contract: runFuseBench() prints one table from one run (rounds pooled): ms per size, 1M/100k (goal <= 12), 1M (goal < 2 s).

import { GraphBuilder } from '../src/ir/builder.js';
import type { Graph } from '../src/ir/graph.js';
import { fuseActivationsPass } from '../src/passes/fuse-activations.js';
import { defaultPassTargetInfo, optimizeGraph } from '../src/passes/index.js';
import type { PassContext } from '../src/passes/types.js';
import { isMain, loadLine, mean, measure, rme } from './common.js';

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
 * Per-call wall-time samples (ms) of `fn` by benchmark.js: its mean over back-to-back calls per sample, GC included.
 * At least 5 per round: a 1M-node call takes most of a second.
 */
async function wallSamples(name: string, fn: () => void): Promise<number[]> {
  const b = await measure(name, fn, false, 3, 5);
  return b.stats.sample.map((sec) => sec * 1e3);
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

/**
 * The sizes are measured in ROUNDS rounds, each size in turn, and every size's samples pooled: this host's speed drifts
 * by a third within minutes, and measuring 100k and 1M once each, a minute apart, put that drift straight into their
 * ratio. Only one graph is alive at a time (a 1M graph left in the heap would slow every collection of the 100k runs).
 */
const ROUNDS = 3;
const SIZES: [nodes: number, cpuReps: number][] = [[10_000, 20], [100_000, 6], [1_000_000, 3]];

interface SizeResult {
  nodes: number;
  activations: string;
  /** Wall-time samples (ms), one array per round. */
  fuse: number[][];
  all: number[][];
  fuseCpu: number;
  allCpu: number;
}

async function measureSize(n: number, cpuReps: number, round: number, into: SizeResult | undefined): Promise<SizeResult> {
  const g = chainGraph(n);
  const { report } = optimizeGraph(g, CTX); // warm-up and the counts for the table
  gc();
  const runFuse = (): void => { fuseActivationsPass.run(g, CTX); };
  const runAll = (): void => { optimizeGraph(g, CTX); };
  // CPU time in the first round only (it is a side column); wall time in every round
  const fuseCpu = round === 0 ? cpuMs(runFuse, cpuReps) : into!.fuseCpu;
  const fuse = await wallSamples(`fuse ${n}`, runFuse);
  gc();
  const allCpu = round === 0 ? cpuMs(runAll, cpuReps) : into!.allCpu;
  const all = await wallSamples(`optimize ${n}`, runAll);
  gc();
  return {
    nodes: g.nodes.length, activations: `${report.activations.before}->${report.activations.after}`,
    fuse: [...(into?.fuse ?? []), fuse], all: [...(into?.all ?? []), all], fuseCpu, allCpu,
  };
}

export async function runFuseBench(): Promise<void> {
  const results = new Map<number, SizeResult>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [n, cpuReps] of SIZES) results.set(n, await measureSize(n, cpuReps, round, results.get(n)));
  }
  const rows: string[][] = [[
    'nodes', 'activations before->after', 'fuse wall ms', 'fuse cpu ms', 'optimize wall ms', 'optimize cpu ms', 'samples', 'rme %',
  ]];
  for (const r of results.values()) {
    const fuse = r.fuse.flat(), all = r.all.flat();
    rows.push([String(r.nodes), r.activations, mean(fuse).toFixed(1), r.fuseCpu.toFixed(1), mean(all).toFixed(1), r.allCpu.toFixed(1),
      `${fuse.length}/${all.length}`, `${rme(fuse).toFixed(1)}/${rme(all).toFixed(1)}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
  const big = results.get(1_000_000)!, mid = results.get(100_000)!;
  const ratio = (a: number, b: number): string => (a / b).toFixed(2);
  const fuse = [big.fuse.flat(), mid.fuse.flat()], all = [big.all.flat(), mid.all.flat()];
  console.log(`1M/100k ratio of the pooled means (wall): fuse-activations ${ratio(mean(fuse[0]!), mean(fuse[1]!))}, ` +
    `optimizeGraph ${ratio(mean(all[0]!), mean(all[1]!))} (goal <= 12); cpu: ${ratio(big.fuseCpu, mid.fuseCpu)}, ${ratio(big.allCpu, mid.allCpu)}`);
  const byRound = big.fuse.map((xs, i) => `${ratio(mean(xs), mean(mid.fuse[i]!))}/${ratio(mean(big.all[i]!), mean(mid.all[i]!))}`);
  console.log(`  each round's ratio (fuse-activations/optimizeGraph): ${byRound.join(', ')}`);
  console.log(`1M nodes (wall, cpu): fuse-activations ${(mean(fuse[0]!) / 1e3).toFixed(2)} s, ${(big.fuseCpu / 1e3).toFixed(2)} s; ` +
    `optimizeGraph ${(mean(all[0]!) / 1e3).toFixed(2)} s, ${(big.allCpu / 1e3).toFixed(2)} s (goal < 2 s)`);
  console.log(loadLine());
}

// Direct run: `node --expose-gc dist/bench/fuse.js` (bench/run.ts wires `npm run bench -- fuse`).
if (isMain(import.meta.url)) {
  runFuseBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
