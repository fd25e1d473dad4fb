// Stage: graph passes, pass 4. Removes an activation that is the identity on the value range of its input.
// Contract: decided from the propagated range and the op's normal form (or identity region), never from op-pair lists.

import type { Node } from '../ir/graph.js';
import { opDef } from '../ir/optable.js';
import { attrOf } from '../ir/ops/types.js';
import type { ChannelRange } from './algebra.js';
import { UNKNOWN_RANGE, hull } from './algebra.js';
import { chooseKernel } from './kernel-choice.js';
import { FormCache, applyForm, compositeShape, startComposite } from './params.js';
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

/**
 * Whether a node computes its input unchanged on every value the input can hold. The answer depends only on the
 * node's form, its data shape and the range, so it is memoised (ranges are shared objects; forms carry ids).
 */
export class IdentityOnRange {
  private readonly forms: FormCache;
  private readonly memo = new WeakMap<ChannelRange, Map<string, boolean>>();

  constructor(private readonly work: Work) {
    this.forms = new FormCache((name) => work.initializer(name));
  }

  test(n: Node, dom: ChannelRange): boolean {
    const shape = this.work.info(n.inputs[0]!)?.shape;
    if (!shape) return false;
    const form = this.forms.get(n, shape.length);
    if (!form) return identityWhere(n, dom);
    const key = `${form.id}|${shape.join('x')}`;
    let byRange = this.memo.get(dom);
    if (!byRange) this.memo.set(dom, (byRange = new Map()));
    let yes = byRange.get(key);
    if (yes === undefined) {
      const c = startComposite(compositeShape([form], shape, dom), dom);
      applyForm(c, form);
      const r = chooseKernel(c, []);
      byRange.set(key, (yes = r.ok && r.choice.op === 'removed'));
    }
    return yes;
  }
}

function identityWhere(n: Node, dom: ChannelRange): boolean {
  const where = IDENTITY_WHERE[n.op];
  return where !== undefined && where(n)(hull(dom).lo);
}


export function applyRemoveRangeIdentity(work: Work, _ctx: PassContext): PassStats {
  const stats: PassStats = { rules: {} };
  const ranges = new RangeAnalysis(work);
  const identity = new IdentityOnRange(work);
  // decide first: ranges are read from the graph as it was (removals keep every value, so they stay true)
  const doomed: number[] = [];
  for (let s = 0; s < work.slots.length; s++) {
    const n = work.slots[s];
    if (!n || !opDef(n.op)?.activation || !n.inputs[0] || n.outputs.length !== 1) continue;
    const dom = ranges.rangeOf(work.resolve(n.inputs[0]), s);
    // nothing to learn from an unbounded range (an activation that is the identity everywhere is fusion's business)
    if (dom === UNKNOWN_RANGE) continue;
    if (identity.test(n, dom)) doomed.push(s);
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
