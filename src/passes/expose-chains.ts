// Stage: graph passes, pass 3. Moves an activation across data movement or MaxPool when, and only when, it then merges.
// Contract: a moved activation computes the same values (monotone across max; parameters follow the element mapping).

import type { Node } from '../ir/graph.js';
import { opDef } from '../ir/optable.js';
import { numel } from '../ir/tensor.js';
import type { ChannelRange, NormalElem } from './algebra.js';
import { hull, uniformRange } from './algebra.js';
import { elementMap } from './element-map.js';
import type { ChoiceResult, Composite } from './kernel-choice.js';
import { chooseKernel, kernelRank } from './kernel-choice.js';
import type { ActForm } from './params.js';
import {
  actForm, applyForm, compactForm, compositeShape, emitChoice, expandForm, fixes, isMonotoneForm, isPiecewiseLinear, startComposite,
} from './params.js';
import { bump, canHandOver, handOver, origins, report } from './rewrite.js';
import type { Pass, PassContext, PassStats } from './types.js';
import { RangeAnalysis } from './value-range.js';
import { Work } from './work.js';

const MAX_SWEEPS = 3;

/** A value-preserving op with one runtime input and one output: something an elementwise function can cross. */
function crossable(work: Work, m: Node): number {
  const d = opDef(m.op);
  if (!d?.valuePreserving || (d.category !== 'movement' && d.category !== 'pool') || m.outputs.length !== 1) return -1;
  let pos = -1;
  for (let k = 0; k < m.inputs.length; k++) {
    if (!m.inputs[k] || work.initializer(m.inputs[k]!)) continue;
    if (pos >= 0) return -1;
    pos = k;
  }
  return pos;
}

interface Site {
  a: { slot: number; node: Node; form: ActForm };
  b: { slot: number; node: Node; form: ActForm };
  /** Movement/pool nodes from A to B with the position of their runtime input. */
  path: { slot: number; node: Node; pos: number }[];
}

function formOf(work: Work, n: Node): ActForm | null {
  const info = n.inputs[0] ? work.info(work.resolve(n.inputs[0])) : undefined;
  return info ? actForm(n, (name) => work.initializer(name), info.shape.length) : null;
}

/** Walks back from activation B through single-reader crossable nodes to an activation A whose only reader is the path. */
function siteAt(work: Work, slot: number): Site | null {
  const bn = work.slots[slot];
  if (!bn || !isPiecewiseLinear(bn.op) || bn.outputs.length !== 1 || !bn.inputs[0]) return null;
  // walk first (cheap checks); forms are read only for a real candidate
  const path: Site['path'] = [];
  let v = work.resolve(bn.inputs[0]);
  for (let reader = slot; ;) {
    const pslot = work.slotOf(v, reader);
    const p = pslot < 0 ? undefined : work.slots[pslot];
    if (!p || work.neededElsewhere(v, reader)) return null;
    if (isPiecewiseLinear(p.op)) {
      if (!path.length || p.outputs.length !== 1) return null;
      const af = formOf(work, p), bf = formOf(work, bn);
      return af && bf ? { a: { slot: pslot, node: p, form: af }, b: { slot, node: bn, form: bf }, path } : null;
    }
    const pos = crossable(work, p);
    if (pos < 0) return null;
    path.unshift({ slot: pslot, node: p, pos });
    v = work.resolve(p.inputs[pos]!);
    reader = pslot;
  }
}

