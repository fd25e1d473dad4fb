// Tests: the simulator's hot kernel paths (conv2d pixel-pair packing, branch-free output stage) equal the plain integer definition.
// Contract: bit-for-bit against a naive reference built only from multiplyByQuantizedMultiplierWide and exact sums, on random cases.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KERNELS } from '../../kernels/index.js';
import { multiplyByQuantizedMultiplierWide } from '../../kernels/fixedpoint.js';
import { writeChannel } from '../../kernels/output-stage.js';
import { activationDef } from '../../kernels/activations.js';
import { reluParams } from '../../kernels/relu.js';
import { leakyReluParams } from '../../kernels/leaky-relu.js';
import { preluParams } from '../../kernels/prelu.js';
import { sigmoidParams } from '../../kernels/sigmoid.js';
import type { Invocation, ParamValues, QDType, QTensor } from '../../kernels/types.js';
import { ints } from '../kernels/helpers.js';

interface Case {
  c: number; oc: number; group: number; h: number; w: number; k: number; stride: number; pad: number; dil: number;
  dtype: QDType; zp: number; seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  cg: fc.integer({ min: 1, max: 6 }), ocg: fc.integer({ min: 1, max: 6 }), group: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), k: fc.constantFrom(1, 2, 3), stride: fc.constantFrom(1, 2),
  pad: fc.integer({ min: 0, max: 2 }), dil: fc.constantFrom(1, 2), dtype: fc.constantFrom<QDType>('int8', 'int16'),
  zpPick: fc.constantFrom(0, 1, -1, 127, -128), seed: fc.integer({ min: 1, max: 1e9 }),
}).map((r) => ({
  c: r.cg * r.group, oc: r.ocg * r.group, group: r.group, h: r.h + (r.k - 1) * r.dil, w: r.w + (r.k - 1) * r.dil, k: r.k,
  stride: r.stride, pad: r.pad, dil: r.dil, dtype: r.dtype, zp: r.dtype === 'int8' ? r.zpPick : 0, seed: r.seed,
}));

function setup(cs: Case) {
  const oh = Math.floor((cs.h + 2 * cs.pad - cs.dil * (cs.k - 1) - 1) / cs.stride) + 1;
  const ow = Math.floor((cs.w + 2 * cs.pad - cs.dil * (cs.k - 1) - 1) / cs.stride) + 1;
  const [qmin, qmax] = cs.dtype === 'int8' ? [-128, 127] : [-32768, 32767];
  const xs = ints(cs.c * cs.h * cs.w, qmin, qmax, cs.seed);
  const x: QTensor = { data: cs.dtype === 'int8' ? Int8Array.from(xs) : Int16Array.from(xs), shape: [1, cs.c, cs.h, cs.w], scale: 0.1, zeroPoint: cs.zp };
  const wts = Int8Array.from(ints(cs.oc * (cs.c / cs.group) * cs.k * cs.k, -127, 127, cs.seed + 1));
  const params: ParamValues = {
    weights: wts,
    bias: Int32Array.from(ints(cs.oc, -100000, 100000, cs.seed + 2)),
    multiplier: Int32Array.from(ints(cs.oc, 1 << 30, 2 ** 31 - 1, cs.seed + 3)),
    shift: Int32Array.from(ints(cs.oc, -20, 1, cs.seed + 4)),
    out_min: Int32Array.of(qmin + 3), out_max: Int32Array.of(qmax - 5),
  };
  const ref = (shape: number[]) => ({ buffer: 0, shape, dtype: cs.dtype, scale: 0.1, zeroPoint: cs.dtype === 'int8' ? 4 : 0 });
  const inv: Invocation = {
    index: 0, kernel: 'conv2d', node: 'c', origin: [], inputs: [ref(x.shape)], outputs: [ref([1, cs.oc, oh, ow])],
    attrs: { kernel_shape: [cs.k, cs.k], strides: [cs.stride, cs.stride], pads: [cs.pad, cs.pad, cs.pad, cs.pad], dilations: [cs.dil, cs.dil], group: cs.group },
    params: [],
  };
  return { x, params, inv, oh, ow };
}

