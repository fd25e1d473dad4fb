// Test: fixed point, calibration and activation quantization parameters.
// Contract: ranges are the min/max the reference produces; shared evaluation across graphs changes nothing; qparams cover the range with 0 exact.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GraphBuilder } from '../../src/ir/builder.js';
import { interpret } from '../../src/ir/interpret.js';
import { activationQParams, collectRanges, collectRangesMany, defaultSampleCount, randomSamples, QRANGE } from '../../src/quant/index.js';

function model(alpha: number) {
  const b = new GraphBuilder('m');
  const x = b.input('x', 'float32', [1, 2, 3, 3]);
  const c = b.node('Conv', [x, b.floats('w', [2, 2, 1, 1], [1, -2, 0.5, 1])], { kernel_shape: [1, 1] }, { name: 'conv' });
  const r = b.node('LeakyRelu', [c], { alpha }, { name: 'act' });
  b.output(b.node('Relu', [r], {}, { name: 'relu' }));
  return b.build();
}

describe('calibration', () => {
  it('records exactly the min and max of every value over all samples', () => {
    const g = model(0.1);
    const samples = randomSamples(g, 5, 3);
    const ranges = collectRanges(g, samples);
    for (const v of ['x', 'conv', 'act', 'relu']) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const s of samples) {
        const env = v === 'x' ? s.get('x')! : interpret({ ...g, outputs: [{ name: v, dtype: 'float32', shape: [] }] }, new Map(s)).get(v)!;
        for (const d of env.data as Float32Array) {
          lo = Math.min(lo, d);
          hi = Math.max(hi, d);
        }
      }
      expect(ranges.get(v)).toEqual({ min: lo, max: hi });
    }
  });

  it('shares evaluation across graphs without changing any range', () => {
    const a = model(0.1);
    const b = model(-0.5);
    const samples = randomSamples(a, 9, 2);
    const [ra, rb] = collectRangesMany([a, b], samples);
    expect(ra).toEqual(collectRanges(a, samples));
    expect(rb).toEqual(collectRanges(b, samples));
    expect(rb!.get('act')).not.toEqual(ra!.get('act'));
  });

  it('is deterministic for a seed and picks a sample count from the MAC budget', () => {
    const g = model(0.1);
    expect(randomSamples(g, 3, 2)).toEqual(randomSamples(g, 3, 2));
    expect(randomSamples(g, 3, 1)[0]!.get('x')!.data).not.toEqual(randomSamples(g, 4, 1)[0]!.get('x')!.data);
    expect(defaultSampleCount(g)).toBe(8);
  });
});

describe('activation quantization parameters', () => {
  it('cover the range, represent 0 exactly and respect the code range (property)', () => {
    const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(fc.property(finite, finite, fc.constantFrom('int8' as const, 'int16' as const), (a, b, dtype) => {
      const r = { min: Math.min(a, b), max: Math.max(a, b) };
      const q = activationQParams(r, dtype);
      const { qmin, qmax } = QRANGE[dtype];
      expect(q.scale).toBeGreaterThan(0);
      expect(Number.isInteger(q.zeroPoint)).toBe(true);
      expect(q.zeroPoint).toBeGreaterThanOrEqual(qmin);
      expect(q.zeroPoint).toBeLessThanOrEqual(qmax);
      if (dtype === 'int16') expect(q.zeroPoint).toBe(0);
      const lo = q.scale * (qmin - q.zeroPoint);
      const hi = q.scale * (qmax - q.zeroPoint);
      const slack = q.scale * 0.5 + 1e-9 * Math.max(1, Math.abs(r.min), Math.abs(r.max));
      expect(lo).toBeLessThanOrEqual(Math.min(r.min, 0) + slack);
      expect(hi).toBeGreaterThanOrEqual(Math.max(r.max, 0) - slack);
    }), { numRuns: 2000 });
  });

  it('gives a degenerate (all-zero) range a usable scale', () => {
    expect(activationQParams({ min: 0, max: 0 }, 'int8').scale).toBeGreaterThan(0);
    expect(activationQParams(undefined, 'int16').scale).toBeGreaterThan(0);
  });
});
