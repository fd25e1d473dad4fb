// Stage: IR core, op table. Data movement: Concat, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Split, Slice, Pad.
// Contract: every entry works on any dtype (int64 shape tensors too) and only rearranges values (Pad adds its constant).

import type { Node } from '../graph.js';
import type { Tensor, TensorData } from '../tensor.js';
import { allocData, numel, strides } from '../tensor.js';
import type { AttrSpec, OpDef } from './types.js';
import { always, attrInts, attrNum, attrStr, def, fmtShape, need, needT, normAxis, reshaped } from './util.js';

type AnyArr = TensorData;

/** Copies values of `src` into a new tensor of shape `out`, taking along each axis the source index maps[axis][o] (-1: fill). */
function remap(src: Tensor, out: number[], maps: Int32Array[], fill: number): Tensor {
  const data = allocData(src.dtype, numel(out));
  const sd = src.data as AnyArr;
  const st = strides(src.dims);
  const r = out.length;
  const fillV = data instanceof BigInt64Array ? BigInt(fill) : fill;
  let o = 0;
  const rec = (axis: number, off: number, valid: boolean): void => {
    const map = maps[axis]!;
    const s = st[axis]!;
    if (axis === r - 1) {
      for (let i = 0; i < map.length; i++) {
        const m = map[i]!;
        (data as unknown as { [k: number]: number | bigint })[o++] = valid && m >= 0 ? sd[off + m * s]! : fillV;
      }
      return;
    }
    for (let i = 0; i < map.length; i++) rec(axis + 1, off + Math.max(map[i]!, 0) * s, valid && map[i]! >= 0);
  };
  if (r === 0) (data as unknown as { [k: number]: number | bigint })[0] = sd[0]!;
  else if (numel(out) > 0) rec(0, 0, true);
  return { dtype: src.dtype, dims: out, data };
}

function identityMap(n: number): Int32Array {
  const m = new Int32Array(n);
  for (let i = 0; i < n; i++) m[i] = i;
  return m;
}

// ---- Reshape / Flatten / Squeeze / Unsqueeze: same data, new dims ----------------------------------------------

const reshapeAttrs: Record<string, AttrSpec> = { shape: { type: 'ints' } };
const reshape = def({
  type: 'Reshape', category: 'movement', summary: 'same data, new static shape', attrs: reshapeAttrs,
  monotone: always, valuePreserving: true, view: true,
  infer: (node, inputs) => {
    const x = need(inputs, 0, 'data input');
    const shape = attrInts(node, 'shape', reshapeAttrs);
    if (numel(shape) !== numel(x.shape)) throw new Error(`cannot reshape ${fmtShape(x.shape)} (${numel(x.shape)} elements) to ${fmtShape(shape)}`);
    return [{ dtype: x.dtype, shape: [...shape] }];
  },
  evaluate: (node, inputs) => [reshaped(needT(inputs, 0), attrInts(node, 'shape', reshapeAttrs))],
  check: (node) => {
    const s = node.attrs.shape;
    if (Array.isArray(s) && s.some((d) => !Number.isInteger(d) || d < 1)) return `shape ${fmtShape(s)} must hold resolved dims >= 1`;
    return null;
  },
});

const flattenAttrs: Record<string, AttrSpec> = { axis: { type: 'int', default: 1 } };
function flattenShape(node: Node, shape: readonly number[]): number[] {
  const r = shape.length;
  let a = attrNum(node, 'axis', flattenAttrs);
  if (a < 0) a += r;
  if (!Number.isInteger(a) || a < 0 || a > r) throw new Error(`axis ${node.attrs.axis} is out of range for rank ${r}`);
  return [numel(shape.slice(0, a)), numel(shape.slice(a))];
}
const flatten = def({
  type: 'Flatten', category: 'movement', summary: 'reshape to 2-D at axis', attrs: flattenAttrs,
  monotone: always, valuePreserving: true, view: true,
  infer: (node, inputs) => {
    const x = need(inputs, 0, 'data input');
    return [{ dtype: x.dtype, shape: flattenShape(node, x.shape) }];
  },
  evaluate: (node, inputs) => [reshaped(needT(inputs, 0), flattenShape(node, needT(inputs, 0).dims))],
});

