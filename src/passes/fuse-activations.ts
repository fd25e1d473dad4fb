// Stage: graph passes, pass 3. Collapses every chain of directly connected activations into one existing kernel.
// Contract: exact (float32, see docs/fusion.md); only kernels of ctx.target are produced; kernel count and cost never grow.

import type { Chain, Segment } from './chains.js';
import { PlanCache, findChains } from './chains.js';
import type { ChoiceResult } from './kernel-choice.js';
import { chooseKernel, kernelRank } from './kernel-choice.js';
import { bump, canHandOver, origins, replaceSegment, report } from './rewrite.js';
import type { Pass, PassContext, PassStats } from './types.js';
import { RangeAnalysis } from './value-range.js';
import { Work } from './work.js';

type Edit = { kind: 'keep' } | { kind: 'replace'; rule: string };

/** What to do with a planned segment: merge it, retype a lone node to a cheaper/listed kernel, or leave it. */
function editFor(chain: Chain, seg: Segment, kernels: readonly string[]): Edit {
  const r = seg.result;
  if (!r || !r.ok) return { kind: 'keep' };
  const op = chain.members[seg.from]!.node.op;
  if (seg.to > seg.from) return { kind: 'replace', rule: r.choice.op === 'removed' ? 'chain-identity' : 'fuse-chain' };
  if (r.choice.op === op) return { kind: 'keep' };
  if (r.choice.op === 'removed') return { kind: 'replace', rule: 'range-identity' };
  if (kernelRank(r.choice.op, kernels) < kernelRank(op, kernels)) return { kind: 'replace', rule: 'retype-cheaper' };
  return { kind: 'keep' };
}

/** Removal needs the output name to move; where it cannot (a graph input feeds a graph output), pick a kernel instead. */
function applicable(work: Work, chain: Chain, seg: Segment, kernels: readonly string[]): ChoiceResult | null {
  const r = seg.result!;
  if (!r.ok || r.choice.op !== 'removed') return r;
  const input = work.resolve(chain.members[seg.from]!.node.inputs[0]!);
  const output = chain.members[seg.to]!.node.outputs[0]!;
  if (canHandOver(work, input, output)) return r;
  const alt = chooseKernel(seg.composite!, kernels, { removal: false });
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
  const cache = new PlanCache(work, ranges, kernels);
  // chains are disjoint: editing one leaves the others' fan-out facts and input ranges as they were (values keep
  // their meaning; a removed segment's output is renamed, and plans read names through work.resolve)
  for (const chain of findChains(work)) {
    const segs = cache.plan(chain);
    let changed = false;
    const results: string[] = [];
    const sources: (string[] | undefined)[] = [];
    for (const seg of segs) {
      const edit = editFor(chain, seg, kernels);
      const r = edit.kind === 'replace' ? applicable(work, chain, seg, kernels) : null;
      if (edit.kind === 'keep' || !r || !r.ok) {
        results.push(chain.members.slice(seg.from, seg.to + 1).map((m) => m.node.op).join('+'));
        sources.push(undefined);
        continue;
      }
      const slots = chain.members.slice(seg.from, seg.to + 1).map((m) => m.slot);
      const input = work.resolve(chain.members[seg.from]!.node.inputs[0]!);
      const done = replaceSegment(work, slots, input, r.choice, seg.composite!.shape);
      results.push(done.op);
      sources.push(done.origin); // shared with the node's origin: both are read-only
      bump(stats, r.choice.op === 'removed' && edit.rule === 'fuse-chain' ? 'chain-identity' : edit.rule);
      changed = true;
    }
    if (chain.members.length < 2 && !changed) continue;
    segs.forEach((seg, k) => {
      const nodes = sources[k] ?? origins(chain.members.slice(seg.from, seg.to + 1).map((m) => m.node));
      const reason = reasonFor(chain, segs, k);
      report(stats, reason ? { nodes, result: results[k]!, reason } : { nodes, result: results[k]! });
    });
  }
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
