// Stage: graph passes. The public face of the passes: optimizeGraph() and the report `dspc optimize --json` prints.
// Contract: pure (the input graph is not modified); the report counts are of the graphs before and after.

import type { Graph } from '../ir/graph.js';
import { isActivation } from '../ir/optable.js';
import { REEXPOSING, runPasses } from './registry.js';
import type { ChainReport, OptimizeReport, PassContext, PassTargetInfo, PatternReport } from './types.js';

export { PASSES, runPasses } from './registry.js';
export type { ChainReport, OptimizeReport, Pass, PassContext, PassStats, PassTargetInfo, PatternReport } from './types.js';

/** The default target's activation kernels (generic-dsp), cheapest first, for callers without a target file. */
export const defaultPassTargetInfo: PassTargetInfo = {
  name: 'generic-dsp',
  activationKernels: ['Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish'],
};

/** Rounds of the whole pass list at most (a second round is rare; a third has never been needed). */
const MAX_ROUNDS = 3;

function countActivations(g: Graph): number {
  let k = 0;
  // indexed: runs twice per call over every node, mostly before the optimizing compiler takes over, and a for-of
  // there allocates an iterator result per node
  for (let i = 0; i < g.nodes.length; i++) if (isActivation(g.nodes[i]!.op)) k++;
  return k;
}

/** Runs every graph pass and reports what changed: node and activation counts, chains and rule firings. */
export function optimizeGraph(g: Graph, ctx: PassContext): { graph: Graph; report: OptimizeReport } {
  const before = { nodes: g.nodes.length, activations: countActivations(g) };
  const reported: ChainReport[][] = [];
  const patterns: PatternReport[] = [];
  const rules: Record<string, number> = {};
  let graph = g;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const r = runPasses(graph, ctx);
    graph = r.graph;
    for (const s of Object.values(r.stats)) {
      if (s.chains) reported.push(s.chains); // joined once below: a 1M-node graph reports 300k chains
      if (s.patterns) for (const p of s.patterns) patterns.push(p);
      for (const [k, v] of Object.entries(s.rules)) rules[k] = (rules[k] ?? 0) + v;
    }
    // another round only when a late pass may have made two activations adjacent
    if (!REEXPOSING.some((p) => Object.keys(r.stats[p]?.rules ?? {}).length > 0)) break;
  }
  return {
    graph,
    report: {
      nodes: { before: before.nodes, after: graph.nodes.length },
      activations: { before: before.activations, after: countActivations(graph) },
      chains: reported.length === 1 ? reported[0]! : ([] as ChainReport[]).concat(...reported),
      patterns,
      rules,
    },
  };
}
