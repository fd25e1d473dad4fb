// Stage: graph passes, pass 2. Removes an activation that is the identity on the value range of its input.
// Contract: decided from the propagated range and the op's normal form (or identity region), never from op-pair lists.

import type { Node } from '../ir/graph.js';
import { opDef } from '../ir/optable.js';
import { attrOf } from '../ir/ops/types.js';
import type { ChannelRange } from './algebra.js';
import { hull } from './algebra.js';
import { chooseKernel } from './kernel-choice.js';
import { actForm, applyForm, compositeShape, startComposite } from './params.js';
import { bump, bypass, report } from './rewrite.js';
import type { Pass, PassContext, PassStats } from './types.js';
import { RangeAnalysis } from './value-range.js';
import { Work } from './work.js';

/**
 * Activations outside the piecewise-linear family that are the identity on part of the line: the input range must
 * lie inside it. (Elu: x for x >= 0; ThresholdedRelu: x for x > alpha.)
 */
const IDENTITY_WHERE: Readonly<Record<string, (n: Node) => (lo: number) => boolean>> = {
  Elu: () => (lo) => lo >= 0,
  ThresholdedRelu: (n) => {
    const alpha = Number(attrOf(opDef('ThresholdedRelu')!, n, 'alpha'));
    return (lo) => lo > alpha;
  },
};

/** True when the node computes its input unchanged on every value the input can hold. */
export function identityOnRange(work: Work, n: Node, dom: ChannelRange): boolean {
  const shape = work.info(n.inputs[0]!)?.shape;
  if (!shape) return false;
  const form = actForm(n, (name) => work.initializer(name), shape.length);
  if (form) {
    const c = startComposite(compositeShape([form], shape, dom), dom);
    applyForm(c, form);
    const r = chooseKernel(c, []);
    return r.ok && r.choice.op === 'removed';
  }
  const where = IDENTITY_WHERE[n.op];
  return where !== undefined && where(n)(hull(dom).lo);
}

export function applyRemoveRangeIdentity(work: Work, _ctx: PassContext): PassStats {
  const stats: PassStats = { rules: {} };
  const ranges = new RangeAnalysis(work);
  // decide first: ranges are read from the graph as it was (removals keep every value, so they stay true)
  const doomed: number[] = [];
  for (let s = 0; s < work.slots.length; s++) {
    const n = work.slots[s];
    if (!n || !opDef(n.op)?.activation || !n.inputs[0] || n.outputs.length !== 1) continue;
    const dom = ranges.rangeOf(n.inputs[0]);
    if (identityOnRange(work, n, dom)) doomed.push(s);
  }
  for (const slot of doomed) {
    const n = work.slots[slot]!;
    if (!bypass(work, slot)) continue; // its output is a graph output fed straight by a graph input
    bump(stats, 'range-identity');
    report(stats, { nodes: [n.name], result: 'removed' });
  }
  work.flush();
  return stats;
}

export const removeRangeIdentityPass: Pass = {
  name: 'remove-range-identity',
  description: 'remove activations that are the identity on the value range of their input (Relu after Sigmoid, ...)',
  apply: applyRemoveRangeIdentity,
  run: (g, ctx) => {
    const work = new Work(g);
    const stats = applyRemoveRangeIdentity(work, ctx);
    return { graph: work.finish(), stats };
  },
};
