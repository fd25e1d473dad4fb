// Tests: kernel library / MAC, pool and elementwise kernels. Fixed point vs the real-valued result of the same
// quantized operands (so only the kernel's integer arithmetic is under test), within 1 LSB.
// Why: requantization, zero points, padding, groups and broadcasting are where integer kernels go wrong.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../kernels/index.js';
import { conv2dParams } from '../../kernels/conv2d.js';
import { fullyConnectedParams } from '../../kernels/fully-connected.js';
import { avgPoolParams } from '../../kernels/avgpool.js';
import { globalAvgPoolParams } from '../../kernels/global-avgpool.js';
import { addParams } from '../../kernels/add.js';
import { mulParams } from '../../kernels/mul.js';
import { concatParams } from '../../kernels/concat.js';
import { leakyReluParams } from '../../kernels/leaky-relu.js';
import { preluParams } from '../../kernels/prelu.js';
import type { AttrMap, ParamValues, QDType, QTensor, QuantParams } from '../../kernels/types.js';
import { clampCode, inv, quantArb, qtensor, randomCodes, ref } from './helpers.js';

function real(t: QTensor, i: number): number {
  return t.scale * (t.data[i]! - t.zeroPoint);
}

function expectWithin(got: ArrayLike<number>, idealReal: ArrayLike<number>, o: QuantParams, lsb = 1, lo?: number, hi?: number): void {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    let ideal = clampCode(idealReal[i]! / o.scale + o.zeroPoint, o.dtype);
    if (lo !== undefined) ideal = Math.max(ideal, lo);
    if (hi !== undefined) ideal = Math.min(ideal, hi);
    worst = Math.max(worst, Math.abs(got[i]! - ideal));
  }
  expect(worst).toBeLessThanOrEqual(lsb);
}

interface ConvCase { n: number; c: number; h: number; w: number; oc: number; k: number; s: number; p: number; d: number; g: number }

const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 4 }), ocg: fc.integer({ min: 1, max: 3 }),
    g: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 3, max: 7 }), w: fc.integer({ min: 3, max: 7 }),
    k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 1, max: 2 }),
  })
  .map((r) => ({ n: r.n, c: r.cg * r.g, h: r.h + 2, w: r.w + 2, oc: r.ocg * r.g, k: r.k, s: r.s, p: r.p, d: r.d, g: r.g }));

/** Real-valued conv of the dequantized operands (the exact accumulator in real units). */
function convReal(x: QTensor, wq: Int8Array, ws: Float64Array, bq: Int32Array, cs: ConvCase, oh: number, ow: number): Float64Array {
  const cg = cs.c / cs.g, ocg = cs.oc / cs.g;
  const out = new Float64Array(cs.n * cs.oc * oh * ow);
  for (let n = 0; n < cs.n; n++) for (let oc = 0; oc < cs.oc; oc++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
    let acc = bq[oc]! * x.scale * ws[oc]!;
    const grp = Math.floor(oc / ocg);
    for (let icg = 0; icg < cg; icg++) for (let i = 0; i < cs.k; i++) for (let j = 0; j < cs.k; j++) {
      const iy = y * cs.s - cs.p + i * cs.d, ix = xx * cs.s - cs.p + j * cs.d;
      if (iy < 0 || iy >= cs.h || ix < 0 || ix >= cs.w) continue;
      const ic = grp * cg + icg;
      acc += real(x, ((n * cs.c + ic) * cs.h + iy) * cs.w + ix) * wq[((oc * cg + icg) * cs.k + i) * cs.k + j]! * ws[oc]!;
    }
    out[((n * cs.oc + oc) * oh + y) * ow + xx] = acc;
  }
  return out;
}

function floats(n: number, seed: number, amp = 1): Float64Array {
  const codes = randomCodes(n, 'int16', seed);
  return Float64Array.from(codes, (c) => (c / 32768) * amp);
}

