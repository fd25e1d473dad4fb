// Stage: graph passes. The contract every pass implements and the context the pipeline hands it.
// Contract: a pass is a pure function (graph, ctx) -> { graph, stats }; it never mutates its input graph.

import type { Graph } from '../ir/graph.js';
import type { Work } from './work.js';

/** What passes may know about the target: data only (passes never import targets/ or kernels/). */
export interface PassTargetInfo {
  name: string;
  /**
   * Activation kernels the device has, cheapest first (IR op type spelling: 'Relu', 'LeakyRelu',
   * 'PRelu', 'Clip', 'Sigmoid', 'Tanh', ...). Fusion never produces an activation op outside this list.
   */
  activationKernels: string[];
}

export interface PassContext {
  target: PassTargetInfo;
  /** Verify the graph after every pass (tests and --debug); the failure names the pass. */
  verify: boolean;
  /**
   * Float policy of merges (docs/fusion.md, "Exactness in float32"). true: a merge must reproduce the chain's float32
   * result (`--strict-float`). Default: the fused result is never further from the chain's real-arithmetic value than
   * the chain's own float32 result, so an overflow or underflow inside the chain no longer blocks a merge.
   */
  strictFloat?: boolean;
}

/** One fused or examined activation chain, as reported by `dspc optimize --json`. */
export interface ChainReport {
  nodes: string[];
  /** Resulting op type, or 'removed' when the chain became the identity. */
  result: string;
  /** Why the chain was not fully merged, when it was not. */
  reason?: string;
}

/** One activation recognised in elementwise ops (`recognize-activations`), as reported by `dspc optimize --json`. */
export interface PatternReport {
  /** The source nodes it replaced, in order (the last one's name and output are kept). */
  nodes: string[];
  /** The pattern, e.g. 'Max(x, a*x)' or 'x*Clip(x+3, 0, 6)/6'. */
  pattern: string;
  /** The activation op it became (before fusion, which may merge it further). */
  result: string;
}

export interface PassStats {
  /** Rule name -> number of times it fired. */
  rules: Record<string, number>;
  chains?: ChainReport[];
  patterns?: PatternReport[];
}

export interface PassResult {
  graph: Graph;
  stats: PassStats;
}

export interface Pass {
  name: string;
  /** One line; feeds `--help` and docs. */
  description: string;
  run: (graph: Graph, ctx: PassContext) => PassResult;
  /**
   * The same rewrite applied in place to a privately owned working copy (added by the fusion work): runPasses shares
   * one copy across passes when it does not verify between them, so a 1M-node graph is indexed and copied once.
   */
  apply?: (work: Work, ctx: PassContext) => PassStats;
}

/** What `dspc optimize --json` prints (and optimizeGraph returns). */
export interface OptimizeReport {
  nodes: { before: number; after: number };
  activations: { before: number; after: number };
  chains: ChainReport[];
  /** Activations recognised in elementwise ops, each with the nodes it replaced. */
  patterns: PatternReport[];
  rules: Record<string, number>;
}
