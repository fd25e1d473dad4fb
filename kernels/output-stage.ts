// Stage: kernel library support. Weight quantization and the requantizing output stage shared by conv2d and
// fully_connected: per-output-channel symmetric int8 weights, int32 bias, Q31 multiplier/shift, output clamp.
// Contract: parameter tables for MAC kernels are built only here, so backend and kernels agree on every integer.

import { INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplierWide, qRange, quantizeMultiplier, quantizeValue, roundHalfAway } from './fixedpoint.js';
import { int32 } from './common.js';
import type { ParamField, ParamValues, QuantParams } from './types.js';

/** Weights are symmetric in [-127, 127] (TFLite's narrow range), one scale per output channel. */
export const WEIGHT_QMAX = 127;

export interface QuantizedWeights {
  codes: Int8Array;
  /** real weight = scales[c] * code */
  scales: Float64Array;
}

/** Per-output-channel symmetric quantization; `w` is laid out output channel major ([C_out, ...]). */
export function quantizeWeightsPerChannel(w: ArrayLike<number>, cOut: number): QuantizedWeights {
  if (cOut <= 0 || w.length % cOut !== 0) throw new RangeError(`weights of length ${w.length} do not split into ${cOut} output channels`);
  const per = w.length / cOut;
  const codes = new Int8Array(w.length);
  const scales = new Float64Array(cOut);
  for (let c = 0; c < cOut; c++) {
    let amax = 0;
    for (let i = c * per; i < (c + 1) * per; i++) {
      const v = w[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`weight ${v} of output channel ${c} is not finite`);
      amax = Math.max(amax, Math.abs(v));
    }
    // An all-zero channel gets scale 1 so multipliers stay finite; its codes are all 0 anyway.
    const s = amax > 0 ? amax / WEIGHT_QMAX : 1;
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) {
      codes[i] = Math.max(-WEIGHT_QMAX, Math.min(WEIGHT_QMAX, roundHalfAway(w[i]! / s)));
    }
  }
  return { codes, scales };
}

export const OUTPUT_STAGE_FIELDS: readonly ParamField[] = [
  { name: 'bias', dtype: 'int32', count: 'C_out', doc: 'round(bias / (inScale * weightScale[c])), saturated to int32' },
  { name: 'multiplier', dtype: 'int32', count: 'C_out', doc: 'Q31 multiplier of inScale * weightScale[c] / outScale' },
  { name: 'shift', dtype: 'int32', count: 'C_out', doc: 'shift of multiplier[c] (positive = left)' },
  { name: 'out_min', dtype: 'int32', count: '1', doc: 'lowest output code (fused Relu/Clip lower bound, else qmin)' },
  { name: 'out_max', dtype: 'int32', count: '1', doc: 'highest output code (fused Clip upper bound, else qmax)' },
];

export interface OutputClamp {
  /** Real lower bound folded into the output clamp (e.g. 0 for Relu); default -Infinity. */
  lo?: number;
  hi?: number;
}

/**
 * Bias, multipliers and clamp for accumulators in units of inScale * weightScale[c]. `outQ` is the quantization
 * the output stage writes: the node's output, or the epilogue activation's input when one is folded in.
 */
export function outputStageParams(
  weightScales: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  inQ: QuantParams,
  outQ: QuantParams,
  clamp: OutputClamp = {},
): ParamValues {
  const cOut = weightScales.length;
  if (bias && bias.length !== cOut) throw new RangeError(`bias has ${bias.length} entries for ${cOut} output channels`);
  const b = new Int32Array(cOut);
  const m = new Int32Array(cOut);
  const s = new Int32Array(cOut);
  for (let c = 0; c < cOut; c++) {
    const accScale = inQ.scale * weightScales[c]!;
    const bq = bias ? roundHalfAway(bias[c]! / accScale) : 0;
    b[c] = bq > INT32_MAX ? INT32_MAX : bq < INT32_MIN ? INT32_MIN : bq;
    const qm = quantizeMultiplier(accScale / outQ.scale);
    m[c] = qm.multiplier;
    s[c] = qm.shift;
  }
  const { qmin, qmax } = qRange(outQ.dtype);
  const lo = clamp.lo ?? -Infinity;
  const hi = clamp.hi ?? Infinity;
  return {
    bias: b,
    multiplier: m,
    shift: s,
    out_min: int32(Math.max(qmin, quantizeValue(lo, outQ.scale, outQ.zeroPoint, outQ.dtype))),
    out_max: int32(Math.min(qmax, quantizeValue(hi, outQ.scale, outQ.zeroPoint, outQ.dtype))),
  };
}