function convSetup(cs: ConvCase, dtype: QDType, seed: number, inQ: QuantParams, outQ: QuantParams) {
  const oh = Math.floor((cs.h + 2 * cs.p - cs.d * (cs.k - 1) - 1) / cs.s) + 1;
  const ow = Math.floor((cs.w + 2 * cs.p - cs.d * (cs.k - 1) - 1) / cs.s) + 1;
  const wf = floats(cs.oc * (cs.c / cs.g) * cs.k * cs.k, seed, 0.5);
  const bias = floats(cs.oc, seed + 1, 2);
  const x = qtensor(randomCodes(cs.n * cs.c * cs.h * cs.w, dtype, seed + 2), [cs.n, cs.c, cs.h, cs.w], inQ);
  const attrs: AttrMap = { kernel_shape: [cs.k, cs.k], strides: [cs.s, cs.s], pads: [cs.p, cs.p, cs.p, cs.p], dilations: [cs.d, cs.d], group: cs.g };
  const outShape = [cs.n, cs.oc, oh, ow];
  return { oh, ow, wf, bias, x, attrs, outShape, params: conv2dParams({ weights: wf, cOut: cs.oc, bias }, inQ, outQ) };
}

const weightScales = (wf: Float64Array, cOut: number): Float64Array => {
  const per = wf.length / cOut;
  return Float64Array.from({ length: cOut }, (_, c) => Math.max(...wf.slice(c * per, (c + 1) * per).map(Math.abs)) / 127 || 1);
};

for (const dtype of ['int8', 'int16'] as QDType[]) {
  describe(`conv2d, ${dtype}`, () => {
    it('grouped/depthwise/strided/padded/dilated conv within 1 LSB of the real accumulator', () => {
      fc.assert(fc.property(convCaseArb, quantArb(dtype), quantArb(dtype), fc.integer({ min: 1, max: 1e6 }), (cs, inQ, outQ0, seed) => {
        const outQ = { ...outQ0, scale: outQ0.scale * 8 };
        const s = convSetup(cs, dtype, seed, inQ, outQ);
        const out = KERNELS.get('conv2d')!.run(inv('conv2d', [ref(s.x.shape, inQ)], [ref(s.outShape, outQ)], s.attrs, s.params), [s.x], s.params)[0]!;
        const ideal = convReal(s.x, s.params['weights'] as Int8Array, weightScales(s.wf, cs.oc), s.params['bias'] as Int32Array, cs, s.oh, s.ow);
        expectWithin(out.data, ideal, outQ);
        expect(out.shape).toEqual(s.outShape);
      }), { numRuns: 40 });
    });
    it('a fused Relu clamp and a LeakyRelu/PRelu epilogue equal the unfused kernels bit for bit', () => {
      fc.assert(fc.property(convCaseArb, quantArb(dtype), quantArb(dtype), quantArb(dtype), fc.double({ min: -2, max: 2, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), (cs, inQ, midQ, outQ, a, seed) => {
        const s = convSetup(cs, dtype, seed, inQ, midQ);
        const conv = KERNELS.get('conv2d')!;
        const plain = conv.run(inv('conv2d', [ref(s.x.shape, inQ)], [ref(s.outShape, midQ)], s.attrs, s.params), [s.x], s.params)[0]!;
        const cases: [string, ParamValues][] = [
          ['leaky_relu', leakyReluParams(a, midQ, outQ)],
          ['prelu', preluParams(Array.from({ length: cs.oc }, (_, c) => a * (c + 1) / cs.oc), midQ, outQ)],
        ];
        for (const [k, ep] of cases) {
          const act = KERNELS.get(k)!;
          const unfused = act.run(inv(k, [ref(s.outShape, midQ)], [ref(s.outShape, outQ)]), [plain], ep)[0]!;
          const i = inv('conv2d', [ref(s.x.shape, inQ)], [ref(s.outShape, outQ)], s.attrs, s.params);
          i.epilogue = { kernel: k, node: 'act', attrs: {}, params: [] };
          const fused = conv.run(i, [s.x], s.params, ep)[0]!;
          expect([...fused.data]).toEqual([...unfused.data]);
        }
        // Relu folded as the output clamp (same quantization in and out): max(conv, zp).
        const relu = conv2dParams({ weights: s.wf, cOut: cs.oc, bias: s.bias }, inQ, midQ, { lo: 0 });
        const clamped = conv.run(inv('conv2d', [ref(s.x.shape, inQ)], [ref(s.outShape, midQ)], s.attrs, relu), [s.x], relu)[0]!;
        expect([...clamped.data]).toEqual([...plain.data].map((v) => Math.max(v, midQ.zeroPoint)));
      }), { numRuns: 25 });
    });
  });
}

describe('fully_connected', () => {
  it('within 1 LSB of the real result, batch of 3, int8 and int16', () => {
    for (const dtype of ['int8', 'int16'] as QDType[]) {
      fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), quantArb(dtype), quantArb(dtype), fc.integer({ min: 1, max: 1e6 }), (k, cOut, inQ, outQ0, seed) => {
        const outQ = { ...outQ0, scale: outQ0.scale * 4 };
        const wf = floats(cOut * k, seed, 0.3);
        const bias = floats(cOut, seed + 7);
        const p = fullyConnectedParams({ weights: wf, cOut, bias }, inQ, outQ);
        const x = qtensor(randomCodes(3 * k, dtype, seed + 3), [3, k], inQ);
        const out = KERNELS.get('fully_connected')!.run(inv('fully_connected', [ref([3, k], inQ)], [ref([3, cOut], outQ)], {}, p), [x], p)[0]!;
        const ws = weightScales(wf, cOut);
        const wq = p['weights'] as Int8Array, bq = p['bias'] as Int32Array;
        const ideal = Array.from({ length: 3 * cOut }, (_, i) => {
          const b = Math.floor(i / cOut), o = i % cOut;
          let acc = bq[o]! * inQ.scale * ws[o]!;
          for (let j = 0; j < k; j++) acc += real(x, b * k + j) * wq[o * k + j]! * ws[o]!;
          return acc;
        });
        expectWithin(out.data, ideal, outQ);
      }), { numRuns: 30 });
    }
  });
});

