// Tests: kernel library / WebAssembly SIMD int8 path of conv2d and fully_connected against the scalar JS reference.
// Why: the simulator's speed comes from kernels/wasm; it must give the scalar kernels' codes bit for bit, or step aside.

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { KERNELS } from '../../kernels/index.js';
import { int8OutputStage, runConv2dScalar } from '../../kernels/conv2d.js';
import { runFcScalar } from '../../kernels/fully-connected.js';
import { conv2dInt8Wasm, fullyConnectedInt8Wasm } from '../../kernels/wasm/conv-int8.js';
import { setWasmKernels, wasmSimdAvailable } from '../../kernels/wasm/runtime.js';
import { reluParams } from '../../kernels/relu.js';
import { leakyReluParams } from '../../kernels/leaky-relu.js';
import { preluParams } from '../../kernels/prelu.js';
import { sigmoidParams } from '../../kernels/sigmoid.js';
import { clipParams } from '../../kernels/clip.js';
import { convGeometry } from '../../kernels/conv2d.js';
import type { Invocation, ParamValues, QTensor } from '../../kernels/types.js';
import { ints, inv as makeInv, randomCodes, ref } from './helpers.js';

afterEach(() => setWasmKernels(true));

type Epi = 'none' | 'relu' | 'leaky_relu' | 'prelu' | 'sigmoid' | 'clip';

interface ConvCase {
  n: number; cg: number; ocg: number; group: number; h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pads: [number, number, number, number];
  zp: number; shiftLo: number; shiftHi: number; biasMax: number; epi: Epi; slope: number; seed: number;
}

const caseArb: fc.Arbitrary<ConvCase> = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  cg: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 8, max: 40 })),
  ocg: fc.integer({ min: 1, max: 9 }),
  group: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 12 }), w: fc.integer({ min: 1, max: 19 }),
  kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
  dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
  pads: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  zp: fc.oneof(fc.constantFrom(0, 1, -1, 127, -128), fc.integer({ min: -128, max: 127 })),
  shiftLo: fc.integer({ min: -31, max: 0 }), shiftHi: fc.integer({ min: -12, max: 4 }),
  biasMax: fc.constantFrom(0, 1000, 100000, 2 ** 31 - 1),
  epi: fc.constantFrom<Epi>('none', 'none', 'relu', 'leaky_relu', 'prelu', 'sigmoid', 'clip'),
  slope: fc.double({ min: -2, max: 2, noNaN: true }),
  seed: fc.integer({ min: 1, max: 1e9 }),
});

function epilogueOf(cs: ConvCase, oc: number): { kernel: string; params: ParamValues; zp: number } | null {
  const mid = { scale: 0.37, zeroPoint: -7, dtype: 'int8' as const };
  const outQ = { scale: 0.21, zeroPoint: 3, dtype: 'int8' as const };
  switch (cs.epi) {
    case 'none': return null;
    case 'relu': return { kernel: 'relu', params: reluParams(mid, outQ), zp: 3 };
    case 'leaky_relu': return { kernel: 'leaky_relu', params: leakyReluParams(cs.slope, mid, outQ), zp: 3 };
    case 'prelu': return { kernel: 'prelu', params: preluParams(Array.from({ length: oc }, (_, c) => cs.slope * (c + 1) / oc), mid, outQ), zp: 3 };
    case 'sigmoid': return { kernel: 'sigmoid', params: sigmoidParams(mid, outQ), zp: 3 };
    case 'clip': return { kernel: 'clip', params: clipParams(-1, 6 * cs.slope, mid, outQ), zp: 3 };
  }
}