/** The form after crossing `m` forward (down) or backward (up), or a reason it cannot cross. */
function cross(work: Work, m: Node, f: ActForm, dir: 'down' | 'up'): ActForm | string {
  const d = opDef(m.op)!;
  if (d.category === 'pool') {
    // max(f(x1), f(x2)) = f(max(x1, x2)) needs f non-decreasing and the same f across the pooled (spatial) axes
    if (!isMonotoneForm(f)) return `${f.op} has a negative slope and may not cross ${m.op}`;
    if (f.shape.slice(2).some((s) => s !== 1)) return `${f.op}'s parameters vary across the axes ${m.op} pools`;
    return f;
  }
  const map = elementMap(m, work, 0);
  const inShape = work.info(work.resolve(m.inputs[crossable(work, m)]!))?.shape;
  if (!map || !inShape || map.inputs.length !== 1) return `the element mapping of ${m.op} is unknown`;
  if (dir === 'down') {
    const src = expandForm({ ...f, shape: alignTo(f.shape, inShape.length) }, inShape);
    const out: NormalElem[] = new Array(map.src.length);
    for (let j = 0; j < out.length; j++) {
      const k = map.src[j]!;
      if (k >= 0) out[j] = src[k]!;
      else if (src.every((e) => fixes(e, map.constant[j]!))) out[j] = src[0]!;
      else return `${f.op} changes the constant ${map.constant[j]} that ${m.op} inserts`;
    }
    return compactForm(f.op, out, map.outShape);
  }
  const dst = expandForm({ ...f, shape: alignTo(f.shape, map.outShape.length) }, map.outShape);
  const back: (NormalElem | undefined)[] = new Array(numel(inShape));
  for (let j = 0; j < dst.length; j++) {
    const k = map.src[j]!;
    if (k < 0) {
      if (!fixes(dst[j]!, map.constant[j]!)) return `${f.op} would no longer reach the constant ${map.constant[j]} of ${m.op}`;
      continue;
    }
    const prev = back[k];
    if (prev && (prev.a !== dst[j]!.a || prev.lo !== dst[j]!.lo || prev.hi !== dst[j]!.hi)) return `${m.op} repeats an element under different parameters`;
    back[k] = dst[j];
  }
  let fill = back.find((e) => e !== undefined) ?? dst[0]!;
  for (let i = 0; i < back.length; i++) fill = back[i] ??= fill; // unread elements: any parameters do
  return compactForm(f.op, back as NormalElem[], inShape);
}

function alignTo(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(Math.max(0, rank - shape.length)).fill(1), ...shape.slice(Math.max(0, shape.length - rank))];
}

interface Move {
  dir: 'down' | 'up';
  composite: Composite;
  result: ChoiceResult & { ok: true };
}

function compose(work: Work, forms: ActForm[], input: string, dom: ChannelRange): Composite {
  const shape = work.info(input)!.shape;
  const c = startComposite(compositeShape(forms, shape, dom), dom);
  for (const f of forms) applyForm(c, f);
  return c;
}

/** The first direction (cheaper side first) in which the pair crosses the path and merges into an allowed kernel. */
function planMove(work: Work, ranges: RangeAnalysis, site: Site, kernels: readonly string[], strict: boolean): Move | string {
  const x = work.resolve(site.a.node.inputs[0]!);
  const t = work.resolve(site.b.node.inputs[0]!);
  const downFirst = numel(work.info(t)!.shape) <= numel(work.info(x)!.shape);
  let why = '';
  for (const dir of downFirst ? (['down', 'up'] as const) : (['up', 'down'] as const)) {
    let f: ActForm | string = dir === 'down' ? site.a.form : site.b.form;
    const steps = dir === 'down' ? site.path : [...site.path].reverse();
    const own = dir === 'down' ? site.a.form : site.b.form;
    for (const st of steps) if (typeof f !== 'string') f = cross(work, st.node, f, dir);
    // parameters follow their elements exactly, but a slope table that grows (a channel axis flattened away) is a cost
    if (typeof f !== 'string' && f.elems.length > own.elems.length) f = `${own.op}'s parameters would grow from ${own.elems.length} to ${f.elems.length}`;
    if (typeof f === 'string') {
      why = f;
      continue;
    }
    let c: Composite;
    if (dir === 'up') c = compose(work, [site.a.form, f], x, ranges.rangeOf(x));
    else c = compose(work, [f, site.b.form], t, downDomain(work, ranges, site, x));
    const r = chooseKernel(c, kernels, { strict });
    const worst = Math.max(kernelRank(site.a.node.op, kernels), kernelRank(site.b.node.op, kernels));
    if (r.ok && kernelRank(r.choice.op, kernels) <= worst) return { dir, composite: c, result: r };
    why = r.ok ? `the merged ${r.choice.op} would cost more` : r.reason;
  }
  return why;
}

