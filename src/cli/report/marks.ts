// Stage: CLI presentation (reports). Which nodes of the before/after graphs to highlight, from the fusion report and node origins.
// Contract: chain i gets colour i in both pictures; folded epilogue activations are marked in the after graph.

import type { Graph } from '../../ir/graph.js';
import type { ChainReport } from '../../passes/types.js';
import type { NodeMark } from './graph-svg.js';

export interface Marks {
  before: Map<string, NodeMark>;
  after: Map<string, NodeMark>;
}

/**
 * Before: every member of a reported chain ('removed' when the chain vanished). After: every node whose origin
 * overlaps a chain ('fused', or 'rejected' when the quantized verdict kept the chain), and activations the backend
 * applies in a producer's epilogue ('folded').
 */
export function fusionMarks(after: Graph, chains: readonly ChainReport[], folded: ReadonlyMap<string, string> = new Map(),
  rejected: ReadonlyMap<string, string> = new Map()): Marks {
  const before = new Map<string, NodeMark>();
  const chainOf = new Map<string, number>();
  chains.forEach((ch, i) => {
    const note = `chain ${i + 1}: ${ch.nodes.join(' → ')} ⇒ ${ch.result}${ch.reason ? ` (${ch.reason})` : ''}`;
    for (const n of ch.nodes) {
      chainOf.set(n, i);
      before.set(n, { chain: i, role: ch.result === 'removed' ? 'removed' : 'member', note });
    }
  });
  const afterMarks = new Map<string, NodeMark>();
  for (const n of after.nodes) {
    const origin = n.origin ?? [n.name];
    const hit = origin.map((o) => chainOf.get(o)).find((c) => c !== undefined);
    const into = folded.get(n.name);
    if (hit !== undefined && (origin.length > 1 || origin[0] !== n.name || chains[hit]!.nodes.length > 1)) {
      const why = rejected.get(n.name);
      afterMarks.set(n.name, {
        chain: hit, role: why !== undefined ? 'rejected' : into ? 'folded' : 'fused',
        note: why !== undefined
          ? `merge of ${origin.join(' + ')} rejected by the quantized verdict (${why}); the program runs the chain`
          : `from ${origin.join(' + ')}${into ? `, applied in the epilogue of ${into}` : ''}`,
      });
    } else if (into) {
      afterMarks.set(n.name, { chain: -1, role: 'folded', note: `applied in the epilogue of ${into}` });
    }
  }
  return { before, after: afterMarks };
}