function convSetup(cs: ConvCase) {
  const c = cs.cg * cs.group, oc = cs.ocg * cs.group;
  const h = cs.h + (cs.kh - 1) * cs.dh, w = cs.w + (cs.kw - 1) * cs.dw;
  const [pt, pl, pb, pr] = cs.pads;
  const oh = Math.floor((h + pt + pb - cs.dh * (cs.kh - 1) - 1) / cs.sh) + 1;
  const ow = Math.floor((w + pl + pr - cs.dw * (cs.kw - 1) - 1) / cs.sw) + 1;
  const q = { scale: 0.1, zeroPoint: cs.zp, dtype: 'int8' as const };
  const x: QTensor = { data: randomCodes(cs.n * c * h * w, 'int8', cs.seed), shape: [cs.n, c, h, w], scale: 0.1, zeroPoint: cs.zp };
  const params: ParamValues = {
    weights: Int8Array.from(ints(oc * cs.cg * cs.kh * cs.kw, -128, 127, cs.seed + 1)),
    bias: Int32Array.from(ints(oc, -cs.biasMax, cs.biasMax, cs.seed + 2)),
    multiplier: Int32Array.from(ints(oc, -(2 ** 31) + 1, 2 ** 31 - 1, cs.seed + 3)),
    shift: Int32Array.from(ints(oc, Math.min(cs.shiftLo, cs.shiftHi), Math.max(cs.shiftLo, cs.shiftHi), cs.seed + 4)),
    out_min: Int32Array.of(ints(1, -128, 0, cs.seed + 5)[0]!), out_max: Int32Array.of(ints(1, -10, 127, cs.seed + 6)[0]!),
  };
  const e = epilogueOf(cs, oc);
  const outQ = { scale: 0.2, zeroPoint: e ? e.zp : 4, dtype: 'int8' as const };
  const invocation: Invocation = makeInv('conv2d', [ref(x.shape, q)], [ref([cs.n, oc, oh, ow], outQ)], {
    kernel_shape: [cs.kh, cs.kw], strides: [cs.sh, cs.sw], pads: [pt, pl, pb, pr], dilations: [cs.dh, cs.dw], group: cs.group,
  }, params);
  if (e) invocation.epilogue = { kernel: e.kernel, node: 'act', attrs: {}, params: [] };
  return { x, params, inv: invocation, ep: e?.params };
}

describe('wasm conv2d equals the scalar conv2d bit for bit', () => {
  it.skipIf(!wasmSimdAvailable())('random grouped, depthwise, strided, padded, dilated convs with epilogues and extreme zero points', () => {
    let taken = 0, runs = 0;
    fc.assert(fc.property(caseArb, (cs) => {
      const s = convSetup(cs);
      const want = runConv2dScalar(s.inv, [s.x], s.params, s.ep)[0]!.data;
      const got = conv2dInt8Wasm(convGeometry(s.inv), s.x, s.params['weights'] as Int8Array, int8OutputStage(s.inv, s.params, s.ep));
      runs++;
      if (got) {
        taken++;
        expect(Array.from(got)).toEqual(Array.from(want));
      }
      // the kernel's own run() picks whichever path applies and must agree too
      expect(Array.from(KERNELS.get('conv2d')!.run(s.inv, [s.x], s.params, s.ep)[0]!.data)).toEqual(Array.from(want));
    }), { numRuns: 500 });
    // most random cases satisfy the fast path's preconditions: the comparison above is not vacuous
    expect(taken).toBeGreaterThan(runs / 2);
  });

  it.skipIf(!wasmSimdAvailable())('takes the fast path on MobileNet-like layers (1x1 wide, 3x3 depthwise stride 1 and 2, strided stem)', () => {
    const base = { n: 1, group: 1, dh: 1, dw: 1, zp: -5, shiftLo: -9, shiftHi: -7, biasMax: 5000, epi: 'clip' as Epi, slope: 1, seed: 7 };
    const layers: ConvCase[] = [
      { ...base, cg: 320, ocg: 12, h: 3, w: 3, kh: 1, kw: 1, sh: 1, sw: 1, pads: [0, 0, 0, 0] },
      { ...base, cg: 1, ocg: 1, group: 24, h: 9, w: 13, kh: 3, kw: 3, sh: 1, sw: 1, pads: [1, 1, 1, 1] },
      { ...base, cg: 1, ocg: 1, group: 24, h: 10, w: 17, kh: 3, kw: 3, sh: 2, sw: 2, pads: [1, 1, 1, 1] },
      { ...base, cg: 3, ocg: 8, h: 15, w: 15, kh: 3, kw: 3, sh: 2, sw: 2, pads: [1, 1, 1, 1] },
    ];
    for (const cs of layers) {
      const s = convSetup(cs);
      const got = conv2dInt8Wasm(convGeometry(s.inv), s.x, s.params['weights'] as Int8Array, int8OutputStage(s.inv, s.params, s.ep));
      expect(got).not.toBeNull();
      expect(Array.from(got!)).toEqual(Array.from(runConv2dScalar(s.inv, [s.x], s.params, s.ep)[0]!.data));
    }
  });

  it('steps aside (null) outside its preconditions, and the kernel still gives the scalar codes', () => {
    const cs: ConvCase = { n: 1, cg: 4, ocg: 4, group: 1, h: 5, w: 5, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pads: [1, 1, 1, 1],
      zp: 0, shiftLo: -8, shiftHi: -8, biasMax: 10, epi: 'none', slope: 0, seed: 3 };
    const s = convSetup(cs);
    (s.params['multiplier'] as Int32Array)[2] = -(2 ** 31); // SRDHM's saturating input
    const stage = int8OutputStage(s.inv, s.params, s.ep);
    expect(conv2dInt8Wasm(convGeometry(s.inv), s.x, s.params['weights'] as Int8Array, stage)).toBeNull();
    const want = Array.from(runConv2dScalar(s.inv, [s.x], s.params, s.ep)[0]!.data);
    expect(Array.from(KERNELS.get('conv2d')!.run(s.inv, [s.x], s.params, s.ep)[0]!.data)).toEqual(want);
    (s.params['multiplier'] as Int32Array)[2] = 1 << 30;
    (s.params['bias'] as Int32Array)[1] = 2 ** 31 - 1; // accumulator + bias may leave int32
    expect(conv2dInt8Wasm(convGeometry(s.inv), s.x, s.params['weights'] as Int8Array, int8OutputStage(s.inv, s.params, s.ep))).toBeNull();
    setWasmKernels(false); // the scalar path alone (as where WebAssembly SIMD is missing)
    expect(conv2dInt8Wasm(convGeometry(s.inv), s.x, s.params['weights'] as Int8Array, stage)).toBeNull();
    expect(Array.from(KERNELS.get('conv2d')!.run(s.inv, [s.x], s.params, s.ep)[0]!.data))
      .toEqual(Array.from(runConv2dScalar(s.inv, [s.x], s.params, s.ep)[0]!.data));
  });
});

