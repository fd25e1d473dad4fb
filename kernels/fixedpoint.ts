// Stage: kernel library support. TFLite/gemmlowp-style fixed-point primitives every kernel and the backend share.
// Contract: exact integer semantics (as the device's int32/int64 C code) on JS numbers; no BigInt on the fast paths.

import type { QDType } from './types.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;
const TWO_52 = 4503599627370496;

export interface QuantizedMultiplier {
  /** Q31 fixed-point mantissa in [2^30, 2^31) for positive reals, (-2^31, -2^30] for negative ones, 0 for 0. */
  multiplier: number;
  /** Power-of-two exponent: real = multiplier * 2^(shift - 31). Positive = left shift. */
  shift: number;
}

/** Code range of a device integer type. */
export function qRange(dtype: QDType): { qmin: number; qmax: number } {
  return dtype === 'int8' ? { qmin: -128, qmax: 127 } : { qmin: -32768, qmax: 32767 };
}

/** std::round: halves away from zero (TfLiteRound), unlike Math.round. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const frexpView = new DataView(new ArrayBuffer(8));

/** std::frexp: x = m * 2^e with 0.5 <= |m| < 1 (m = 0, e = 0 for 0). Exact, via the IEEE-754 bits. */
export function frexp(x: number): { mantissa: number; exponent: number } {
  if (x === 0 || !Number.isFinite(x)) return { mantissa: x, exponent: 0 };
  let scale = 0;
  let v = x;
  frexpView.setFloat64(0, v);
  if (((frexpView.getUint16(0) >>> 4) & 0x7ff) === 0) {
    // Subnormal: renormalise first so the exponent bits are meaningful.
    v = x * 2 ** 64;
    scale = -64;
    frexpView.setFloat64(0, v);
  }
  const hi = frexpView.getUint16(0);
  const exponent = ((hi >>> 4) & 0x7ff) - 1022 + scale;
  // Replace the exponent bits by 1022 (value in [0.5, 1)), keeping sign and fraction: exact, never overflows.
  frexpView.setUint16(0, (hi & 0x800f) | (1022 << 4));
  return { mantissa: frexpView.getFloat64(0), exponent };
}

/**
 * TFLite QuantizeMultiplier: real ~= multiplier * 2^(shift-31). Negative reals are allowed (negative slopes).
 * Tiny reals (shift < -31) become 0; huge ones saturate at shift 30 as in current TFLite.
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!Number.isFinite(real)) throw new RangeError(`cannot quantize multiplier ${real}`);
  if (real === 0) return { multiplier: 0, shift: 0 };
  const f = frexp(real);
  let shift = f.exponent;
  let q = roundHalfAway(f.mantissa * TWO_31);
  if (q === TWO_31) { q /= 2; shift++; }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) return { multiplier: real > 0 ? INT32_MAX : INT32_MIN, shift: 30 };
  return { multiplier: q, shift };
}

/** The real number a quantized multiplier stands for. */
export function multiplierValue(m: QuantizedMultiplier): number {
  return m.multiplier * 2 ** (m.shift - 31);
}

/** Saturate to int32 (used after shifts that C would overflow). */
export function saturateInt32(x: number): number {
  return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : x;
}
export function saturateInt16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}
export function saturateInt8(x: number): number {
  return x > 127 ? 127 : x < -128 ? -128 : x;
}
export function saturate(x: number, dtype: QDType): number {
  return dtype === 'int8' ? saturateInt8(x) : saturateInt16(x);
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul for int32 a, b: trunc((a*b + nudge) / 2^31) with
 * nudge = a*b >= 0 ? 2^30 : 1 - 2^30; a = b = INT32_MIN saturates to INT32_MAX.
 * The 62-bit product is split so every intermediate stays below 2^53.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const p = a * b;
  const nudge = p >= 0 ? 1073741824 : -1073741823;
  // Below 2^52 the product and the nudged sum are exact doubles; dividing by 2^31 is exact too.
  if (p < TWO_52 && p > -TWO_52) return Math.trunc((p + nudge) / TWO_31) | 0;
  return highMulSplit(a, b, nudge);
}

