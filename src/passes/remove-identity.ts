// Stage: graph passes, pass 1. Removes Identity and inference-mode Dropout so the activation chains they interrupt meet.
// Contract: graph outputs keep their names (the producer of the input is renamed); a Dropout whose mask is read stays.

import type { Node } from '../ir/graph.js';
import { bump, bypass } from './rewrite.js';
import type { Pass, PassContext, PassStats } from './types.js';
import { Work } from './work.js';

/** Value-passing ops this pass removes, by rule name. */
const PASS_THROUGH: Readonly<Record<string, string>> = { Identity: 'remove-identity', Dropout: 'remove-dropout' };

function removable(work: Work, n: Node): boolean {
  if (!(n.op in PASS_THROUGH) || n.inputs.length < 1 || !n.inputs[0]) return false;
  // a Dropout mask output that anyone reads (or exports) is not an identity
  for (let k = 1; k < n.outputs.length; k++) {
    const m = n.outputs[k]!;
    if (m && (work.uses(m) > 0 || work.isOutput(m))) return false;
  }
  return true;
}

export function applyRemoveIdentity(work: Work, _ctx: PassContext): PassStats {
  const stats: PassStats = { rules: {} };
  for (let s = 0; s < work.slots.length; s++) {
    const n = work.slots[s];
    if (!n || !removable(work, n)) continue;
    if (!bypass(work, s)) continue; // an input or output feeding a graph output directly keeps its Identity
    for (let k = 1; k < n.outputs.length; k++) if (n.outputs[k]) work.drop(n.outputs[k]!);
    bump(stats, PASS_THROUGH[n.op]!);
  }
  work.flush();
  return stats;
}

export const removeIdentityPass: Pass = {
  name: 'remove-identity',
  description: 'remove Identity and inference Dropout so the activation chains they split are found',
  apply: applyRemoveIdentity,
  run: (g, ctx) => {
    if (!g.nodes.some((n) => n.op in PASS_THROUGH)) return { graph: g, stats: { rules: {} } };
    const work = new Work(g);
    const stats = applyRemoveIdentity(work, ctx);
    return { graph: work.finish(), stats };
  },
};