describe('pools', () => {
  const geo = fc.record({ h: fc.integer({ min: 2, max: 9 }), w: fc.integer({ min: 2, max: 9 }), k: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), p: fc.integer({ min: 0, max: 1 }), inc: fc.integer({ min: 0, max: 1 }) })
    .filter((g) => g.k > g.p && g.h + 2 * g.p >= g.k && g.w + 2 * g.p >= g.k);
  it('maxpool is the exact window maximum and ignores padding', () => {
    fc.assert(fc.property(geo, fc.integer({ min: 1, max: 1e6 }), (g, seed) => {
      const q: QuantParams = { scale: 0.1, zeroPoint: 5, dtype: 'int8' };
      const oh = Math.floor((g.h + 2 * g.p - g.k) / g.s) + 1, ow = Math.floor((g.w + 2 * g.p - g.k) / g.s) + 1;
      const x = qtensor(randomCodes(2 * g.h * g.w, 'int8', seed), [1, 2, g.h, g.w], q);
      const attrs = { kernel_shape: [g.k, g.k], strides: [g.s, g.s], pads: [g.p, g.p, g.p, g.p] };
      const out = KERNELS.get('maxpool')!.run(inv('maxpool', [ref(x.shape, q)], [ref([1, 2, oh, ow], q)], attrs), [x], {})[0]!;
      for (let c = 0; c < 2; c++) for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
        let m = -Infinity;
        for (let i = 0; i < g.k; i++) for (let j = 0; j < g.k; j++) {
          const iy = y * g.s - g.p + i, ix = xx * g.s - g.p + j;
          if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) m = Math.max(m, x.data[(c * g.h + iy) * g.w + ix]!);
        }
        expect(out.data[(c * oh + y) * ow + xx]).toBe(m);
      }
    }), { numRuns: 50 });
  });
  it('avgpool within 1 LSB (count_include_pad 0 and 1, rescaled output)', () => {
    fc.assert(fc.property(geo, quantArb('int8'), quantArb('int8'), fc.integer({ min: 1, max: 1e6 }), (g, inQ, outQ, seed) => {
      const oh = Math.floor((g.h + 2 * g.p - g.k) / g.s) + 1, ow = Math.floor((g.w + 2 * g.p - g.k) / g.s) + 1;
      const x = qtensor(randomCodes(g.h * g.w, 'int8', seed), [1, 1, g.h, g.w], inQ);
      const attrs = { kernel_shape: [g.k, g.k], strides: [g.s, g.s], pads: [g.p, g.p, g.p, g.p], count_include_pad: g.inc };
      const p = avgPoolParams(g.k * g.k, inQ, outQ);
      const out = KERNELS.get('avgpool')!.run(inv('avgpool', [ref(x.shape, inQ)], [ref([1, 1, oh, ow], outQ)], attrs, p), [x], p)[0]!;
      const ideal: number[] = [];
      for (let y = 0; y < oh; y++) for (let xx = 0; xx < ow; xx++) {
        let sum = 0, cnt = 0;
        for (let i = 0; i < g.k; i++) for (let j = 0; j < g.k; j++) {
          const iy = y * g.s - g.p + i, ix = xx * g.s - g.p + j;
          if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) { sum += real(x, iy * g.w + ix); cnt++; }
        }
        ideal.push(sum / (g.inc ? g.k * g.k : cnt));
      }
      expectWithin(out.data, ideal, outQ);
    }), { numRuns: 60 });
  });
  it('global_avgpool and ReduceMean within 1 LSB, int8 and int16', () => {
    for (const dtype of ['int8', 'int16'] as QDType[]) {
      fc.assert(fc.property(quantArb(dtype), quantArb(dtype), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 1e6 }), (inQ, outQ, hw, seed) => {
        const x = qtensor(randomCodes(3 * hw * hw, dtype, seed), [1, 3, hw, hw], inQ);
        const p = globalAvgPoolParams(hw * hw, inQ, outQ);
        for (const attrs of [{}, { axes: [2, 3], keepdims: 0 }]) {
          const out = KERNELS.get('global_avgpool')!.run(inv('global_avgpool', [ref(x.shape, inQ)], [ref([1, 3, 1, 1], outQ)], attrs, p), [x], p)[0]!;
          const ideal = [0, 1, 2].map((c) => { let s = 0; for (let i = 0; i < hw * hw; i++) s += real(x, c * hw * hw + i); return s / (hw * hw); });
          expectWithin(out.data, ideal, outQ);
        }
      }), { numRuns: 30 });
    }
  });
  it('ReduceMean over a non-spatial axis is refused naming the node', () => {
    const q: QuantParams = { scale: 1, zeroPoint: 0, dtype: 'int8' };
    const i = inv('global_avgpool', [ref([1, 2, 2, 2], q)], [ref([1, 1, 2, 2], q)], { axes: [1] }, globalAvgPoolParams(4, q, q));
    expect(() => KERNELS.get('global_avgpool')!.run(i, [qtensor(new Int8Array(8), [1, 2, 2, 2], q)], globalAvgPoolParams(4, q, q))).toThrow(/global_avgpool_node.*not a spatial mean/);
  });
});

