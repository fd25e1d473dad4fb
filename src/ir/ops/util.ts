// Stage: IR core. Shared helpers for op-table entries: attribute readers, shape checks, broadcasting, typed-array maps.
// Contract: pure functions; shape problems are thrown as plain Errors whose message the caller wraps with the node name.

import type { Node, ValueInfo } from '../graph.js';
import type { Tensor, TensorData } from '../tensor.js';
import { allocData, numel, strides } from '../tensor.js';
import type { AttrSpec, InferInput, OpDef, OutputType } from './types.js';

/** Attribute readers that fall back to the spec default; attrs are validated by the verifier before use. */
export function attrNum(node: Node, name: string, spec: Record<string, AttrSpec>): number {
  const v = node.attrs[name] ?? spec[name]?.default;
  if (typeof v !== 'number') throw new Error(`attribute '${name}' must be a number`);
  return v;
}

export function attrInts(node: Node, name: string, spec: Record<string, AttrSpec>): number[] {
  const v = node.attrs[name] ?? spec[name]?.default;
  if (!Array.isArray(v)) throw new Error(`attribute '${name}' must be a list of ints`);
  return v;
}

export function attrStr(node: Node, name: string, spec: Record<string, AttrSpec>): string {
  const v = node.attrs[name] ?? spec[name]?.default;
  if (typeof v !== 'string') throw new Error(`attribute '${name}' must be a string`);
  return v;
}

/** Input i's static info, or a clear error when a required input is missing. */
export function need(inputs: (InferInput | undefined)[], i: number, what = `input ${i}`): ValueInfo {
  const x = inputs[i];
  if (!x) throw new Error(`missing ${what}`);
  return x.info;
}

export function needT(inputs: (Tensor | undefined)[], i: number): Tensor {
  const x = inputs[i];
  if (!x) throw new Error(`missing input ${i}`);
  return x;
}

export function fmtShape(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

export function requireFloat(info: ValueInfo, what: string): void {
  if (info.dtype !== 'float32' && info.dtype !== 'float64') throw new Error(`${what} must be float, got ${info.dtype}`);
}

/**
 * ONNX binds an op's weight, bias and parameter inputs to the data input's type constraint T: a mismatch (an int64
 * bias on a float Conv) is rejected here rather than reaching evaluate, which would mix float and BigInt data.
 */
export function requireSameDtype(data: ValueInfo, other: ValueInfo | undefined, what: string): void {
  if (other && other.dtype !== data.dtype) {
    throw new Error(`${what} has element type ${other.dtype} but the data input is ${data.dtype}; they must match`);
  }
}

/** Numpy-style multidirectional broadcast of static shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True when `s` broadcasts to exactly `target` (unidirectional, as PRelu-7 and Gemm's C require). */
export function broadcastsTo(s: readonly number[], target: readonly number[]): boolean {
  if (s.length > target.length) return false;
  for (let i = 0; i < s.length; i++) {
    const d = s[s.length - 1 - i]!;
    if (d !== 1 && d !== target[target.length - 1 - i]) return false;
  }
  return true;
}

/**
 * For each output element (row-major over `out`), the flat index into a tensor of shape `s` broadcast to `out`.
 * Built once per evaluation; Int32Array keeps it compact even for 224x224 activations.
 */
export function broadcastIndex(s: readonly number[], out: readonly number[]): Int32Array {
  const n = numel(out);
  const idx = new Int32Array(n);
  const r = out.length;
  const st = strides(s);
  const bs = new Array<number>(r).fill(0);
  for (let i = 0; i < s.length; i++) {
    const oi = r - s.length + i;
    bs[oi] = s[i] === 1 ? 0 : st[i]!;
  }
  if (r === 0) return idx;
  const inner = out[r - 1]!;
  const innerStride = bs[r - 1]!;
  const counter = new Array<number>(r).fill(0);
  let base = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0; j < inner; j++) idx[o + j] = base + j * innerStride;
    // advance the odometer over all axes except the innermost
    for (let a = r - 2; a >= 0; a--) {
      counter[a]!++;
      base += bs[a]!;
      if (counter[a]! < out[a]!) break;
      base -= bs[a]! * out[a]!;
      counter[a] = 0;
    }
  }
  return idx;
}

export function isBig(d: TensorData): d is BigInt64Array {
  return d instanceof BigInt64Array;
}

/** Output of a unary pointwise op: same dtype and shape as X; rejects non-float unless the op allows it. */
export function sameAsInput0(allowInt = false) {
  return (_node: Node, inputs: (InferInput | undefined)[]): OutputType[] => {
    const x = need(inputs, 0, 'data input');
    if (!allowInt) requireFloat(x, 'data input');
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  };
}

/** Element-wise map producing a tensor of the same dtype/shape; int results are stored by the typed array (truncating). */
export function mapTensor(x: Tensor, f: (v: number, i: number) => number): Tensor {
  const n = x.data.length;
  if (isBig(x.data)) {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(f(Number(x.data[i]), i)));
    return { dtype: x.dtype, dims: [...x.dims], data: out };
  }
  const src = x.data as Exclude<TensorData, BigInt64Array>;
  const out = allocData(x.dtype, n) as Exclude<TensorData, BigInt64Array>;
  for (let i = 0; i < n; i++) out[i] = f(src[i]!, i);
  return { dtype: x.dtype, dims: [...x.dims], data: out };
}

export function zeroMacs(): number {
  return 0;
}

/** One MAC per output element (element-wise multiply-like ops). */
export function outputElems(_n: Node, _i: ValueInfo[], outputs: ValueInfo[]): number {
  return outputs[0] ? numel(outputs[0].shape) : 0;
}

export function always(): boolean {
  return true;
}

export function never(): boolean {
  return false;
}

/** Copy a tensor with new dims (data shared: tensors are immutable by convention). */
export function reshaped(t: Tensor, dims: readonly number[]): Tensor {
  return { dtype: t.dtype, dims: [...dims], data: t.data };
}

/** Normalise a possibly negative axis, rejecting out-of-range values. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Shared defaults for an OpDef so entries list only what differs. */
export function def(d: Partial<OpDef> & Pick<OpDef, 'type' | 'category' | 'summary' | 'infer' | 'evaluate'>): OpDef {
  return {
    inputs: [{ name: 'X', role: 'data' }],
    outputs: [{ name: 'Y', role: 'data' }],
    attrs: {},
    activation: false,
    monotone: never,
    valuePreserving: false,
    view: false,
    macs: zeroMacs,
    ...d,
  };
}

