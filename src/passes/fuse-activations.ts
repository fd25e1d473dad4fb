// Stage: graph passes, pass 2. Collapses every chain of directly connected activations into one existing kernel.
// Contract: exact (float32, see docs/fusion.md); only kernels of ctx.target are produced; kernel count and cost never grow.

import type { Chain, Segment } from './chains.js';
import { PlanCache, forEachChain } from './chains.js';
import type { ChoiceResult } from './kernel-choice.js';
import { chooseKernel, kernelRank } from './kernel-choice.js';
import { bump, canHandOver, origins, replaceSegment, report } from './rewrite.js';
import type { Pass, PassContext, PassStats } from './types.js';
import { RangeAnalysis } from './value-range.js';
import { Work } from './work.js';

/** Whether a planned segment is rewritten: a merge, a removal, or a lone node retyped to a cheaper kernel. */
function rewrites(chain: Chain, seg: Segment, kernels: readonly string[]): boolean {
  const r = seg.result;
  if (!r || !r.ok) return false;
  if (seg.to > seg.from || r.choice.op === 'removed') return true;
  const op = chain.members[seg.from]!.node.op;
  return r.choice.op !== op && kernelRank(r.choice.op, kernels) < kernelRank(op, kernels);
}

/** Removal needs the output name to move; where it cannot (a graph input feeds a graph output), pick a kernel instead. */
function applicable(work: Work, chain: Chain, seg: Segment, kernels: readonly string[], strict: boolean): ChoiceResult | null {
  const r = seg.result!;
  if (!r.ok || r.choice.op !== 'removed') return r;
  const input = work.resolve(chain.members[seg.from]!.node.inputs[0]!);
  const output = chain.members[seg.to]!.node.outputs[0]!;
  if (canHandOver(work, input, output)) return r;
  const alt = chooseKernel(seg.composite!, kernels, { removal: false, strict });
  return alt.ok ? alt : null;
}

function reasonFor(chain: Chain, segs: readonly Segment[], k: number): string | undefined {
  if (segs.length === 1) return segs[0]!.reason;
  const s = segs[k]!;
  if (s.reason) return s.reason;
  // a segment cut off by its neighbour's forced cut shares that reason
  const before = k > 0 ? chain.cut[segs[k - 1]!.to] : null;
  return before ?? segs[k + 1]?.reason ?? segs[k - 1]?.reason;
}

export function applyFuseActivations(work: Work, ctx: PassContext): PassStats {
  const stats: PassStats = { rules: {} };
  const kernels = ctx.target.activationKernels;
  const ranges = new RangeAnalysis(work);
  const strict = ctx.strictFloat === true;
  const cache = new PlanCache(work, ranges, { kernels, strict });
  // chains are disjoint: editing one leaves the others' fan-out facts and input ranges as they were (values keep
  // their meaning; a removed segment's output is renamed, and plans read names through work.resolve)
  forEachChain(work, (chain) => {
    const segs = cache.plan(chain);
    let changed = false;
    // exact-size arrays throughout: `[]` grown by push() reserves 16 slots, and this runs once per chain (300k times
    // on the 1M-node bench graph, where such arrays were a third of all allocation)
    const results = new Array<string>(segs.length);
    const sources = new Array<string[] | undefined>(segs.length);
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      let r = rewrites(chain, seg, kernels) ? applicable(work, chain, seg, kernels, strict) : null;
      // a lone node whose removal was traded for a kernel keeps its own unless the kernel is cheaper
      const own = chain.members[seg.from]!.node.op;
      if (r?.ok && seg.to === seg.from && r.choice.op !== 'removed' && !(kernelRank(r.choice.op, kernels) < kernelRank(own, kernels))) r = null;
      if (!r || !r.ok) {
        results[i] = chain.members.slice(seg.from, seg.to + 1).map((m) => m.node.op).join('+');
        continue;
      }
      const slots = new Array<number>(seg.to - seg.from + 1);
      for (let k = seg.from; k <= seg.to; k++) slots[k - seg.from] = chain.members[k]!.slot;
      const input = work.resolve(chain.members[seg.from]!.node.inputs[0]!);
      const done = replaceSegment(work, slots, input, r.choice, seg.composite!.shape);
      results[i] = done.op;
      sources[i] = done.origin; // shared with the node's origin: both are read-only
      // named after what happened (applicable() may have traded a removal for a kernel)
      const merged = seg.to > seg.from;
      bump(stats, r.choice.op === 'removed' ? (merged ? 'chain-identity' : 'range-identity') : merged ? 'fuse-chain' : 'retype-cheaper');
      changed = true;
    }
    if (chain.members.length < 2 && !changed) return;
    for (let k = 0; k < segs.length; k++) {
      const seg = segs[k]!;
      const nodes = sources[k] ?? origins(chain.members.slice(seg.from, seg.to + 1).map((m) => m.node));
      const reason = reasonFor(chain, segs, k);
      report(stats, reason ? { nodes, result: results[k]!, reason } : { nodes, result: results[k]! });
    }
  });
  work.flush();
  return stats;
}

export const fuseActivationsPass: Pass = {
  name: 'fuse-activations',
  description: 'collapse each chain of activations into the cheapest existing kernel that computes it exactly',
  apply: applyFuseActivations,
  run: (g, ctx) => {
    const work = new Work(g);
    const stats = applyFuseActivations(work, ctx);
    return { graph: work.finish(), stats };
  },
};