/** Exact trunc((a*b + nudge) / 2^31) through a 16-bit split of b (all partial products < 2^48). */
function highMulSplit(a: number, b: number, nudge: number): number {
  const bl = b & 0xffff; // low 16 bits, unsigned
  const bh = (b - bl) / 65536; // signed high part
  const p1 = a * bh; // |p1| < 2^46
  const q1 = Math.floor(p1 / 32768);
  const r1 = p1 - q1 * 32768; // in [0, 2^15)
  const rest = r1 * 65536 + a * bl + nudge; // |rest| < 2^48
  const q2 = Math.floor(rest / TWO_31);
  const rem = rest - q2 * TWO_31;
  const floorQ = q1 + q2;
  return floorQ < 0 && rem !== 0 ? floorQ + 1 : floorQ;
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero (exponent 0..31, x int32). */
export function roundingDivideByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = exponent >= 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >>> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite MultiplyByQuantizedMultiplier (double rounding) for an int32 x:
 * RoundingDivideByPOT(SRDHM(x * 2^max(shift,0), multiplier), max(-shift,0)).
 * The left shift saturates to int32 (C would wrap; the dspc device saturates, documented in docs/cost-model.md).
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const xs = left === 0 ? x : saturateInt32(x * 2 ** left);
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(xs, multiplier), right);
}

/**
 * x * multiplier * 2^(shift - 31) with ONE rounding, half toward +inf: TFLite's TFLITE_SINGLE_ROUNDING requantization.
 * Activation kernels use it because it returns the code nearest the real product, so a fused activation (one
 * rescale) is never further from the float result than the chain it replaces (two rescales, two roundings);
 * the double-rounding form above can be ~0.74 LSB off. |x| < 2^21 keeps x * multiplier exact in float64.
 */
export function multiplyByQuantizedMultiplierSingleRounding(x: number, multiplier: number, shift: number): number {
  if (!(Math.abs(x) < 2 ** 21)) throw new RangeError(`single-rounding requantization of ${x}: |x| must be < 2^21`);
  const total = 31 - shift;
  const p = x * multiplier;
  if (total <= 0) return saturateInt32(p * 2 ** -total);
  return saturateInt32(Math.floor((p + 2 ** (total - 1)) / 2 ** total));
}

/**
 * The same operation for a 64-bit accumulator x (|x| < 2^62, e.g. int16 activations times int8 weights,
 * or int16 products): exact BigInt path only when x does not fit int32, so int8 programs never pay for it.
 * Semantics: trunc((x*2^left*m + nudge) / 2^31) saturated to int32, then RoundingDivideByPOT as above.
 */
export function multiplyByQuantizedMultiplierWide(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  if (left === 0 ? (x >= INT32_MIN && x <= INT32_MAX) : Math.abs(x) * 2 ** left <= INT32_MAX) {
    return multiplyByQuantizedMultiplier(x, multiplier, shift);
  }
  return wideSlow(x, multiplier, shift);
}

function wideSlow(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const p = BigInt(x) * (1n << BigInt(left)) * BigInt(multiplier);
  const nudge = p >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const high = saturateInt32(Number((p + nudge) / (1n << 31n))); // BigInt division truncates, as C does
  return roundingDivideByPOT(high, right);
}

/** Requantize one real-valued scale ratio applied to integer x (int32 or wide), returning the int code delta. */
export function requantize(x: number, m: QuantizedMultiplier): number {
  return multiplyByQuantizedMultiplierWide(x, m.multiplier, m.shift);
}

/** Quantize a real value to a code of (scale, zeroPoint), saturated to the dtype; +-Infinity saturate. */
export function quantizeValue(real: number, scale: number, zeroPoint: number, dtype: QDType): number {
  const { qmin, qmax } = qRange(dtype);
  if (real === Infinity) return qmax;
  if (real === -Infinity) return qmin;
  const q = zeroPoint + roundHalfAway(real / scale);
  return q < qmin ? qmin : q > qmax ? qmax : q;
}

/** real = scale * (code - zeroPoint). */
export function dequantizeValue(code: number, scale: number, zeroPoint: number): number {
  return scale * (code - zeroPoint);
}