const axesAttrs: Record<string, AttrSpec> = { axes: { type: 'ints' } };
function checkAxes(axes: number[], rank: number): void {
  for (let i = 0; i < axes.length; i++) {
    const a = axes[i]!;
    if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`axis ${a} is out of range for rank ${rank}`);
    if (i > 0 && a <= axes[i - 1]!) throw new Error(`axes ${fmtShape(axes)} must be sorted and unique`);
  }
}
function squeezeShape(node: Node, shape: readonly number[]): number[] {
  const axes = attrInts(node, 'axes', axesAttrs);
  checkAxes(axes, shape.length);
  for (const a of axes) if (shape[a] !== 1) throw new Error(`cannot squeeze axis ${a} of size ${shape[a]} in ${fmtShape(shape)}`);
  return shape.filter((_, i) => !axes.includes(i));
}
function unsqueezeShape(node: Node, shape: readonly number[]): number[] {
  const axes = attrInts(node, 'axes', axesAttrs);
  const r = shape.length + axes.length;
  checkAxes(axes, r);
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < r; i++) out.push(axes.includes(i) ? 1 : shape[j++]!);
  return out;
}
function reshaper(type: string, summary: string, f: (node: Node, shape: readonly number[]) => number[]): OpDef {
  return def({
    type, category: 'movement', summary, attrs: axesAttrs, monotone: always, valuePreserving: true, view: true,
    infer: (node, inputs) => {
      const x = need(inputs, 0, 'data input');
      return [{ dtype: x.dtype, shape: f(node, x.shape) }];
    },
    evaluate: (node, inputs) => [reshaped(needT(inputs, 0), f(node, needT(inputs, 0).dims))],
  });
}

// ---- Transpose ---------------------------------------------------------------------------------------------------

const transposeAttrs: Record<string, AttrSpec> = { perm: { type: 'ints' } };
function permOf(node: Node, rank: number): number[] {
  const perm = attrInts(node, 'perm', transposeAttrs);
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new Error(`perm ${fmtShape(perm)} is not a permutation of ${rank} axes`);
  }
  return perm;
}
function transposeEval(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const r = x.dims.length;
  const perm = permOf(node, r);
  const out = perm.map((p) => x.dims[p]!);
  const st = strides(x.dims);
  const ps = perm.map((p) => st[p]!); // input stride of each output axis
  const n = numel(out);
  const data = allocData(x.dtype, n) as unknown as { [k: number]: number | bigint };
  const sd = x.data;
  if (r === 0 || n === 0) return [{ dtype: x.dtype, dims: out, data: x.data }];
  const counter = new Array<number>(r).fill(0);
  const inner = out[r - 1]!, is = ps[r - 1]!;
  let base = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0; j < inner; j++) data[o + j] = sd[base + j * is]!;
    for (let a = r - 2; a >= 0; a--) {
      counter[a]!++;
      base += ps[a]!;
      if (counter[a]! < out[a]!) break;
      base -= ps[a]! * out[a]!;
      counter[a] = 0;
    }
  }
  return [{ dtype: x.dtype, dims: out, data: data as unknown as TensorData }];
}
const transpose = def({
  type: 'Transpose', category: 'movement', summary: 'permute axes', attrs: transposeAttrs,
  monotone: always, valuePreserving: true,
  infer: (node, inputs) => {
    const x = need(inputs, 0, 'data input');
    return [{ dtype: x.dtype, shape: permOf(node, x.shape.length).map((p) => x.shape[p]!) }];
  },
  evaluate: transposeEval,
});

// ---- Concat / Split ------------------------------------------------------------------------------------------------