/** After a downward move the merged node reads the path applied to A's input: its hull plus any inserted constants. */
function downDomain(work: Work, ranges: RangeAnalysis, site: Site, x: string): ChannelRange {
  const h = hull(ranges.rangeOf(x));
  let lo = h.lo, hi = h.hi;
  for (const st of site.path) {
    if (opDef(st.node.op)!.category === 'pool') continue;
    const m = elementMap(st.node, work, 0);
    if (!m) return uniformRange(-Infinity, Infinity);
    for (let j = 0; j < m.src.length; j++) if (m.src[j]! < 0) {
      lo = Math.min(lo, m.constant[j]!);
      hi = Math.max(hi, m.constant[j]!);
    }
  }
  return uniformRange(lo, hi);
}

/** Rewires the graph for a planned move; returns the merged node's op type (or 'removed'). */
function applyMove(work: Work, ranges: RangeAnalysis, site: Site, mv: Move): string {
  const { a, b, path } = site;
  const x = work.resolve(a.node.inputs[0]!);
  const ch = mv.result.choice;
  const origin = origins([a.node, b.node]);
  const fused = (name: string, input: string, output: string): Node | null => {
    const { node, init } = emitChoice(ch, mv.composite.shape, { name, input, output, origin, slopeName: work.freshValueName(`${name}_slope`) });
    if (init) work.addInitializer(node!.inputs[1]!, init);
    return node;
  };
  for (const st of path) ranges.forget(st.node.outputs[0]!);
  if (mv.dir === 'down') {
    // A disappears; the path reads A's input; B becomes the merged node
    work.remove(a.slot);
    const m0 = path[0]!;
    work.replace(m0.slot, { ...m0.node, inputs: m0.node.inputs.map((v, k) => (k === m0.pos ? x : v)) });
    work.drop(a.node.outputs[0]!, a.slot);
    const t = work.resolve(b.node.inputs[0]!), y = b.node.outputs[0]!;
    work.remove(b.slot);
    const node = fused(b.node.name, t, y);
    if (node) work.place(b.slot, node);
    else handOver(work, t, y);
    return node ? node.op : 'removed';
  }
  // up: A becomes the merged node; the last path node takes over B's output name
  ranges.forget(a.node.outputs[0]!);
  work.remove(a.slot);
  const node = fused(a.node.name, x, a.node.outputs[0]!);
  if (node) work.place(a.slot, node);
  else handOver(work, x, a.node.outputs[0]!);
  const last = path[path.length - 1]!;
  const t = b.node.inputs[0]!, y = b.node.outputs[0]!;
  work.remove(b.slot);
  work.replace(last.slot, { ...work.slots[last.slot]!, outputs: [y] });
  work.drop(t, last.slot);
  return node ? node.op : 'removed';
}

export function applyExposeChains(work: Work, ctx: PassContext): PassStats {
  const stats: PassStats = { rules: {} };
  const kernels = ctx.target.activationKernels;
  const ranges = new RangeAnalysis(work);
  for (let sweep = 0, changed = true; changed && sweep < MAX_SWEEPS; sweep++) {
    changed = false;
    for (let s = 0; s < work.slots.length; s++) {
      const site = siteAt(work, s);
      if (!site) continue;
      const mv = planMove(work, ranges, site, kernels, ctx.strictFloat === true);
      if (typeof mv === 'string') continue; // moving would not let the pair merge: nothing moves
      if (mv.result.choice.op === 'removed' && mv.dir === 'down' && !canHandOver(work, work.resolve(site.b.node.inputs[0]!), site.b.node.outputs[0]!)) continue;
      const result = applyMove(work, ranges, site, mv);
      for (const st of site.path) bump(stats, `move-across-${st.node.op}`);
      bump(stats, 'merge-across');
      report(stats, { nodes: origins([site.a.node, site.b.node]), result });
      changed = true;
    }
  }
  work.flush();
  return stats;
}

export const exposeChainsPass: Pass = {
  name: 'expose-chains',
  description: 'move an activation across MaxPool (non-decreasing only) or data movement when that lets it merge',
  apply: applyExposeChains,
  run: (g, ctx) => {
    const work = new Work(g);
    const stats = applyExposeChains(work, ctx);
    return { graph: work.finish(), stats };
  },
};
