// Stage: frontend (ONNX). Canonicalisation rules for data-movement ops: static shape/axes/split/slice/pad inputs
// or attributes of every opset become resolved, non-negative attributes (docs/ir.md).
// Contract: the emitted attributes are fully resolved against the static input shape (no 0/-1, no negative axes).

import type { Node } from '../../ir/graph.js';
import { numel, toNumbers } from '../../ir/tensor.js';
import type { ImportContext } from './context.js';
import { exactInt, rawFloat, rawInt, rawInts, rawString } from './context.js';
import { irNode, type RawNode } from './rawgraph.js';

type Rule = (n: RawNode, cx: ImportContext) => void;

function mk(n: RawNode, op: string, outputs: string[], attrs: Node['attrs']): Node {
  return irNode(n, op, [n.inputs[0]!], outputs, attrs);
}

function shapeOf(n: RawNode, cx: ImportContext): number[] {
  return cx.info(n.inputs[0] ?? '', n.name).shape;
}

/** Ints from the attribute (older opsets) or from static input `i` (newer opsets). */
function intsFrom(n: RawNode, cx: ImportContext, attr: string, input: number, inputSince: number, what = attr): number[] | undefined {
  if (cx.opset < inputSince) return rawInts(n, attr);
  const t = cx.staticInput(n, input, what);
  if (!t) return undefined;
  if (t.dtype !== 'int64' && t.dtype !== 'int32') cx.fail('E_ATTR', `${n.op} ${what} must be an int64 tensor, got ${t.dtype}`, n.name);
  return toNumbers(t).map((v) => exactInt(n, what, v));
}

function normAxis(n: RawNode, cx: ImportContext, a: number, rank: number): number {
  if (!Number.isInteger(a) || a < -rank || a >= rank) cx.fail('E_ATTR', `${n.op} axis ${a} is out of range for rank ${rank}`, n.name);
  return a < 0 ? a + rank : a;
}

function normAxes(n: RawNode, cx: ImportContext, axes: number[], rank: number): number[] {
  const out = axes.map((a) => normAxis(n, cx, a, rank)).sort((p, q) => p - q);
  if (out.some((a, i) => i > 0 && out[i - 1] === a)) cx.fail('E_ATTR', `${n.op} axes [${axes.join(',')}] repeat an axis`, n.name);
  return out;
}

/** Reshape: 0 copies the input dim (unless allowzero), -1 is inferred; the result must keep the element count. */
const reshape = (n: RawNode, cx: ImportContext): void => {
  const x = shapeOf(n, cx);
  const spec = intsFrom(n, cx, 'shape', 1, 5);
  if (!spec) cx.fail('E_ATTR', 'Reshape needs a shape', n.name);
  const allowZero = rawInt(n, 'allowzero', 0) !== 0;
  const shape = spec.map((d, i) => (d === 0 && !allowZero ? x[i] ?? cx.fail('E_ATTR', `Reshape shape [${spec.join(',')}] copies missing dim ${i}`, n.name) : d));
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => d < -1 || d === 0)) cx.fail('E_ATTR', `Reshape shape [${spec.join(',')}] is invalid for input [${x.join(',')}]`, n.name);
  const total = numel(x);
  if (unknown === 1) {
    const known = numel(shape.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) cx.fail('E_ATTR', `Reshape shape [${spec.join(',')}] does not fit ${total} elements`, n.name);
    shape[shape.indexOf(-1)] = total / known;
  }
  if (numel(shape) !== total) cx.fail('E_GRAPH', `Reshape from [${x.join(',')}] to [${shape.join(',')}] changes the element count`, n.name);
  cx.emit(mk(n, 'Reshape', n.outputs, { shape }));
};

const flatten = (n: RawNode, cx: ImportContext): void => {
  const r = shapeOf(n, cx).length;
  const axis = rawInt(n, 'axis', 1);
  if (axis < -r || axis > r) cx.fail('E_ATTR', `Flatten axis ${axis} is out of range for rank ${r}`, n.name);
  cx.emit(mk(n, 'Flatten', n.outputs, { axis: axis < 0 ? axis + r : axis }));
};

const transpose = (n: RawNode, cx: ImportContext): void => {
  const r = shapeOf(n, cx).length;
  const perm = rawInts(n, 'perm') ?? [...Array(r).keys()].reverse();
  cx.emit(mk(n, 'Transpose', n.outputs, { perm }));
};

const squeeze = (n: RawNode, cx: ImportContext): void => {
  const x = shapeOf(n, cx);
  const given = intsFrom(n, cx, 'axes', 1, 13);
  const axes = given ? normAxes(n, cx, given, x.length) : x.flatMap((d, i) => (d === 1 ? [i] : []));
  cx.emit(mk(n, 'Squeeze', n.outputs, { axes }));
};

const unsqueeze = (n: RawNode, cx: ImportContext): void => {
  const x = shapeOf(n, cx);
  const given = intsFrom(n, cx, 'axes', 1, 13);
  if (!given) cx.fail('E_ATTR', 'Unsqueeze needs axes', n.name);
  cx.emit(mk(n, 'Unsqueeze', n.outputs, { axes: normAxes(n, cx, given, x.length + given.length) }));
};

const concat = (n: RawNode, cx: ImportContext): void => {
  const r = shapeOf(n, cx).length;
  const given = rawInt(n, 'axis', cx.opset < 4 ? 1 : Number.NaN);
  if (Number.isNaN(given)) cx.fail('E_ATTR', 'Concat needs an axis attribute', n.name);
  const axis = normAxis(n, cx, given, r);
  cx.emit(irNode(n, 'Concat', n.inputs, n.outputs, { axis }));
};

