// Stage: graph passes. The pass registry in pipeline order, and the runner that verifies after each pass on request.
// Contract: names and descriptions here feed --help and docs; a verification failure names the pass that broke the graph.

import { DspcError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { verifyGraph } from '../ir/verify.js';
import { exposeChainsPass } from './expose-chains.js';
import { fuseActivationsPass } from './fuse-activations.js';
import { recognizeActivationsPass } from './recognize-activations.js';
import { removeIdentityPass } from './remove-identity.js';
import { removeRangeIdentityPass } from './remove-range-identity.js';
import type { Pass, PassContext, PassStats } from './types.js';
import { Work } from './work.js';

/**
 * Pipeline order: identities go first so chains meet; activations written as elementwise ops become activation nodes
 * (so they join chains); fusion sees whole chains (and already uses value ranges, so a
 * chain is reported as one); moves merge across movement ops; range removal takes what is left (Elu on x >= 0, ...).
 */
export const PASSES: readonly Pass[] = [
  removeIdentityPass, recognizeActivationsPass, fuseActivationsPass, exposeChainsPass, removeRangeIdentityPass,
];

/** Passes whose rewrites can put two activations next to each other again: optimizeGraph re-runs after them. */
export const REEXPOSING: readonly string[] = ['expose-chains', 'remove-range-identity'];

function select(names: string[] | undefined): readonly Pass[] {
  if (!names) return PASSES;
  const known = new Map(PASSES.map((p) => [p.name, p]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new DspcError('E_USAGE', `unknown pass ${unknown.map((n) => `'${n}'`).join(', ')} (known: ${[...known.keys()].join(', ')})`);
  }
  // registry order, whatever order the names came in: passes assume their predecessors ran
  return PASSES.filter((p) => names.includes(p.name));
}

/**
 * Runs the passes (all, or those named) in pipeline order. With ctx.verify every pass runs on its own copy and the
 * graph is verified after it; otherwise the passes share one working copy (one index, one copy for the whole run).
 */
export function runPasses(g: Graph, ctx: PassContext, names?: string[]): { graph: Graph; stats: Record<string, PassStats> } {
  const passes = select(names);
  const stats: Record<string, PassStats> = {};
  if (ctx.verify) {
    let cur = g;
    for (const p of passes) {
      const r = p.run(cur, ctx);
      verifyGraph(r.graph, { stage: p.name });
      stats[p.name] = r.stats;
      cur = r.graph;
    }
    return { graph: cur, stats };
  }
  let work = new Work(g);
  for (const p of passes) {
    if (p.apply) {
      stats[p.name] = p.apply(work, ctx);
      continue;
    }
    const r = p.run(work.finish(), ctx);
    stats[p.name] = r.stats;
    work = new Work(r.graph);
  }
  return { graph: work.finish(), stats };
}