const concatAttrs: Record<string, AttrSpec> = { axis: { type: 'int' } };
const concat = def({
  type: 'Concat', category: 'movement', summary: 'join along axis', attrs: concatAttrs,
  inputs: [{ name: 'inputs', role: 'data', variadic: true }],
  monotone: always, valuePreserving: true,
  infer: (node, inputs) => {
    const first = need(inputs, 0, 'input 0');
    const axis = normAxis(attrNum(node, 'axis', concatAttrs), first.shape.length);
    const out = [...first.shape];
    out[axis] = 0;
    inputs.forEach((_, i) => {
      const v = need(inputs, i);
      if (v.dtype !== first.dtype) throw new Error(`input ${i} has dtype ${v.dtype}, input 0 has ${first.dtype}`);
      if (v.shape.length !== out.length || v.shape.some((d, k) => k !== axis && d !== out[k])) {
        throw new Error(`input ${i} shape ${fmtShape(v.shape)} does not match ${fmtShape(first.shape)} off axis ${axis}`);
      }
      out[axis]! += v.shape[axis]!;
    });
    return [{ dtype: first.dtype, shape: out }];
  },
  evaluate: (node, inputs) => {
    const ts = inputs.map((_, i) => needT(inputs, i));
    const axis = normAxis(attrNum(node, 'axis', concatAttrs), ts[0]!.dims.length);
    const out = [...ts[0]!.dims];
    out[axis] = ts.reduce((s, t) => s + t.dims[axis]!, 0);
    const outer = numel(out.slice(0, axis));
    const data = allocData(ts[0]!.dtype, numel(out)) as unknown as { set(a: ArrayLike<unknown>, o: number): void };
    let off = 0;
    const rowOut = numel(out.slice(axis));
    for (const t of ts) {
      const row = numel(t.dims.slice(axis));
      const td = t.data as unknown as { subarray(a: number, b: number): ArrayLike<unknown> };
      for (let o = 0; o < outer; o++) data.set(td.subarray(o * row, (o + 1) * row), o * rowOut + off);
      off += row;
    }
    return [{ dtype: ts[0]!.dtype, dims: out, data: data as unknown as TensorData }];
  },
});

const splitAttrs: Record<string, AttrSpec> = { axis: { type: 'int', default: 0 }, split: { type: 'ints' } };
function splitParts(node: Node, shape: readonly number[]): { axis: number; parts: number[] } {
  const axis = normAxis(attrNum(node, 'axis', splitAttrs), shape.length);
  const parts = attrInts(node, 'split', splitAttrs);
  if (parts.length !== node.outputs.length) throw new Error(`split has ${parts.length} sizes for ${node.outputs.length} outputs`);
  if (parts.some((p) => !Number.isInteger(p) || p < 1)) throw new Error(`split sizes ${fmtShape(parts)} must be >= 1`);
  const sum = parts.reduce((a, b) => a + b, 0);
  if (sum !== shape[axis]) throw new Error(`split sizes ${fmtShape(parts)} sum to ${sum}, axis ${axis} has ${shape[axis]}`);
  return { axis, parts };
}
const split = def({
  type: 'Split', category: 'movement', summary: 'cut along axis into sized parts', attrs: splitAttrs,
  outputs: [{ name: 'outputs', role: 'data', variadic: true }],
  monotone: always, valuePreserving: true,
  infer: (node, inputs) => {
    const x = need(inputs, 0, 'data input');
    const { axis, parts } = splitParts(node, x.shape);
    return parts.map((p) => ({ dtype: x.dtype, shape: x.shape.map((d, k) => (k === axis ? p : d)) }));
  },
  evaluate: (node, inputs) => {
    const x = needT(inputs, 0);
    const { axis, parts } = splitParts(node, x.dims);
    let start = 0;
    return parts.map((p) => {
      const maps = x.dims.map((d, k) => (k === axis ? identityMap(p).map((i) => i + start) : identityMap(d)));
      start += p;
      return remap(x, maps.map((m) => m.length), maps, 0);
    });
  },
});

// ---- Slice / Pad -----------------------------------------------------------------------------------------------------