/** The definition: exact integer accumulator, TFLite requantization, clamp. */
function naiveConv(cs: Case, x: QTensor, p: ParamValues, oh: number, ow: number, outZp: number): number[] {
  const cg = cs.c / cs.group;
  const ocg = cs.oc / cs.group;
  const w = p['weights']!;
  const out: number[] = [];
  for (let o = 0; o < cs.oc; o++) {
    const grp = Math.floor(o / ocg);
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let acc = 0;
        for (let ic = 0; ic < cg; ic++) {
          for (let i = 0; i < cs.k; i++) {
            for (let j = 0; j < cs.k; j++) {
              const iy = y * cs.stride + i * cs.dil - cs.pad;
              const ix = xx * cs.stride + j * cs.dil - cs.pad;
              if (iy < 0 || ix < 0 || iy >= cs.h || ix >= cs.w) continue;
              const xv = x.data[((grp * cg + ic) * cs.h + iy) * cs.w + ix]! - x.zeroPoint;
              acc += w[((o * cg + ic) * cs.k + i) * cs.k + j]! * xv;
            }
          }
        }
        const q = outZp + multiplyByQuantizedMultiplierWide(acc + p['bias']![o]!, p['multiplier']![o]!, p['shift']![o]!);
        out.push(Math.min(p['out_max']![0]!, Math.max(p['out_min']![0]!, q)));
      }
    }
  }
  return out;
}

describe('conv2d fast paths equal the integer definition bit for bit', () => {
  it('random grouped/depthwise/strided/padded/dilated convs, int8 and int16, extreme zero points', () => {
    fc.assert(fc.property(caseArb, (cs) => {
      const s = setup(cs);
      const got = KERNELS.get('conv2d')!.run(s.inv, [s.x], s.params)[0]!;
      expect(Array.from(got.data)).toEqual(naiveConv(cs, s.x, s.params, s.oh, s.ow, s.inv.outputs[0]!.zeroPoint));
    }), { numRuns: 400 });
  });
});

describe('conv2d with an activation epilogue equals conv then the activation, code for code', () => {
  it('relu, leaky_relu, per-channel prelu and sigmoid epilogues (int8 tables, int16 functions)', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom('relu', 'leaky_relu', 'prelu', 'sigmoid'), fc.double({ min: -2, max: 2, noNaN: true }), (cs, kernel, slope) => {
      const s = setup(cs);
      const mid = { scale: 0.37, zeroPoint: cs.dtype === 'int8' ? -7 : 0, dtype: cs.dtype };
      const outQ = { scale: 0.21, zeroPoint: cs.dtype === 'int8' ? 3 : 0, dtype: cs.dtype };
      const ep = kernel === 'relu' ? reluParams(mid, outQ) : kernel === 'leaky_relu' ? leakyReluParams(slope, mid, outQ)
        : kernel === 'prelu' ? preluParams(Array.from({ length: cs.oc }, (_, c) => slope * (c + 1) / cs.oc), mid, outQ) : sigmoidParams(mid, outQ);
      const conv = KERNELS.get('conv2d')!;
      const plainInv = { ...s.inv, outputs: [{ ...s.inv.outputs[0]!, scale: mid.scale, zeroPoint: mid.zeroPoint }] };
      const plain = conv.run(plainInv, [s.x], s.params)[0]!;
      const foldedInv: Invocation = { ...s.inv, outputs: [{ ...s.inv.outputs[0]!, scale: outQ.scale, zeroPoint: outQ.zeroPoint }], epilogue: { kernel, node: 'a', attrs: {}, params: [] } };
      const folded = conv.run(foldedInv, [s.x], s.params, ep)[0]!;
      const act = activationDef(kernel)!;
      const per = s.oh * s.ow;
      expect(Array.from(folded.data)).toEqual(Array.from(plain.data, (code, i) => act.applyCode(code, act.channels(ep) > 1 ? Math.floor(i / per) : 0, ep)));
    }), { numRuns: 300 });
  });
});

describe('writeChannel (branch-free requantization) equals multiplyByQuantizedMultiplierWide + clamp', () => {
  it('random accumulators, multipliers of both signs, left and right shifts, saturation', () => {
    const acc = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -5000, max: 5000 }),
      fc.double({ min: -(2 ** 40), max: 2 ** 40, noNaN: true }).map(Math.round));
    fc.assert(fc.property(fc.array(acc, { minLength: 1, maxLength: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.integer({ min: -31, max: 8 }), fc.integer({ min: -40000, max: 40000 }), fc.integer({ min: -128, max: 127 }),
      fc.constantFrom<QDType>('int8', 'int16'), (vals, m, shift, bias, zp, dt) => {
        const [lo, hi] = dt === 'int8' ? [-128, 127] : [-32768, 32767];
        const out = dt === 'int8' ? new Int8Array(vals.length) : new Int16Array(vals.length);
        writeChannel(Float64Array.from(vals), vals.length, out, 0, 1, bias, m, shift, zp, lo, hi, 0, null);
        const want = vals.map((v) => Math.min(hi, Math.max(lo, zp + multiplyByQuantizedMultiplierWide(v + bias, m, shift))));
        expect(Array.from(out)).toEqual(want);
      }), { numRuns: 3000 });
  });
});
