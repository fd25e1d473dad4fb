// Stage: graph passes, analysis. The value range of every tensor, per channel where that is useful, computed on demand.
// Contract: sound up to float32 rounding of the ends; facts come from op-table flags (activation, monotone, valuePreserving).

import type { Node } from '../ir/graph.js';
import { opDef } from '../ir/optable.js';
import type { Tensor } from '../ir/tensor.js';
import type { ChannelRange } from './algebra.js';
import { UNKNOWN_RANGE, isUnknown, uniformRange } from './algebra.js';
import { channelAt, elementMap, sourceOf } from './element-map.js';
import { actForm, applyForm, compositeRange, compositeShape, startComposite } from './params.js';
import type { Work } from './work.js';

/** Initializers up to this size get their exact min/max (bigger ones are weights: nobody asks). */
const MAX_SCANNED_INITIALIZER = 1 << 16;

/**
 * Lazily computed, memoised value ranges over a Work. Ranges describe values, so rewrites that keep every value
 * (fusion, removal of an identity) keep them valid; a pass that changes what a value holds calls forget().
 */
export class RangeAnalysis {
  private readonly memo = new Map<string, ChannelRange>();

  constructor(private readonly work: Work) {}

  forget(value: string): void {
    this.memo.delete(value);
  }

  /** `reader`: the slot of a node reading the value, so its producer is found next to it (see Work.slotOf). */
  rangeOf(value: string, reader?: number): ChannelRange {
    const hit = this.memo.size ? this.memo.get(value) : undefined;
    if (hit) return hit;
    if (!this.interesting(value, reader)) return this.leaf(value);
    // explicit stack: movement/activation chains can be as long as the graph
    const stack = [value];
    while (stack.length) {
      const v = stack[stack.length - 1]!;
      if (this.memo.has(v)) {
        stack.pop();
        continue;
      }
      const n = this.work.producer(v)!;
      const pending = this.rangeInputs(n).filter((i) => this.interesting(i) && !this.memo.has(i));
      if (pending.length) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      this.memo.set(v, this.compute(n, v));
    }
    return this.memo.get(value)!;
  }

  /** Values whose range depends on other values' ranges (their producer is an activation or value-preserving). */
  private interesting(value: string, reader?: number): boolean {
    const n = this.work.producer(value, reader);
    if (!n) return false;
    const d = opDef(n.op);
    return d !== undefined && (d.activation || d.valuePreserving);
  }

  private rangeInputs(n: Node): string[] {
    return n.inputs.filter((i) => i !== '' && !this.work.initializer(i));
  }

  /** Graph inputs and non-propagating ops: unknown; small initializers: their exact hull. */
  private leaf(value: string): ChannelRange {
    const t = this.work.initializer(value);
    if (t && t.data.length <= MAX_SCANNED_INITIALIZER && (t.dtype === 'float32' || t.dtype === 'float64')) {
      let lo = Infinity, hi = -Infinity;
      for (const x of t.data as Float32Array) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      if (!(lo <= hi)) return UNKNOWN_RANGE;
      const r = uniformRange(lo, hi);
      return Number.isFinite(lo) && Number.isFinite(hi) ? r : { ...r, infinite: true };
    }
    return UNKNOWN_RANGE;
  }

  private input(v: string): ChannelRange {
    return this.memo.get(v) ?? this.leaf(v);
  }

  private compute(n: Node, v: string): ChannelRange {
    const d = opDef(n.op)!;
    if (d.activation) return this.activation(n);
    return this.movement(n, n.outputs.indexOf(v));
  }

  private activation(n: Node): ChannelRange {
    const x = n.inputs[0]!;
    const shape = this.work.info(x)?.shape;
    if (!shape) return UNKNOWN_RANGE;
    const dom = this.input(x);
    const form = actForm(n, (name) => this.work.initializer(name), shape.length);
    if (form) {
      const c = startComposite(compositeShape([form], shape, dom), dom);
      applyForm(c, form);
      return compositeRange(c);
    }
    return monotoneImage(n, dom, (name) => this.work.initializer(name));
  }

  private movement(n: Node, out: number): ChannelRange {
    const ins = this.rangeInputs(n).map((i) => this.input(i));
    const unknown = ins.some((r) => r.infinite) ? { ...UNKNOWN_RANGE, infinite: true } : UNKNOWN_RANGE;
    if (ins.length === 0 || ins.some(isUnknown)) return unknown;
    const m = elementMap(n, this.work, out);
    if (!m) return unknown;
    const perChannel = m.outShape.length >= 2 && m.outShape[1]! > 1 && ins.some((r) => r.lo.length > 1);
    const nc = perChannel ? m.outShape[1]! : 1;
    const lo = new Float64Array(nc).fill(Infinity), hi = new Float64Array(nc).fill(-Infinity);
    const runtime = m.inputs.map((r) => ({ shape: r.shape, range: this.input(n.inputs[r.pos]!) }));
    let infinite = runtime.some((r) => r.range.infinite === true);
    for (let j = 0; j < m.src.length; j++) {
      const k = perChannel ? channelAt(m.outShape, j) : 0;
      let a: number, b: number;
      if (m.src[j]! < 0) {
        a = b = m.constant[j]!;
        if (!Number.isFinite(a)) infinite = true;
      } else {
        const s = sourceOf(m, m.src[j]!);
        const r = runtime[s.input]!;
        const c = r.range.lo.length > 1 ? channelAt(r.shape, s.index) : 0;
        a = r.range.lo[c]!;
        b = r.range.hi[c]!;
      }
      if (a < lo[k]!) lo[k] = a;
      if (b > hi[k]!) hi[k] = b;
    }
    return collapse(infinite ? { lo, hi, infinite } : { lo, hi });
  }
}

/** One interval when every channel has the same one. */
function collapse(r: ChannelRange): ChannelRange {
  for (let i = 1; i < r.lo.length; i++) if (r.lo[i] !== r.lo[0] || r.hi[i] !== r.hi[0]) return r;
  if (r.lo.length === 1) return r;
  const u = uniformRange(r.lo[0]!, r.hi[0]!);
  return r.infinite ? { ...u, infinite: true } : u;
}

/**
 * Image of a range under a monotone (non-decreasing) unary activation: its values at the ends, evaluated by the op
 * table itself (sigmoid(-inf) = 0, tanh(inf) = 1, ...). Non-monotone or parameterised-by-tensor ops: unknown.
 */
function monotoneImage(n: Node, dom: ChannelRange, param: (name: string) => Tensor | undefined): ChannelRange {
  const d = opDef(n.op)!;
  if (n.inputs.length !== 1) return UNKNOWN_RANGE;
  if (!d.monotone(n, n.inputs.map((i) => param(i)))) return UNKNOWN_RANGE;
  const k = dom.lo.length;
  const data = new Float32Array(2 * k);
  for (let i = 0; i < k; i++) {
    data[2 * i] = dom.lo[i]!;
    data[2 * i + 1] = dom.hi[i]!;
  }
  let out: Float32Array;
  try {
    out = d.evaluate(n, [{ dtype: 'float32', dims: [2 * k], data }])[0]!.data as Float32Array;
  } catch {
    return UNKNOWN_RANGE;
  }
  const lo = new Float64Array(k), hi = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const a = out[2 * i]!, b = out[2 * i + 1]!;
    lo[i] = Number.isNaN(a) ? -Infinity : a;
    hi[i] = Number.isNaN(b) ? Infinity : b;
  }
  return collapse(dom.infinite ? { lo, hi, infinite: true } : { lo, hi });
}
