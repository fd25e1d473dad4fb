// Tests: kernel library / fixed point. Every primitive against an independent BigInt model of the C semantics.
// Why: the device's int32/int64 arithmetic must be reproduced exactly in JS doubles, including > 2^53 products.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INT32_MAX, INT32_MIN, frexp, multiplierValue, multiplyByQuantizedMultiplier, multiplyByQuantizedMultiplierSingleRounding,
  multiplyByQuantizedMultiplierWide,
  quantizeMultiplier, quantizeValue, roundHalfAway, roundingDivideByPOT, saturateInt16, saturateInt8,
  saturatingRoundingDoublingHighMul,
} from '../../kernels/fixedpoint.js';

const RUNS = { numRuns: 20000 };
const int32 = fc.integer({ min: INT32_MIN, max: INT32_MAX });

/** gemmlowp reference in BigInt: (a*b + nudge) / 2^31 with C truncating division. */
function srdhmRef(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const p = BigInt(a) * BigInt(b);
  const nudge = p >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((p + nudge) / (1n << 31n));
}

function rdbpotRef(x: number, e: number): number {
  const X = BigInt(x);
  const mask = (1n << BigInt(e)) - 1n;
  const rem = X & mask;
  const threshold = (mask >> 1n) + (X < 0n ? 1n : 0n);
  return Number((X >> BigInt(e)) + (rem > threshold ? 1n : 0n));
}

function sat32(x: bigint): bigint {
  return x > BigInt(INT32_MAX) ? BigInt(INT32_MAX) : x < BigInt(INT32_MIN) ? BigInt(INT32_MIN) : x;
}

function mbqmRef(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const xs = sat32(BigInt(x) << BigInt(left));
  const p = xs * BigInt(m);
  const nudge = p >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const high = m === INT32_MIN && xs === BigInt(INT32_MIN) ? BigInt(INT32_MAX) : (p + nudge) / (1n << 31n);
  return rdbpotRef(Number(sat32(high)), right);
}

/** Wide variant: no saturation of the shifted 64-bit input, saturation of the high product. */
function mbqmWideRef(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const xs = BigInt(x) << BigInt(left);
  if (xs >= BigInt(INT32_MIN) && xs <= BigInt(INT32_MAX)) return mbqmRef(Number(xs), m, 0 - right);
  const p = xs * BigInt(m);
  const nudge = p >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return rdbpotRef(Number(sat32((p + nudge) / (1n << 31n))), right);
}

describe('saturatingRoundingDoublingHighMul', () => {
  it('matches the BigInt reference on all int32 pairs', () => {
    fc.assert(fc.property(int32, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === srdhmRef(a, b)), RUNS);
  });
  it('edge cases', () => {
    for (const a of [INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX]) {
      for (const b of [INT32_MIN, -1, 0, 1, 1 << 30, INT32_MAX]) expect(saturatingRoundingDoublingHighMul(a, b)).toBe(srdhmRef(a, b));
    }
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
  });
});

describe('roundingDivideByPOT', () => {
  it('matches the reference for exponents 0..31', () => {
    fc.assert(fc.property(int32, fc.integer({ min: 0, max: 31 }), (x, e) => roundingDivideByPOT(x, e) === rdbpotRef(x, e)), RUNS);
  });
  it('rounds halves away from zero', () => {
    expect(roundingDivideByPOT(3, 1)).toBe(2);
    expect(roundingDivideByPOT(-3, 1)).toBe(-2);
    expect(roundingDivideByPOT(5, 2)).toBe(1);
    expect(roundingDivideByPOT(-6, 2)).toBe(-2);
  });
});

describe('quantizeMultiplier', () => {
  const real = fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((r) => Math.abs(r) > 1e-9);
  it('mantissa in [2^30, 2^31) and relative error <= 2^-31', () => {
    fc.assert(fc.property(real, (r) => {
      const q = quantizeMultiplier(r);
      const ok = Math.abs(q.multiplier) >= 2 ** 30 && Math.abs(q.multiplier) <= INT32_MAX && q.shift <= 30 && q.shift >= -31;
      return ok && Math.abs(multiplierValue(q) - r) <= Math.abs(r) * 2 ** -31;
    }), RUNS);
  });
  it('zero, tiny, halves and rounding up to 2^31', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(-0.75)).toEqual({ multiplier: -(3 * 2 ** 29), shift: 0 });
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
  });
  it('frexp agrees with the definition, subnormals included', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => x !== 0), (x) => {
      const { mantissa, exponent } = frexp(x);
      // Compare at a scale where both sides are normal doubles, so the check itself is exact.
      const k = exponent < -900 ? 200 : exponent > 900 ? -200 : 0;
      return Math.abs(mantissa) >= 0.5 && Math.abs(mantissa) < 1 && mantissa * 2 ** (exponent + k) === x * 2 ** k;
    }), RUNS);
    expect(frexp(5e-324).exponent).toBe(-1073);
  });
});