/** The per-channel constants of the fast rescale below, computed once per channel, shared by both writers. */
interface Rescale {
  multiplier: number;
  shift: number;
  right: number;
  mask: number;
  half: number;
  /** |v| <= vlim keeps v*m below 2^52 (and v inside int32); outside, the general path. */
  vlim: number;
  /** multiplier / 2^31 (exact: a power-of-two scaling). */
  m: number;
  zp: number;
  lo: number;
  hi: number;
}

function rescaleOf(multiplier: number, shift: number, zp: number, lo: number, hi: number): Rescale {
  const right = shift > 0 ? 0 : -shift;
  const mask = right >= 31 ? 0x7fffffff : (1 << right) - 1;
  const vlim = shift <= 0 && multiplier !== INT32_MIN ? Math.min(INT32_MAX, Math.floor((2 ** 52 - 1) / Math.max(1, Math.abs(multiplier)))) : -1;
  return { multiplier, shift, right, mask, half: mask >>> 1, vlim, m: multiplier / 2147483648, zp, lo, hi };
}

/** One output code: clamp(zp + MBQM(v, m, s), lo, hi) (small enough to be inlined into the writers' loops). */
function requantize(v: number, r: Rescale): number {
  let y: number;
  if (v <= r.vlim && v >= -r.vlim) {
    const h = Math.floor(v * r.m + 0.5) | 0;
    y = (h >> r.right) + (((r.half + (h >>> 31)) - (h & r.mask)) >>> 31);
  } else {
    // bounded so the mask clamp below stays in int32 (the final clamp to [lo, hi] gives the same code)
    y = Math.max(-16777216, Math.min(16777216, multiplyByQuantizedMultiplierWide(v, r.multiplier, r.shift)));
  }
  let q = r.zp + y;
  let d = q - r.lo;
  q -= d & (d >> 31); // max(q, lo)
  d = q - r.hi;
  return r.hi + (d & (d >> 31)); // min(q, hi)
}

/**
 * Writes one output channel: code = clamp(zp + MBQM(acc + bias, m, s), out_min, out_max), then the epilogue.
 * `acc` holds exact integer sums (< 2^53) in a Float64Array. The common case (right shift, |v * m| < 2^52) is
 * computed inline (requantize, small enough for the compiler to inline into the loop: it runs once per output
 * element), and written without data-dependent branches (signs of
 * accumulators are random, so branches on them mispredict about half the time):
 *   SRDHM(v, m) = trunc((v*m + (v*m >= 0 ? 2^30 : 1 - 2^30)) / 2^31) = floor(v*m/2^31 + 1/2)   (exact below 2^52)
 *   RDBPOT(h, e) = (h >> e) + (remainder > threshold), the comparison taken from the sign bit of threshold - remainder
 *   clamp by masks of sign bits.
 * Everything else goes through multiplyByQuantizedMultiplierWide, which computes the same function.
 */
export function writeChannel(
  acc: Float64Array,
  count: number,
  out: Int8Array | Int16Array,
  outBase: number,
  outStride: number,
  bias: number,
  multiplier: number,
  shift: number,
  zp: number,
  lo: number,
  hi: number,
  channel: number,
  epilogue: ((code: number, channel: number) => number) | null,
): void {
  const r = rescaleOf(multiplier, shift, zp, lo, hi);
  for (let p = 0; p < count; p++) {
    const q = requantize(acc[p]! + bias, r);
    out[outBase + p * outStride] = epilogue ? epilogue(q, channel) : q;
  }
}

/**
 * writeChannel for int8 outputs with the epilogue as a code table (tbl[tbase + code + 128]) instead of a function:
 * the same integer steps (requantize), without a call per element in the hottest loop of the simulator.
 */
export function writeChannelInt8(
  acc: Float64Array, count: number, out: Int8Array, outBase: number, bias: number, multiplier: number, shift: number,
  zp: number, lo: number, hi: number, tbl: Int16Array | null, tbase: number,
): void {
  const r = rescaleOf(multiplier, shift, zp, lo, hi);
  const t0 = tbase + 128;
  for (let p = 0; p < count; p++) {
    const q = requantize(acc[p]! + bias, r);
    out[outBase + p] = tbl === null ? q : tbl[t0 + q]!;
  }
}
