// Tests: kernel library / activation kernels. Fixed point vs float semantics on every input code.
// Why: these per-code functions are what the backend's exhaustive fusion verdict and conv epilogues reuse.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../kernels/index.js';
import { reluParams } from '../../kernels/relu.js';
import { leakyReluParams } from '../../kernels/leaky-relu.js';
import { preluParams } from '../../kernels/prelu.js';
import { clipParams } from '../../kernels/clip.js';
import { sigmoidParams } from '../../kernels/sigmoid.js';
import { tanhParams } from '../../kernels/tanh.js';
import { hardSigmoidParams } from '../../kernels/hardsigmoid.js';
import { hardSwishParams } from '../../kernels/hardswish.js';
import type { ParamValues, QDType, QuantParams } from '../../kernels/types.js';
import { allCodes, clampCode, inv, quantArb, qtensor, ref } from './helpers.js';

const RUNS = { numRuns: 60 };
const slopeArb = fc.oneof(
  fc.constant(0), fc.constant(1), fc.constant(-1), fc.double({ min: -3, max: 3, noNaN: true }),
  fc.double({ min: 1e-6, max: 1e-3, noNaN: true }), fc.double({ min: 1, max: 20, noNaN: true }),
);

/** Max |fixed - ideal| in LSB over every input code and channel, ideal = clamp(f(real)/outScale + zp) unrounded. */
function maxError(kernel: string, params: ParamValues, channels: number, inQ: QuantParams, outQ: QuantParams, f: (x: number, c: number) => number): number {
  const act = KERNELS.get(kernel)!.activation!;
  const codes = allCodes(inQ.dtype);
  let worst = 0;
  for (let c = 0; c < channels; c++) {
    for (const x of codes) {
      const y = act.applyCode(x, c, params);
      const ideal = clampCode(f(inQ.scale * (x - inQ.zeroPoint), c) / outQ.scale + outQ.zeroPoint, outQ.dtype);
      worst = Math.max(worst, Math.abs(y - ideal));
    }
  }
  return worst;
}

const leaky = (a: number) => (x: number) => (x >= 0 ? x : a * x);

for (const dtype of ['int8', 'int16'] as QDType[]) {
  describe(`piecewise-linear activations, ${dtype}`, () => {
    it('relu within 1 LSB', () => {
      fc.assert(fc.property(quantArb(dtype), quantArb(dtype), (i, o) => maxError('relu', reluParams(i, o), 1, i, o, (x) => Math.max(x, 0)) <= 1), RUNS);
    });
    it('relu with equal quantization is exactly max(x, zp)', () => {
      fc.assert(fc.property(quantArb(dtype), (q) => {
        const p = reluParams(q, q);
        return [...allCodes(dtype)].every((x) => KERNELS.get('relu')!.activation!.applyCode(x, 0, p) === Math.max(x, q.zeroPoint));
      }), { numRuns: 10 });
    });
    it('leaky_relu within 1 LSB for any slope (negative, tiny, above 1)', () => {
      fc.assert(fc.property(slopeArb, quantArb(dtype), quantArb(dtype), (a, i, o) => maxError('leaky_relu', leakyReluParams(a, i, o), 1, i, o, leaky(a)) <= 1), RUNS);
    });
    it('prelu within 1 LSB per channel', () => {
      fc.assert(fc.property(fc.array(slopeArb, { minLength: 1, maxLength: 4 }), quantArb(dtype), quantArb(dtype), (s, i, o) =>
        maxError('prelu', preluParams(s, i, o), s.length, i, o, (x, c) => leaky(s[c]!)(x)) <= 1), { numRuns: 30 });
    });
    it('clip within 1 LSB, including infinite and crossed bounds', () => {
      const bound = fc.oneof(fc.constant(Infinity), fc.constant(-Infinity), fc.double({ min: -50, max: 50, noNaN: true }));
      fc.assert(fc.property(bound, bound, quantArb(dtype), quantArb(dtype), (lo, hi, i, o) =>
        maxError('clip', clipParams(lo, hi, i, o), 1, i, o, (x) => Math.min(Math.max(x, lo), hi)) <= 1), RUNS);
    });
  });
}

/**
 * Interpolation bound of the 513-entry int16 tables: 1 LSB of rounding plus h^2/8 max|f''| and h*jump/4 at a kink
 * (the function's own kinks, or output saturation inside an interval, whose slope jump is at most max|f'|).
 */
function lutTolerance(dtype: QDType, i: QuantParams, o: QuantParams, f2: number, kinkJump: number): number {
  if (dtype === 'int8') return 0.5 + 1e-9;
  const h = 128 * i.scale;
  return 1 + (h * h * f2 / 8 + (h * kinkJump) / 4) / o.scale;
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const luts: [string, (i: QuantParams, o: QuantParams) => ParamValues, (x: number) => number, number, number][] = [
  // [name, table, float function, max|f''|, largest slope jump at a kink or saturation point]
  ['sigmoid', sigmoidParams, sig, 0.0963, 0.25],
  ['tanh', tanhParams, Math.tanh, 0.7699, 1],
  ['hardsigmoid', (i, o) => hardSigmoidParams(0.2, 0.5, i, o), (x) => Math.max(0, Math.min(1, 0.2 * x + 0.5)), 0, 0.2],
  ['hardswish', hardSwishParams, (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)), 1 / 3, 1.5],
];

for (const dtype of ['int8', 'int16'] as QDType[]) {
  describe(`lookup-table activations, ${dtype}`, () => {
    for (const [name, make, f, f2, kink] of luts) {
      it(`${name} within the stated LUT tolerance`, () => {
        fc.assert(fc.property(quantArb(dtype), quantArb(dtype), (i, o) => maxError(name, make(i, o), 1, i, o, f) <= lutTolerance(dtype, i, o, f2, kink)), { numRuns: 25 });
      });
    }
  });
}

describe('run() over tensors', () => {
  it('per-channel PRelu on NCHW uses axis 1, int8 and int16 alike', () => {
    for (const dtype of ['int8', 'int16'] as QDType[]) {
      const q: QuantParams = { scale: 0.05, zeroPoint: dtype === 'int8' ? 3 : 0, dtype };
      const slopes = [0.5, -2];
      const p = preluParams(slopes, q, q);
      const data = (dtype === 'int8' ? Int8Array : Int16Array).from([-20, 10, -20, 10, -20, 10, -20, 10]);
      const shape = [1, 2, 2, 2];
      const out = KERNELS.get('prelu')!.run(inv('prelu', [ref(shape, q)], [ref(shape, q)]), [qtensor(data, shape, q)], p)[0]!;
      const zp = q.zeroPoint;
      const exp = [...data].map((x, k) => (x >= zp ? x : zp + Math.round((x - zp) * slopes[k < 4 ? 0 : 1]!)));
      expect([...out.data]).toEqual(exp);
    }
  });
  it('run agrees with applyCode element by element', () => {
    const q: QuantParams = { scale: 0.1, zeroPoint: -5, dtype: 'int8' };
    const o: QuantParams = { scale: 0.07, zeroPoint: 9, dtype: 'int8' };
    const p = leakyReluParams(-0.3, q, o);
    const data = allCodes('int8') as Int8Array;
    const shape = [1, 1, 1, 256];
    const out = KERNELS.get('leaky_relu')!.run(inv('leaky_relu', [ref(shape, q)], [ref(shape, o)]), [qtensor(data, shape, q)], p)[0]!;
    expect([...out.data]).toEqual([...data].map((x) => KERNELS.get('leaky_relu')!.activation!.applyCode(x, 0, p)));
    expect(out.scale).toBe(0.07);
  });
});
