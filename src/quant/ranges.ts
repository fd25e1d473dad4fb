// Stage: fixed point. Range selection: from calibration statistics to the interval each runtime value is quantized over.
// Contract: a pure function of (graph, calibration, dtype, method); values sharing one quantization (passthrough ops) get one range covering each member's choice.

import type { Graph } from '../ir/graph.js';
import { consumers } from '../ir/graph.js';
import type { Calibration, Range, Ranges } from './calibrate.js';
import { mseRange } from './histogram.js';
import { clampChainInterval } from './narrow.js';
import { QRANGE, sharesInputQuantization } from './qparams.js';
import type { ActDType } from './qparams.js';

/**
 * How a value's range is chosen from its calibration statistics:
 * - `minmax`: the observed min/max (narrowed to the clamp of the Relu/Clip chain reading it), as TFLite's converter;
 * - `mse`: the interval minimising the expected squared quantization error (rounding plus clipping) of the
 *   observed distribution after that clamp. Used for int8 only: with 65,536 levels rounding noise is so small that
 *   the optimum is the observed range anyway, and int16 programs keep exact min/max ranges.
 */
export type RangeMethod = 'minmax' | 'mse';

export const DEFAULT_RANGE_METHOD: RangeMethod = 'mse';

/** The quantization range of every runtime value of `g`. */
export function calibratedRanges(g: Graph, cal: Calibration, dtype: ActDType, method: RangeMethod = DEFAULT_RANGE_METHOD): Ranges {
  const cons = consumers(g);
  const { qmin, qmax } = QRANGE[dtype];
  const useMse = method === 'mse' && dtype === 'int8';
  const out: Ranges = new Map();
  for (const [v, r] of cal.ranges) {
    const iv = clampChainInterval(g, v, cons) ?? { lo: -Infinity, hi: Infinity };
    const clip = (x: number): number => Math.min(Math.max(x, iv.lo), iv.hi);
    const h = useMse ? cal.histograms.get(v) : undefined;
    out.set(v, h ? mseRange(h, qmax - qmin, iv) : { min: clip(r.min), max: clip(r.max) });
  }
  return unionPassthroughGroups(g, out);
}

/**
 * A passthrough op's output is quantized with its input's parameters (assignQParams), so the group root's range
 * must serve every member: e.g. a MaxPool output holds the larger values of its input, and clipping chosen for the
 * input alone would cut more of the pool's output. The root takes the union of the members' chosen ranges.
 */
function unionPassthroughGroups(g: Graph, ranges: Ranges): Ranges {
  const root = new Map<string, string>();
  const rootOf = (v: string): string => root.get(v) ?? v;
  const members = new Map<string, Range[]>();
  for (const n of g.nodes) {
    if (!sharesInputQuantization(n) || !n.inputs[0]) continue;
    const r0 = rootOf(n.inputs[0]);
    for (const o of n.outputs) {
      if (!o) continue;
      root.set(o, r0);
      const r = ranges.get(o);
      if (r) members.set(r0, [...(members.get(r0) ?? []), r]);
    }
  }
  const out: Ranges = new Map([...ranges].map(([v, r]) => [v, { ...r }]));
  for (const [r0, rs] of members) {
    const base = out.get(r0);
    if (!base) continue;
    for (const r of rs) {
      base.min = Math.min(base.min, r.min);
      base.max = Math.max(base.max, r.max);
    }
  }
  return out;
}
