// Test support: kernel library. Builders of invocations, tensors and quantizations for kernel unit tests.
// Contract: invocations look like what the backend emits (ParamRefs with byte sizes derived from the tables).

import fc from 'fast-check';
import type { AttrMap, ElemType, Invocation, ParamRef, ParamValues, QDType, QTensor, QuantParams, TensorRef } from '../../kernels/types.js';

export function ref(shape: number[], q: QuantParams, buffer = 0): TensorRef {
  return { buffer, shape, dtype: q.dtype, scale: q.scale, zeroPoint: q.zeroPoint };
}

const BYTES: Record<string, number> = { Int8Array: 1, Uint8Array: 1, Int16Array: 2, Int32Array: 4, Float32Array: 4 };
const DT: Record<string, ElemType> = { Int8Array: 'int8', Uint8Array: 'uint8', Int16Array: 'int16', Int32Array: 'int32', Float32Array: 'float32' };

export function paramRefs(params: ParamValues): ParamRef[] {
  return Object.entries(params).map(([name, a], i) => {
    const kind = a.constructor.name;
    return { name, record: i, offset: 0, bytes: a.length * BYTES[kind]!, dtype: DT[kind]!, count: a.length };
  });
}

export function inv(kernel: string, inputs: TensorRef[], outputs: TensorRef[], attrs: AttrMap = {}, params: ParamValues = {}): Invocation {
  return { index: 0, kernel, node: `${kernel}_node`, origin: [], inputs, outputs, attrs, params: paramRefs(params) };
}

export function qtensor(data: Int8Array | Int16Array, shape: number[], q: QuantParams): QTensor {
  return { data, shape, scale: q.scale, zeroPoint: q.zeroPoint };
}

export function range(dtype: QDType): [number, number] {
  return dtype === 'int8' ? [-128, 127] : [-32768, 32767];
}

/** Every code of the dtype as a [1, 1, 1, n] tensor (int16: every code too; 65,536 elements). */
export function allCodes(dtype: QDType): Int8Array | Int16Array {
  const [lo, hi] = range(dtype);
  const a = dtype === 'int8' ? new Int8Array(hi - lo + 1) : new Int16Array(hi - lo + 1);
  for (let i = 0; i < a.length; i++) a[i] = lo + i;
  return a;
}

export const scaleArb = fc.double({ min: 1e-3, max: 0.5, noNaN: true });

/** A quantization: int8 asymmetric, int16 symmetric (as the backend's two modes). */
export function quantArb(dtype: QDType): fc.Arbitrary<QuantParams> {
  if (dtype === 'int16') return fc.double({ min: 1e-5, max: 1e-2, noNaN: true }).map((scale) => ({ scale, zeroPoint: 0, dtype }));
  return fc.record({ scale: scaleArb, zeroPoint: fc.integer({ min: -128, max: 127 }), dtype: fc.constant(dtype) });
}

export function clampCode(v: number, dtype: QDType): number {
  const [lo, hi] = range(dtype);
  return Math.min(hi, Math.max(lo, v));
}

export function randomCodes(n: number, dtype: QDType, seed: number): Int8Array | Int16Array {
  const a = dtype === 'int8' ? new Int8Array(n) : new Int16Array(n);
  let s = seed >>> 0 || 1;
  const [lo, hi] = range(dtype);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    a[i] = lo + (s % (hi - lo + 1));
  }
  return a;
}

/** Deterministic integers in [lo, hi], the extremes often (they are what overflows). */
export function ints(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    const r = s % 8;
    return r === 0 ? lo : r === 1 ? hi : lo + (s % (hi - lo + 1));
  });
}

/**
 * Shapes of `operands` tensors that broadcast together (numpy rules: leading axes dropped, some axes 1), and the
 * shape they broadcast to.
 */
export function broadcastShapesArb(operands: number): fc.Arbitrary<{ out: number[]; shapes: number[][] }> {
  return fc.record({
    out: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    drops: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: operands, maxLength: operands }),
    ones: fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: operands, maxLength: operands }),
  }).map(({ out, drops, ones }) => {
    const shapes = drops.map((d, k) => out.slice(Math.min(d, out.length - 1)).map((v, i) => (ones[k]![i] ? 1 : v)));
    return { out: broadcastOf(shapes, out.length), shapes };
  });
}

/** The numpy broadcast of `shapes` at rank `rank`. */
export function broadcastOf(shapes: readonly number[][], rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => Math.max(...shapes.map((s) => s[s.length - rank + i] ?? 1)));
}