/** Split sizes: given (attribute before 13, input from 13), or equal parts (Split-18 num_outputs: last may be smaller). */
const split = (n: RawNode, cx: ImportContext): void => {
  const x = shapeOf(n, cx);
  const axis = normAxis(n, cx, rawInt(n, 'axis', 0), x.length);
  const d = x[axis]!;
  const outs = n.outputs.length;
  let sizes = cx.opset < 13 ? rawInts(n, 'split') ?? (n.inputs[1] ? toNumbers(cx.staticInput(n, 1, 'split')!) : undefined) : intsFrom(n, cx, 'split', 1, 13);
  if (!sizes) {
    const parts = rawInt(n, 'num_outputs', outs);
    const size = Math.ceil(d / parts);
    if (!n.attrs.has('num_outputs') && d % parts !== 0) cx.fail('E_ATTR', `Split of ${d} into ${parts} equal parts is not exact`, n.name);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(size, d - i * size));
  }
  if (sizes.length !== outs || sizes.reduce((s, v) => s + v, 0) !== d || sizes.some((v) => v < 1)) {
    cx.fail('E_ATTR', `Split sizes [${sizes.join(',')}] do not partition axis ${axis} of size ${d} into ${outs} outputs`, n.name);
  }
  cx.emit(irNode(n, 'Split', [n.inputs[0]!], n.outputs, { axis, split: sizes }));
};

/** Slice: starts/ends clamped per ONNX (INT64_MAX/MIN included); a negative step may end at -1 ("before 0"). */
const slice = (n: RawNode, cx: ImportContext): void => {
  const x = shapeOf(n, cx);
  const starts = intsFrom(n, cx, 'starts', 1, 10);
  const ends = intsFrom(n, cx, 'ends', 2, 10);
  if (!starts || !ends || starts.length !== ends.length) cx.fail('E_ATTR', 'Slice needs starts and ends of equal length', n.name);
  const rawAxes = intsFrom(n, cx, 'axes', 3, 10) ?? [...starts.keys()];
  const steps = (cx.opset >= 10 ? intsFrom(n, cx, 'steps', 4, 10) : undefined) ?? starts.map(() => 1);
  if (rawAxes.length !== starts.length || steps.length !== starts.length) cx.fail('E_ATTR', 'Slice starts, ends, axes and steps differ in length', n.name);
  const axes = normAxes(n, cx, rawAxes, x.length);
  const order = rawAxes.map((a, i) => ({ a: a < 0 ? a + x.length : a, i })).sort((p, q) => p.a - q.a);
  const cs: number[] = [], ce: number[] = [];
  for (const { a, i } of order) {
    const d = x[a]!, st = steps[i]!;
    if (st === 0) cx.fail('E_ATTR', `Slice step on axis ${a} is 0`, n.name);
    let s = starts[i]!, e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    cs.push(st > 0 ? clamp(s, 0, d) : clamp(s, 0, d - 1));
    ce.push(st > 0 ? clamp(e, 0, d) : clamp(e, -1, d - 1));
  }
  cx.emit(mk(n, 'Slice', n.outputs, { starts: cs, ends: ce, axes, steps: order.map(({ i }) => steps[i]!) }));
};

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** Pad: `paddings` (opset 1), `pads`+`value` attributes (2..10), pads/constant_value/axes inputs (11+). */
const pad = (n: RawNode, cx: ImportContext): void => {
  const r = shapeOf(n, cx).length;
  const mode = rawString(n, 'mode', 'constant');
  let pads: number[] | undefined;
  let value = 0;
  if (cx.opset < 11) {
    pads = rawInts(n, cx.opset < 2 ? 'paddings' : 'pads');
    value = rawFloat(n, 'value', 0);
  } else {
    pads = intsFrom(n, cx, 'pads', 1, 11);
    const v = cx.staticInput(n, 2, 'constant_value');
    if (v) value = Number(v.data[0] ?? 0);
    const axesT = cx.staticInput(n, 3, 'axes');
    if (axesT && pads) {
      const axes = toNumbers(axesT).map((a) => normAxis(n, cx, a, r));
      const full = new Array<number>(2 * r).fill(0);
      axes.forEach((a, k) => { full[a] = pads![k]!; full[a + r] = pads![k + axes.length]!; });
      pads = full;
    }
  }
  if (!pads || pads.length !== 2 * r) cx.fail('E_ATTR', `Pad needs ${2 * r} pads for rank ${r}`, n.name);
  if (Number.isNaN(value)) cx.fail('E_ATTR', 'Pad value is NaN', n.name);
  // Pad's inference builds an index map per output axis: refuse absurd pads from the arithmetic first.
  const x = cx.info(n.inputs[0] ?? '', n.name);
  cx.checkShape(n.outputs[0] ?? '', x.shape.map((d, a) => d + pads![a]! + pads![a + r]!), x.dtype, n.name);
  cx.emit(mk(n, 'Pad', n.outputs, { pads, mode, value }));
};

export const MOVEMENT_RULES: Readonly<Record<string, Rule>> = {
  Reshape: reshape, Flatten: flatten, Transpose: transpose, Squeeze: squeeze, Unsqueeze: unsqueeze,
  Concat: concat, Split: split, Slice: slice, Pad: pad,
};