const sliceAttrs: Record<string, AttrSpec> = {
  starts: { type: 'ints' }, ends: { type: 'ints' }, axes: { type: 'ints' }, steps: { type: 'ints' },
};
/** Per-axis source index maps; starts/ends are already clamped (a negative step may end at -1, "before index 0"). */
function sliceMaps(node: Node, shape: readonly number[]): Int32Array[] {
  const starts = attrInts(node, 'starts', sliceAttrs), ends = attrInts(node, 'ends', sliceAttrs);
  const axes = attrInts(node, 'axes', sliceAttrs), steps = attrInts(node, 'steps', sliceAttrs);
  if (starts.length !== axes.length || ends.length !== axes.length || steps.length !== axes.length) {
    throw new Error('starts, ends, axes and steps must have equal lengths');
  }
  const maps = shape.map((d) => identityMap(d));
  axes.forEach((a, i) => {
    if (!Number.isInteger(a) || a < 0 || a >= shape.length) throw new Error(`axis ${a} is out of range for rank ${shape.length}`);
    const d = shape[a]!, s = starts[i]!, e = ends[i]!, st = steps[i]!;
    if (!Number.isInteger(st) || st === 0) throw new Error(`step ${st} on axis ${a} must be a non-zero integer`);
    const okStart = st > 0 ? s >= 0 && s <= d : s >= -1 && s <= d - 1;
    const okEnd = st > 0 ? e >= 0 && e <= d : e >= -1 && e <= d - 1;
    if (!okStart || !okEnd) throw new Error(`start ${s} / end ${e} on axis ${a} (size ${d}) are not clamped`);
    const count = Math.max(0, Math.ceil((e - s) / st));
    if (count === 0) throw new Error(`slice on axis ${a} is empty (start ${s}, end ${e}, step ${st})`);
    maps[a] = identityMap(count).map((k) => s + k * st);
  });
  return maps;
}
const slice = def({
  type: 'Slice', category: 'movement', summary: 'strided window of the input', attrs: sliceAttrs,
  monotone: always, valuePreserving: true,
  infer: (node, inputs) => {
    const x = need(inputs, 0, 'data input');
    return [{ dtype: x.dtype, shape: sliceMaps(node, x.shape).map((m) => m.length) }];
  },
  evaluate: (node, inputs) => {
    const x = needT(inputs, 0);
    const maps = sliceMaps(node, x.dims);
    return [remap(x, maps.map((m) => m.length), maps, 0)];
  },
});

const padAttrs: Record<string, AttrSpec> = {
  pads: { type: 'ints' }, mode: { type: 'string', default: 'constant' }, value: { type: 'float', default: 0 },
};
function padMaps(node: Node, shape: readonly number[]): Int32Array[] {
  const pads = attrInts(node, 'pads', padAttrs);
  const mode = attrStr(node, 'mode', padAttrs);
  const r = shape.length;
  if (pads.length !== 2 * r) throw new Error(`pads ${fmtShape(pads)} must have ${2 * r} entries for rank ${r}`);
  return shape.map((d, a) => {
    const b = pads[a]!, e = pads[a + r]!;
    const n = d + b + e;
    if (n < 1) throw new Error(`pads ${b},${e} leave axis ${a} (size ${d}) empty`);
    if (mode === 'reflect' && (b >= d || e >= d) && (b > 0 || e > 0)) throw new Error(`reflect pads ${b},${e} must be smaller than axis ${a} size ${d}`);
    const m = new Int32Array(n);
    for (let o = 0; o < n; o++) {
      let i = o - b;
      if (i < 0 || i >= d) {
        if (mode === 'edge') i = Math.min(Math.max(i, 0), d - 1);
        else if (mode === 'reflect') i = i < 0 ? -i : 2 * (d - 1) - i;
        else i = -1;
      }
      m[o] = i;
    }
    return m;
  });
}
const pad = def({
  type: 'Pad', category: 'movement', summary: 'pad with a constant, reflection or edge values', attrs: padAttrs,
  monotone: always, valuePreserving: true,
  infer: (node, inputs) => {
    const x = need(inputs, 0, 'data input');
    return [{ dtype: x.dtype, shape: padMaps(node, x.shape).map((m) => m.length) }];
  },
  evaluate: (node, inputs) => {
    const x = needT(inputs, 0);
    const maps = padMaps(node, x.dims);
    return [remap(x, maps.map((m) => m.length), maps, attrNum(node, 'value', padAttrs))];
  },
  check: (node) => {
    const m = node.attrs.mode;
    if (m !== undefined && m !== 'constant' && m !== 'reflect' && m !== 'edge') return `mode '${String(m)}' is not constant, reflect or edge`;
    return null;
  },
});

export const MOVEMENT_OPS: OpDef[] = [
  concat, reshape, flatten, transpose,
  reshaper('Squeeze', 'drop size-1 axes', squeezeShape),
  reshaper('Unsqueeze', 'insert size-1 axes', unsqueezeShape),
  split, slice, pad,
];