describe('wasm fully_connected equals the scalar fully_connected bit for bit', () => {
  it.skipIf(!wasmSimdAvailable())('random batch, K, output channels, zero points and epilogues', () => {
    let taken = 0, runs = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 23 }), caseArb, (n, k, cOut, cs) => {
      const q = { scale: 0.1, zeroPoint: cs.zp, dtype: 'int8' as const };
      const x: QTensor = { data: randomCodes(n * k, 'int8', cs.seed), shape: [n, k], scale: 0.1, zeroPoint: cs.zp };
      const params: ParamValues = {
        weights: Int8Array.from(ints(cOut * k, -128, 127, cs.seed + 1)),
        bias: Int32Array.from(ints(cOut, -cs.biasMax, cs.biasMax, cs.seed + 2)),
        multiplier: Int32Array.from(ints(cOut, -(2 ** 31) + 1, 2 ** 31 - 1, cs.seed + 3)),
        shift: Int32Array.from(ints(cOut, Math.min(cs.shiftLo, cs.shiftHi), Math.max(cs.shiftLo, cs.shiftHi), cs.seed + 4)),
        out_min: Int32Array.of(-120), out_max: Int32Array.of(100),
      };
      const e = epilogueOf(cs, cOut);
      const i = makeInv('fully_connected', [ref([n, k], q)], [ref([n, cOut], { scale: 0.2, zeroPoint: e ? e.zp : -3, dtype: 'int8' })], {}, params);
      if (e) i.epilogue = { kernel: e.kernel, node: 'act', attrs: {}, params: [] };
      const want = Array.from(runFcScalar(i, [x], params, e?.params)[0]!.data);
      const got = fullyConnectedInt8Wasm(n, k, cOut, x, params['weights'] as Int8Array, int8OutputStage(i, params, e?.params));
      runs++;
      if (got) {
        taken++;
        expect(Array.from(got)).toEqual(want);
      }
      expect(Array.from(KERNELS.get('fully_connected')!.run(i, [x], params, e?.params)[0]!.data)).toEqual(want);
    }), { numRuns: 300 });
    expect(taken).toBeGreaterThan(runs / 2);
  });
});