describe('elementwise', () => {
  const shapes = fc.constantFrom<[number[], number[], number[]]>(
    [[1, 3, 4, 4], [1, 3, 4, 4], [1, 3, 4, 4]], [[1, 3, 4, 4], [1, 3, 1, 1], [1, 3, 4, 4]], [[2, 1, 3], [4, 1], [2, 4, 3]],
  );
  for (const dtype of ['int8', 'int16'] as QDType[]) {
    for (const [kernel, sign] of [['add', 1], ['sub', -1]] as const) {
      it(`${kernel} within 1 LSB with broadcasting, ${dtype}`, () => {
        fc.assert(fc.property(shapes, quantArb(dtype), quantArb(dtype), quantArb(dtype), fc.integer({ min: 1, max: 1e6 }), ([sa, sb, so], qa, qb, qo0, seed) => {
          const qo = { ...qo0, scale: qo0.scale * 2 };
          const a = qtensor(randomCodes(sa.reduce((x, y) => x * y), dtype, seed), sa, qa);
          const b = qtensor(randomCodes(sb.reduce((x, y) => x * y), dtype, seed + 1), sb, qb);
          const p = addParams(qa, qb, qo);
          const out = KERNELS.get(kernel)!.run(inv(kernel, [ref(sa, qa), ref(sb, qb)], [ref(so, qo)], {}, p), [a, b], p)[0]!;
          expectWithin(out.data, bcast(so, sa, sb, (i, j) => real(a, i) + sign * real(b, j)), qo);
        }), { numRuns: 40 });
      });
    }
    it(`mul within 1 LSB with broadcasting, ${dtype}`, () => {
      fc.assert(fc.property(shapes, quantArb(dtype), quantArb(dtype), quantArb(dtype), fc.integer({ min: 1, max: 1e6 }), ([sa, sb, so], qa, qb, qo0, seed) => {
        const qo = { ...qo0, scale: qo0.scale * qa.scale * 50 };
        const a = qtensor(randomCodes(sa.reduce((x, y) => x * y), dtype, seed), sa, qa);
        const b = qtensor(randomCodes(sb.reduce((x, y) => x * y), dtype, seed + 1), sb, qb);
        const p = mulParams(qa, qb, qo);
        const out = KERNELS.get('mul')!.run(inv('mul', [ref(sa, qa), ref(sb, qb)], [ref(so, qo)], {}, p), [a, b], p)[0]!;
        expectWithin(out.data, bcast(so, sa, sb, (i, j) => real(a, i) * real(b, j)), qo);
      }), { numRuns: 40 });
    });
  }
  it('concat copies equal quantizations and requantizes others within 1 LSB', () => {
    fc.assert(fc.property(quantArb('int8'), quantArb('int8'), fc.integer({ min: 1, max: 1e6 }), (q1, q2, seed) => {
      const a = qtensor(randomCodes(2 * 2 * 3, 'int8', seed), [2, 2, 3], q1);
      const b = qtensor(randomCodes(2 * 1 * 3, 'int8', seed + 1), [2, 1, 3], q2);
      const p = concatParams([q1, q2], q1);
      const out = KERNELS.get('concat')!.run(inv('concat', [ref(a.shape, q1), ref(b.shape, q2)], [ref([2, 3, 3], q1)], { axis: 1 }, p), [a, b], p)[0]!;
      for (let r = 0; r < 2; r++) {
        expect([...out.data.slice(r * 9, r * 9 + 6)]).toEqual([...a.data.slice(r * 6, r * 6 + 6)]);
        expectWithin(out.data.slice(r * 9 + 6, r * 9 + 9), Array.from({ length: 3 }, (_, i) => real(b, r * 3 + i)), q1);
      }
    }), { numRuns: 60 });
  });
});

/** Numpy-broadcast reference: f(index into a, index into b) for each output element. */
function bcast(so: number[], sa: number[], sb: number[], f: (i: number, j: number) => number): number[] {
  const idx = (s: number[], coord: number[]): number => {
    const pad = so.length - s.length;
    let k = 0;
    for (let d = 0; d < s.length; d++) k = k * s[d]! + (s[d] === 1 ? 0 : coord[d + pad]!);
    return k;
  };
  const n = so.reduce((x, y) => x * y);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const coord: number[] = [];
    let r = i;
    for (let d = so.length - 1; d >= 0; d--) { coord[d] = r % so[d]!; r = Math.floor(r / so[d]!); }
    out.push(f(idx(sa, coord), idx(sb, coord)));
  }
  return out;
}
