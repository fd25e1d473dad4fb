// Stage: kernel library support. Lookup-table activations (Sigmoid, Tanh, HardSigmoid, HardSwish): table building
// from the float function and the per-code lookup.
// Contract: int8 = exact 256-entry table (error <= 0.5 LSB); int16 = 513-entry table interpolated linearly between
// entries 128 codes apart, as TFLite's int16 LUT (error <= 1 LSB + h^2/8 * max|f''| / outScale, h = 128 * inScale).

import { qRange, roundHalfAway } from './fixedpoint.js';
import type { ActivationDef, ParamField, ParamValues, QuantParams } from './types.js';

export const LUT_FIELDS: readonly ParamField[] = [
  { name: 'in_zp', dtype: 'int32', count: '1', doc: 'input zero point (what a producer applying this as an epilogue requantizes to)' },
  {
    name: 'lut',
    dtype: 'int8',
    count: '256 (int8) | 513 (int16)',
    doc: 'output codes; int8 programs: entry x+128 for input code x; int16 programs (stored as int16): entry i at input code -32768 + 128*i',
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

/** Lookup of one code: direct for int8 tables, interpolated for 513-entry int16 tables (TFLite lut_lookup). */
export function lutApply(code: number, _channel: number, p: ParamValues): number {
  const t = p['lut']!;
  if (t.length === 256) return t[code + 128]!;
  const u = code + 32768;
  const i = u >> 7;
  const base = t[i]!;
  const slope = t[i + 1]! - base; // int32 arithmetic: cannot overflow as C's int16 slope could
  return base + ((slope * (u & 127) + 64) >> 7);
}

export const LUT_ACTIVATION: ActivationDef = { applyCode: lutApply, channels: () => 1 };

export const sigmoidF = (x: number): number => 1 / (1 + Math.exp(-x));
export const tanhF = Math.tanh;
export const hardSigmoidF = (alpha: number, beta: number) => (x: number): number => Math.max(0, Math.min(1, alpha * x + beta));
export const hardSwishF = (x: number): number => x * Math.max(0, Math.min(1, x / 6 + 0.5));
