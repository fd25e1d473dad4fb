// Stage: kernel library support. Lookup-table activations (Sigmoid, Tanh, HardSigmoid, HardSwish, pointwise_lut):
// table building from the float function and the per-code lookup.
// Contract: int8 = exact 256-entry table (error <= 0.5 LSB); int16 = 2^(16-s)+1 entries interpolated linearly between
// entries 2^s codes apart. s = 7 (513 entries) is TFLite's int16 LUT (error <= 1 LSB + h^2/8 * max|f''| / outScale,
// h = 128 * inScale); exactTable() picks the largest s whose every code is within 1 LSB of the quantized reference.

import { qRange, roundHalfAway } from './fixedpoint.js';
import type { ActivationDef, ParamField, ParamValues, QuantParams } from './types.js';

export const LUT_FIELDS: readonly ParamField[] = [
  { name: 'in_zp', dtype: 'int32', count: '1', doc: 'input zero point (what a producer applying this as an epilogue requantizes to)' },
  {
    name: 'lut',
    dtype: 'int8',
    count: '256 (int8) | 2^(16-s)+1 (int16; s = 7, 513 entries, for sigmoid/tanh/hardsigmoid/hardswish; s = 7..0 for pointwise_lut)',
    doc: 'output codes; int8 programs: entry x+128 for input code x; int16 programs (stored as int16): entry i at input code -32768 + i*2^s, linear interpolation between entries',
  },
];

function quantizeOut(y: number, outQ: QuantParams): number {
  const { qmin, qmax } = qRange(outQ.dtype);
  const q = outQ.zeroPoint + roundHalfAway(y / outQ.scale);
  return q < qmin ? qmin : q > qmax ? qmax : Number.isNaN(q) ? outQ.zeroPoint : q;
}

/** Build the table of f for the given input/output quantization. */
export function lutParams(f: (x: number) => number, inQ: QuantParams, outQ: QuantParams): ParamValues {
  if (inQ.dtype !== outQ.dtype) throw new RangeError('LUT input and output dtypes differ');
  if (inQ.dtype === 'int8') {
    const t = new Int8Array(256);
    for (let x = -128; x < 128; x++) t[x + 128] = quantizeOut(f(inQ.scale * (x - inQ.zeroPoint)), outQ);
    return { in_zp: Int32Array.of(inQ.zeroPoint), lut: t };
  }
  const t = new Int16Array(513);
  for (let i = 0; i <= 512; i++) t[i] = quantizeOut(f(inQ.scale * (-32768 + 128 * i - inQ.zeroPoint)), outQ);
  return { in_zp: Int32Array.of(inQ.zeroPoint), lut: t };
}

/** log2 of the code step between int16 table entries: a table of 2^(16-s)+1 entries has step 2^s. */
export function lutStepShift(entries: number): number {
  const s = 16 - Math.log2(entries - 1);
  if (!Number.isInteger(s) || s < 0 || s > 7) throw new RangeError(`an int16 lookup table has 2^k+1 entries (k = 9..16), got ${entries}`);
  return s;
}

/** Interpolated lookup of int16 code `code` in a table of entries 2^s codes apart (TFLite lut_lookup for s = 7). */
function interpolate(t: ArrayLike<number>, s: number, code: number): number {
  const u = code + 32768;
  const i = u >> s;
  const base = t[i]!;
  if (s === 0) return base;
  const slope = t[i + 1]! - base; // int32 arithmetic: cannot overflow as C's int16 slope could
  return base + ((slope * (u & ((1 << s) - 1)) + (1 << (s - 1))) >> s);
}

/** Lookup of one code: direct for int8 tables, interpolated for int16 tables (step from the table length). */
export function lutApply(code: number, _channel: number, p: ParamValues): number {
  const t = p['lut']!;
  if (t.length === 256) return t[code + 128]!;
  return interpolate(t, lutStepShift(t.length), code);
}

/** A float function of one input evaluated on many points at once (the op table's reference, run on a tensor). */
export type VectorFn = (x: Float32Array) => ArrayLike<number>;

/**
 * Table of `f` within 1 LSB of the quantized float reference on every input code. int8: the exact 256 entries.
 * int16: all 65,536 codes are evaluated once; the coarsest step 2^s (s = 7 down to 0) whose interpolation stays
 * within 1 LSB of every reference code wins, so smooth functions get TFLite's 513 entries and sharp ones (log near
 * 0, 1/x across 0) as many as they need, up to the 65,537-entry direct table.
 */
export function exactTable(f: VectorFn, inQ: QuantParams, outQ: QuantParams): ParamValues {
  if (inQ.dtype !== outQ.dtype) throw new RangeError('LUT input and output dtypes differ');
  const lo = inQ.dtype === 'int8' ? -128 : -32768;
  const n = inQ.dtype === 'int8' ? 256 : 65537; // int16: one code past the top, the last interpolation end
  const reals = new Float32Array(n);
  for (let k = 0; k < n; k++) reals[k] = inQ.scale * (lo + k - inQ.zeroPoint);
  const y = f(reals);
  const ref = new Int32Array(n);
  for (let k = 0; k < n; k++) ref[k] = quantizeOut(y[k]!, outQ);
  if (inQ.dtype === 'int8') return { in_zp: Int32Array.of(inQ.zeroPoint), lut: Int8Array.from(ref) };
  for (let s = 7; s >= 0; s--) {
    const t = new Int16Array((65536 >> s) + 1);
    for (let i = 0; i < t.length; i++) t[i] = ref[i << s]!;
    let ok = true;
    for (let k = 0; k < 65536 && ok; k++) ok = Math.abs(interpolate(t, s, k - 32768) - ref[k]!) <= 1;
    if (ok) return { in_zp: Int32Array.of(inQ.zeroPoint), lut: t };
  }
  throw new RangeError('unreachable: the direct int16 table is exact');
}

export const LUT_ACTIVATION: ActivationDef = { applyCode: lutApply, channels: () => 1 };

export const sigmoidF = (x: number): number => 1 / (1 + Math.exp(-x));
export const tanhF = Math.tanh;
export const hardSigmoidF = (alpha: number, beta: number) => (x: number): number => Math.max(0, Math.min(1, alpha * x + beta));
export const hardSwishF = (x: number): number => x * Math.max(0, Math.min(1, x / 6 + 0.5));
