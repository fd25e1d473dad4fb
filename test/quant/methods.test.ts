// Tests of the calibration methods: the doubling histogram, and min-max / percentile / MSE / entropy ranges.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HIST_BINS, mseOf, percentileRange, rangeByMethod, ValueHistogram } from '../../src/quant/index.js';
import type { CalibMethod } from '../../src/quant/index.js';
import { normalSampler } from '../../src/quant/prng.js';

const values = fc.array(fc.float({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 });

function histOf(chunks: ArrayLike<number>[]): ValueHistogram {
  const h = new ValueHistogram();
  for (const c of chunks) h.add(c);
  return h;
}

function normal(n: number, seed: number, f: (v: number) => number = (v) => v): Float32Array {
  const next = normalSampler(seed);
  return Float32Array.from({ length: n }, () => f(next()));
}

describe('ValueHistogram', () => {
  it('keeps every value in the bin whose edges contain it, whatever order ranges grow in', () => {
    fc.assert(fc.property(fc.array(values, { minLength: 1, maxLength: 5 }), (chunks) => {
      const h = histOf(chunks);
      const all = chunks.flat().map((v) => Math.fround(v));
      expect(h.counts.reduce((a, b) => a + b, 0)).toBe(all.length);
      expect(h.min).toBe(Math.min(...all));
      expect(h.max).toBe(Math.max(...all));
      // doubling merges bins exactly; only values on a bin edge (up to rounding) may sit one bin off: the mass below
      // every edge is between the values below the edge one bin lower and those below the edge one bin higher
      const w = h.binWidth;
      let below = 0;
      for (let b = 0; b < HIST_BINS; b += 64) {
        const e = h.edge(b);
        expect(below).toBeGreaterThanOrEqual(all.filter((v) => v < e - w).length);
        expect(below).toBeLessThanOrEqual(all.filter((v) => v < e + w).length);
        for (let k = b; k < b + 64; k++) below += h.counts[k]!;
      }
    }));
  });
});

describe('calibration methods', () => {
  const methods: CalibMethod[] = ['minmax', 'percentile', 'mse', 'entropy'];

  it('every range lies inside min-max and min-max is exact', () => {
    fc.assert(fc.property(values, fc.constantFrom(...methods), fc.constantFrom('int8' as const, 'int16' as const), (vs, m, dt) => {
      const h = histOf([vs]);
      const r = rangeByMethod(h, m, dt);
      expect(r.min).toBeGreaterThanOrEqual(h.min);
      expect(r.max).toBeLessThanOrEqual(h.max);
      expect(r.min).toBeLessThanOrEqual(r.max);
      if (m === 'minmax') expect(r).toEqual({ min: h.min, max: h.max });
    }), { numRuns: 200 });
  });

  it('MSE never does worse than min-max on its own error measure', () => {
    fc.assert(fc.property(values, (vs) => {
      const h = histOf([vs]);
      const r = rangeByMethod(h, 'mse', 'int8');
      expect(mseOf(h, r, 'int8')).toBeLessThanOrEqual(mseOf(h, { min: h.min, max: h.max }, 'int8') + 1e-9);
    }), { numRuns: 100 });
  });

  it('percentile leaves at most the tail fraction (plus one bin) outside on each side', () => {
    const x = normal(100000, 7);
    const h = histOf([x]);
    const r = percentileRange(h, 0.999);
    const below = x.filter((v) => v < r.min).length;
    const above = x.filter((v) => v > r.max).length;
    expect(below).toBeLessThanOrEqual(100);
    expect(above).toBeLessThanOrEqual(100);
    expect(below + above).toBeGreaterThan(100); // it did clip: the bins at each edge are narrow
  });

  it('outliers: percentile, MSE and entropy clip a lone far value that min-max keeps, as each should', () => {
    const x = normal(100000, 3);
    x.fill(40, 0, 3); // 3 outliers at 40 sigma
    const h = histOf([x]);
    expect(rangeByMethod(h, 'minmax', 'int8').max).toBe(40);
    expect(rangeByMethod(h, 'percentile', 'int8').max).toBeLessThan(6);
    expect(rangeByMethod(h, 'entropy', 'int8').max).toBeLessThan(8);
    // MSE weighs the 3 clipped values' squared error against everyone's resolution: with 3 in 1e5 it clips
    expect(rangeByMethod(h, 'mse', 'int8').max).toBeLessThan(40);
  });

  it('entropy ignores the spike of exact zeros a ReLU output has and keeps most of a half-normal', () => {
    const h = histOf([normal(100000, 5, (v) => Math.max(0, v))]);
    const r = rangeByMethod(h, 'entropy', 'int8');
    expect(r.min).toBe(0);
    expect(r.max).toBeGreaterThan(3);
    expect(r.max).toBeLessThanOrEqual(h.max);
  });

  it('a constant tensor keeps its value', () => {
    for (const m of methods) expect(rangeByMethod(histOf([[2.5, 2.5]]), m, 'int8')).toEqual({ min: 2.5, max: 2.5 });
  });
});