describe('multiplyByQuantizedMultiplier', () => {
  const mult = fc.integer({ min: INT32_MIN + 1, max: INT32_MAX });
  const shift = fc.integer({ min: -31, max: 30 });
  it('int32 x matches the BigInt reference (left shift saturates)', () => {
    fc.assert(fc.property(int32, mult, shift, (x, m, s) => multiplyByQuantizedMultiplier(x, m, s) === mbqmRef(x, m, s)), RUNS);
  });
  it('wide x (|x| < 2^47) matches the BigInt reference', () => {
    const wide = fc.integer({ min: -(2 ** 47), max: 2 ** 47 });
    fc.assert(fc.property(wide, mult, fc.integer({ min: -31, max: 8 }), (x, m, s) => multiplyByQuantizedMultiplierWide(x, m, s) === mbqmWideRef(x, m, s)), RUNS);
  });
  it('wide equals the int32 form wherever the shifted input fits int32', () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), mult, fc.integer({ min: -31, max: 8 }), (x, m, s) =>
      multiplyByQuantizedMultiplierWide(x, m, s) === multiplyByQuantizedMultiplier(x, m, s)), RUNS);
  });
  it('approximates x * real within 0.5 + 0.5 * 2^-rightShift (TFLite double rounding) + multiplier error', () => {
    fc.assert(fc.property(fc.integer({ min: -65536, max: 65536 }), fc.double({ min: 1e-4, max: 100, noNaN: true }), (x, r) => {
      const q = quantizeMultiplier(r);
      const right = q.shift < 0 ? -q.shift : 0;
      const bound = 0.5 + (right > 0 ? 0.5 * 2 ** -right : 0) + Math.abs(x) * 2 ** (q.shift - 31) + 1e-9;
      return Math.abs(multiplyByQuantizedMultiplier(x, q.multiplier, q.shift) - x * r) <= bound;
    }), RUNS);
  });
});

/** TFLite single rounding in BigInt: (x*m + 2^(t-1)) >> t with an arithmetic shift, t = 31 - shift. */
function singleRef(x: number, m: number, shift: number): number {
  const t = 31 - shift;
  const p = BigInt(x) * BigInt(m);
  const r = t <= 0 ? p << BigInt(-t) : (p + (1n << BigInt(t - 1))) >> BigInt(t);
  return Number(sat32(r));
}

describe('multiplyByQuantizedMultiplierSingleRounding', () => {
  const code = fc.integer({ min: -(2 ** 21) + 1, max: 2 ** 21 - 1 });
  it('matches the BigInt reference (shifts -40..20, multipliers of both signs)', () => {
    fc.assert(fc.property(code, fc.integer({ min: INT32_MIN + 1, max: INT32_MAX }), fc.integer({ min: -40, max: 20 }),
      (x, m, sh) => multiplyByQuantizedMultiplierSingleRounding(x, m, sh) === singleRef(x, m, sh)), RUNS);
  });
  it('returns the code nearest x * real (ties up): never further than the double-rounding form', () => {
    fc.assert(fc.property(fc.integer({ min: -65535, max: 65535 }), fc.double({ min: 1e-6, max: 60, noNaN: true }), (x, real) => {
      const q = quantizeMultiplier(real);
      const exact = x * multiplierValue(q);
      const single = multiplyByQuantizedMultiplierSingleRounding(x, q.multiplier, q.shift);
      const dbl = multiplyByQuantizedMultiplier(x, q.multiplier, q.shift);
      return Math.abs(single - exact) <= 0.5 && Math.abs(single - exact) <= Math.abs(dbl - exact);
    }), RUNS);
  });
  it('refuses inputs whose product would not be exact in a double', () => {
    expect(() => multiplyByQuantizedMultiplierSingleRounding(2 ** 21, 1 << 30, 0)).toThrow(RangeError);
  });
});

describe('rounding, saturation and quantization of values', () => {
  it('roundHalfAway is std::round', () => {
    expect([2.5, -2.5, 0.49999999999999994, -0.5, 1.5].map(roundHalfAway)).toEqual([3, -3, 0, -1, 2]);
  });
  it('saturations', () => {
    expect([saturateInt8(200), saturateInt8(-200), saturateInt8(5)]).toEqual([127, -128, 5]);
    expect([saturateInt16(40000), saturateInt16(-40000)]).toEqual([32767, -32768]);
  });
  it('quantizeValue saturates infinities and rounds half away', () => {
    expect(quantizeValue(Infinity, 0.1, 3, 'int8')).toBe(127);
    expect(quantizeValue(-Infinity, 0.1, 3, 'int16')).toBe(-32768);
    expect(quantizeValue(0.25, 0.1, 3, 'int8')).toBe(6);
    expect(quantizeValue(-0.25, 0.1, 0, 'int8')).toBe(-3);
  });
});
