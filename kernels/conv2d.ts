// Stage: kernel library. conv2d kernel: NCHW 2-D convolution, grouped and depthwise, int8 per-output-channel weights,
// int32 bias, zero points, TFLite requantization, output clamp and an optional fused activation epilogue.
// Contract: run() is bit-exact (int8 via kernels/wasm when it applies, else runConv2dScalar, the reference); work() is docs/cost-model.md's formula.

import { epilogueFn, epilogueTable, preActivationZeroPoint } from './activations.js';
import { allocCodes, ceilDiv, channelVector, constantInput, field, kernelError, laneVectors, numel, outTensor, qdtypeOf, scalar, cyclesPerVector, stagedWork } from './common.js';
import { OUTPUT_STAGE_FIELDS, outputStageParams, quantizeWeightsPerChannel, writeChannel, writeChannelInt8, type OutputClamp } from './output-stage.js';
import type { BindContext, Invocation, KernelDef, KernelWork, ParamValues, QTensor, QuantParams, Target } from './types.js';
import { conv2dInt8Wasm, type Int8OutputStage } from './wasm/conv-int8.js';

/** Static geometry of one conv invocation (ONNX attribute names; pads are [top, left, bottom, right]). */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number;
  oc: number; oh: number; ow: number;
  kh: number; kw: number;
  sh: number; sw: number;
  dh: number; dw: number;
  pt: number; pl: number; pb: number; pr: number;
  group: number;
}

function ints(v: unknown, dflt: number[]): number[] {
  return Array.isArray(v) ? (v as number[]) : dflt;
}

export function convGeometry(inv: Invocation): ConvGeometry {
  const x = inv.inputs[0]!.shape;
  const o = inv.outputs[0]!.shape;
  if (x.length !== 4 || o.length !== 4) throw kernelError(inv, `expects NCHW input and output, got [${x.join(',')}] -> [${o.join(',')}]`);
  const k = ints(inv.attrs['kernel_shape'], []);
  if (k.length !== 2) throw kernelError(inv, `attribute kernel_shape must have 2 entries, got [${k.join(',')}]`);
  const s = ints(inv.attrs['strides'], [1, 1]);
  const d = ints(inv.attrs['dilations'], [1, 1]);
  const p = ints(inv.attrs['pads'], [0, 0, 0, 0]);
  const group = typeof inv.attrs['group'] === 'number' ? inv.attrs['group'] : 1;
  const g: ConvGeometry = {
    n: x[0]!, c: x[1]!, h: x[2]!, w: x[3]!, oc: o[1]!, oh: o[2]!, ow: o[3]!,
    kh: k[0]!, kw: k[1]!, sh: s[0]!, sw: s[1]!, dh: d[0]!, dw: d[1]!,
    pt: p[0]!, pl: p[1]!, pb: p[2]!, pr: p[3]!, group,
  };
  if (g.c % group !== 0 || g.oc % group !== 0) throw kernelError(inv, `channels ${g.c} -> ${g.oc} do not divide into ${group} groups`);
  const expOh = Math.floor((g.h + g.pt + g.pb - g.dh * (g.kh - 1) - 1) / g.sh) + 1;
  const expOw = Math.floor((g.w + g.pl + g.pr - g.dw * (g.kw - 1) - 1) / g.sw) + 1;
  if (expOh !== g.oh || expOw !== g.ow) throw kernelError(inv, `output ${g.oh}x${g.ow} disagrees with the geometry (${expOh}x${expOw})`);
  return g;
}

export interface ConvWeightsInput {
  /** Float weights [C_out, C_in/group, kH, kW] (or [C_out, K] for fully_connected), output channel major. */
  weights: ArrayLike<number>;
  cOut: number;
  bias?: ArrayLike<number>;
}

/**
 * The whole conv2d table from float weights: per-channel symmetric int8 weights (scale max|w_c|/127), int32 bias at
 * inScale*weightScale[c], multiplier/shift of inScale*weightScale[c]/outScale, and the output clamp (a fused Relu or
 * Clip as real bounds). `outQ` is what the output stage writes: with an epilogue, the activation's input.
 */
export function conv2dParams(w: ConvWeightsInput, inQ: QuantParams, outQ: QuantParams, clamp: OutputClamp = {}): ParamValues {
  const q = quantizeWeightsPerChannel(w.weights, w.cOut);
  return { weights: q.codes, ...outputStageParams(q.scales, w.bias, inQ, outQ, clamp) };
}

/** Conv: weights [C_out, C_in/group, kH, kW] and the optional bias are constants of the node. */
function bindConv2d(c: BindContext): ParamValues {
  const w = constantInput(c, 1, 'weights');
  const cOut = w.dims[0]!;
  const bias = channelVector(c, 2, cOut, 1, 'bias');
  return conv2dParams({ weights: w.values, cOut, ...(bias ? { bias } : {}) }, c.inQ[0]!, c.outQ);
}

/**
 * Scratch arrays reused across calls (acc, columns, padded and packed inputs reach tens of MB for 224x224 models;
 * allocating and zero-filling them per invocation costs more than some of the convolutions). Every user overwrites
 * the whole view it asks for, except the padded input, which clears its own borders. Kernels run synchronously and
 * never re-enter, so one slot per purpose suffices.
 */
const scratchSlots = new Map<string, ArrayBuffer>();
function scratch<T extends Float64Array | Int32Array>(slot: string, ctor: { new(b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }, n: number): T {
  const bytes = n * ctor.BYTES_PER_ELEMENT;
  let buf = scratchSlots.get(slot);
  if (!buf || buf.byteLength < bytes) {
    buf = new ArrayBuffer(Math.max(bytes, Math.ceil((buf?.byteLength ?? 0) * 1.5)));
    scratchSlots.set(slot, buf);
  }
  return new ctor(buf, 0, n);
}

/** Input codes minus zero point, zero-padded, one image: Int32Array [C, H+pt+pb, W+pl+pr]. */
function paddedInput(x: QTensor, g: ConvGeometry, image: number): { xp: Int32Array; ph: number; pw: number } {
  const ph = g.h + g.pt + g.pb;
  const pw = g.w + g.pl + g.pr;
  const xp = scratch('xp', Int32Array, g.c * ph * pw);
  if (g.pt + g.pb + g.pl + g.pr > 0) xp.fill(0);
  const zp = x.zeroPoint;
  const src = x.data;
  const plane = g.h * g.w;
  for (let c = 0; c < g.c; c++) {
    const sBase = (image * g.c + c) * plane;
    for (let y = 0; y < g.h; y++) {
      const dRow = (c * ph + y + g.pt) * pw + g.pl;
      const sRow = sBase + y * g.w;
      for (let xx = 0; xx < g.w; xx++) xp[dRow + xx] = src[sRow + xx]! - zp;
    }
  }
  return { xp, ph, pw };
}

/**
 * Depthwise-style channel (one input channel per output channel): per output pixel, a register sum over the taps.
 * acc[p] = sum_t w[t] * xp[origin(p) + off[t]].
 */
function depthwiseChannel(acc: Float64Array, xp: Int32Array, pw: number, xBase: number, wts: Int8Array, wBase: number, g: ConvGeometry): void {
  const taps = g.kh * g.kw;
  const off = new Int32Array(taps);
  const wk = new Float64Array(taps);
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      off[i * g.kw + j] = i * g.dh * pw + j * g.dw;
      wk[i * g.kw + j] = wts[wBase + i * g.kw + j]!;
    }
  }
  if (taps === 9) return depthwise9(acc, xp, pw, xBase, wk, off, g);
  for (let y = 0; y < g.oh; y++) {
    const rowBase = xBase + y * g.sh * pw;
    for (let x = 0; x < g.ow; x++) {
      const b = rowBase + x * g.sw;
      let s = 0;
      for (let t = 0; t < taps; t++) s += wk[t]! * xp[b + off[t]!]!;
      acc[y * g.ow + x] = s;
    }
  }
}

/** The 3x3 case (most depthwise layers) with taps and offsets in registers. */
function depthwise9(acc: Float64Array, xp: Int32Array, pw: number, xBase: number, wk: Float64Array, off: Int32Array, g: ConvGeometry): void {
  const w0 = wk[0]!, w1 = wk[1]!, w2 = wk[2]!, w3 = wk[3]!, w4 = wk[4]!, w5 = wk[5]!, w6 = wk[6]!, w7 = wk[7]!, w8 = wk[8]!;
  const o0 = off[0]!, o1 = off[1]!, o2 = off[2]!, o3 = off[3]!, o4 = off[4]!, o5 = off[5]!, o6 = off[6]!, o7 = off[7]!, o8 = off[8]!;
  for (let y = 0; y < g.oh; y++) {
    const rowBase = xBase + y * g.sh * pw;
    const a = y * g.ow;
    for (let x = 0; x < g.ow; x++) {
      const b = rowBase + x * g.sw;
      acc[a + x] = w0 * xp[b + o0]! + w1 * xp[b + o1]! + w2 * xp[b + o2]! + w3 * xp[b + o3]! + w4 * xp[b + o4]!
        + w5 * xp[b + o5]! + w6 * xp[b + o6]! + w7 * xp[b + o7]! + w8 * xp[b + o8]!;
    }
  }
}

/** im2col of one group: cols[p * K + k], K = C_in/group * kH * kW in weight order (ic, i, j). */
function im2col(xp: Int32Array, ph: number, pw: number, g: ConvGeometry, grp: number, cols: Float64Array): void {
  const cg = g.c / g.group;
  const k = cg * g.kh * g.kw;
  for (let y = 0; y < g.oh; y++) {
    for (let x = 0; x < g.ow; x++) {
      let dst = (y * g.ow + x) * k;
      for (let icg = 0; icg < cg; icg++) {
        const plane = (grp * cg + icg) * ph * pw;
        for (let i = 0; i < g.kh; i++) {
          const row = plane + (y * g.sh + i * g.dh) * pw + x * g.sw;
          for (let j = 0; j < g.kw; j++) cols[dst++] = xp[row + j * g.dw]!;
        }
      }
    }
  }
}

/** Where gemm4x2 puts the dot product of weight row `oc` and column `j`. */
type GemmStore = (sum: number, oc: number, j: number) => void;

/**
 * dot(W[oc], cols[j]) for the output channels of one group and `n` columns, handed to `store`: blocked 4 channels x 2
 * columns so each loaded operand feeds several multiply-adds held in registers (exact: integer sums < 2^53 in
 * doubles). The store runs once per sum, outside the inner loop.
 */
function gemm4x2(wf: Float64Array, cols: Float64Array, k: number, ocFrom: number, ocTo: number, n: number, store: GemmStore): void {
  let oc = ocFrom;
  for (; oc + 3 < ocTo; oc += 4) {
    const w0 = oc * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const xa = j * k, xb = xa + k;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let c = 0; c < k; c++) {
        const u = cols[xa + c]!, v = cols[xb + c]!;
        const k0 = wf[w0 + c]!, k1 = wf[w1 + c]!, k2 = wf[w2 + c]!, k3 = wf[w3 + c]!;
        a0 += k0 * u; a1 += k1 * u; a2 += k2 * u; a3 += k3 * u;
        b0 += k0 * v; b1 += k1 * v; b2 += k2 * v; b3 += k3 * v;
      }
      store(a0, oc, j); store(a1, oc + 1, j); store(a2, oc + 2, j); store(a3, oc + 3, j);
      store(b0, oc, j + 1); store(b1, oc + 1, j + 1); store(b2, oc + 2, j + 1); store(b3, oc + 3, j + 1);
    }
    for (; j < n; j++) for (let o = oc; o < oc + 4; o++) store(dot(wf, o * k, cols, j * k, k), o, j);
  }
  for (; oc < ocTo; oc++) for (let j = 0; j < n; j++) store(dot(wf, oc * k, cols, j * k, k), oc, j);
}

/** acc[oc][p] = dot(W[oc], cols[p]) for the output channels of one group. */
function gemmBlock(wf: Float64Array, cols: Float64Array, k: number, ocFrom: number, ocTo: number, pixels: number, out: Float64Array): void {
  gemm4x2(wf, cols, k, ocFrom, ocTo, pixels, (sum, oc, p) => {
    out[oc * pixels + p] = sum;
  });
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i]! * b[bo + i]!;
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Pixel-pair packing: two output pixels per double. With column entries a + S*b (|a|, |b| <= xmax) every dot product
// is A + S*B with |A|, |B| <= bound = taps * wmax * xmax; for S > 2*bound and S*bound + bound < 2^53 both halves are
// exact and B = round(total / S), A = total - S*B. Each multiply-add then does two MACs (int8 programs; int16
// inputs exceed the bound and take the unpacked path).
// ---------------------------------------------------------------------------------------------------------------

/** The packing scale for a dot product of `terms` terms, or 0 when two halves would not stay exact. */
function packScale(terms: number, wts: Int8Array, x: QTensor): number {
  const wmax = maxAbs(wts);
  const { qmin, qmax } = x.data instanceof Int8Array ? { qmin: -128, qmax: 127 } : { qmin: -32768, qmax: 32767 };
  const xmax = Math.max(Math.abs(qmin - x.zeroPoint), Math.abs(qmax - x.zeroPoint));
  const bound = Math.max(1, terms * wmax * xmax);
  const scale = 2 ** Math.ceil(Math.log2(2 * bound + 2));
  return scale * bound + bound < 2 ** 52 ? scale : 0;
}

/** Largest |w| of a weight table, cached per table (parameter tables are immutable once loaded). */
const maxAbsCache = new WeakMap<Int8Array, number>();
function maxAbs(wts: Int8Array): number {
  let m = maxAbsCache.get(wts);
  if (m === undefined) {
    m = 0;
    for (let i = 0; i < wts.length; i++) m = Math.max(m, Math.abs(wts[i]!));
    maxAbsCache.set(wts, m);
  }
  return m;
}

/** Split packed sums (pixel pairs) into out[oc][p]: low half is pixel 2q, high half pixel 2q+1 (dropped past P). */
function unpack(s: number, scale: number, inv: number, out: Float64Array, at: number, hasSecond: boolean): void {
  const h = Math.round(s * inv);
  out[at] = s - h * scale;
  if (hasSecond) out[at + 1] = h;
}

/** im2col of one group with output pixels (2q, 2q+1) packed: cols[q * K + k]. */
function im2colPacked(xp: Int32Array, ph: number, pw: number, g: ConvGeometry, grp: number, cols: Float64Array, scale: number): void {
  const cg = g.c / g.group;
  const k = cg * g.kh * g.kw;
  const pixels = g.oh * g.ow;
  for (let q = 0; 2 * q < pixels; q++) {
    const p0 = 2 * q;
    const y0 = Math.floor(p0 / g.ow), x0 = p0 - y0 * g.ow;
    const two = p0 + 1 < pixels;
    const y1 = two ? Math.floor((p0 + 1) / g.ow) : y0, x1 = two ? p0 + 1 - y1 * g.ow : x0;
    const s1 = two ? scale : 0;
    let dst = q * k;
    for (let icg = 0; icg < cg; icg++) {
      const plane = (grp * cg + icg) * ph * pw;
      for (let i = 0; i < g.kh; i++) {
        const r0 = plane + (y0 * g.sh + i * g.dh) * pw + x0 * g.sw;
        const r1 = plane + (y1 * g.sh + i * g.dh) * pw + x1 * g.sw;
        for (let j = 0; j < g.kw; j++) cols[dst++] = xp[r0 + j * g.dw]! + s1 * xp[r1 + j * g.dw]!;
      }
    }
  }
}

/** gemmBlock over packed pixel pairs (16 MACs per 8 multiply-adds): column q holds pixels 2q and 2q+1. */
function gemmPacked(wf: Float64Array, cols: Float64Array, k: number, ocFrom: number, ocTo: number, pixels: number, out: Float64Array, scale: number): void {
  const inv = 1 / scale;
  gemm4x2(wf, cols, k, ocFrom, ocTo, (pixels + 1) >> 1, (sum, oc, q) => {
    unpack(sum, scale, inv, out, oc * pixels + 2 * q, 2 * q + 1 < pixels);
  });
}

/** Depthwise channel over pixel pairs (x, x+1) of each output row: pk[i] = xp[i] + S * xp[i + sw]. */
function depthwisePacked(acc: Float64Array, pk: Float64Array, pw: number, xBase: number, wts: Int8Array, wBase: number, g: ConvGeometry, scale: number): void {
  const taps = g.kh * g.kw;
  const off = new Int32Array(taps);
  const wk = new Float64Array(taps);
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      off[i * g.kw + j] = i * g.dh * pw + j * g.dw;
      wk[i * g.kw + j] = wts[wBase + i * g.kw + j]!;
    }
  }
  const inv = 1 / scale;
  if (taps === 9) {
    depthwisePacked9(acc, pk, pw, xBase, wk, off, g, scale);
    return;
  }
  for (let y = 0; y < g.oh; y++) {
    const rowBase = xBase + y * g.sh * pw;
    const a = y * g.ow;
    for (let x = 0; x < g.ow; x += 2) {
      const b = rowBase + x * g.sw;
      let s = 0;
      for (let t = 0; t < taps; t++) s += wk[t]! * pk[b + off[t]!]!;
      unpack(s, scale, inv, acc, a + x, x + 1 < g.ow);
    }
  }
}

/** The 3x3 case of depthwisePacked with taps and offsets in registers. */
function depthwisePacked9(acc: Float64Array, pk: Float64Array, pw: number, xBase: number, wk: Float64Array, off: Int32Array, g: ConvGeometry, scale: number): void {
  const w0 = wk[0]!, w1 = wk[1]!, w2 = wk[2]!, w3 = wk[3]!, w4 = wk[4]!, w5 = wk[5]!, w6 = wk[6]!, w7 = wk[7]!, w8 = wk[8]!;
  const o0 = off[0]!, o1 = off[1]!, o2 = off[2]!, o3 = off[3]!, o4 = off[4]!, o5 = off[5]!, o6 = off[6]!, o7 = off[7]!, o8 = off[8]!;
  const inv = 1 / scale;
  const even = g.ow & ~1;
  const step = 2 * g.sw;
  for (let y = 0; y < g.oh; y++) {
    let b = xBase + y * g.sh * pw;
    const a = y * g.ow;
    for (let x = 0; x < g.ow; x += 2, b += step) {
      const s = w0 * pk[b + o0]! + w1 * pk[b + o1]! + w2 * pk[b + o2]! + w3 * pk[b + o3]! + w4 * pk[b + o4]!
        + w5 * pk[b + o5]! + w6 * pk[b + o6]! + w7 * pk[b + o7]! + w8 * pk[b + o8]!;
      const h = Math.round(s * inv);
      acc[a + x] = s - h * scale;
      if (x < even) acc[a + x + 1] = h;
    }
  }
}

/** pk[i] = xp[i] + scale * xp[i + step] (0 past the end): the input of depthwisePacked. */
function packPairs(xp: Int32Array, step: number, scale: number): Float64Array {
  const pk = scratch('pk', Float64Array, xp.length);
  const n = xp.length - step;
  for (let i = 0; i < n; i++) pk[i] = xp[i]! + scale * xp[i + step]!;
  for (let i = Math.max(0, n); i < xp.length; i++) pk[i] = xp[i]!;
  return pk;
}

/**
 * The kernel's run(): int8 programs go through the WebAssembly SIMD module (kernels/wasm/conv-int8.ts, the same
 * integer function), everything else and every case outside its preconditions through runConv2dScalar.
 */
function runConv(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues): QTensor[] {
  const o = inv.outputs[0]!;
  if (qdtypeOf(o) === 'int8' && inputs[0]!.data instanceof Int8Array) {
    const g = convGeometry(inv);
    const wts = field<Int8Array>(inv, params, 'weights');
    if (wts.length === g.oc * (g.c / g.group) * g.kh * g.kw) {
      const fast = conv2dInt8Wasm(g, inputs[0]!, wts, int8OutputStage(inv, params, epilogueParams));
      if (fast) return [outTensor(o, fast)];
    }
  }
  return runConv2dScalar(inv, inputs, params, epilogueParams);
}

/** The output-stage fields of a conv or fc table with the int8 epilogue as code tables (the wasm path's input). */
export function int8OutputStage(inv: Invocation, params: ParamValues, epilogueParams?: ParamValues): Int8OutputStage {
  const t = epilogueTable(inv, epilogueParams);
  return {
    bias: field<Int32Array>(inv, params, 'bias'),
    multiplier: field<Int32Array>(inv, params, 'multiplier'),
    shift: field<Int32Array>(inv, params, 'shift'),
    zp: preActivationZeroPoint(inv, epilogueParams),
    lo: scalar(inv, params, 'out_min'),
    hi: scalar(inv, params, 'out_max'),
    table: t?.table ?? null,
    tableChannels: t?.channels ?? 1,
  };
}

/** conv2d in plain JS (doubles hold exact integer sums): the reference every faster path is tested against. */
export function runConv2dScalar(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues): QTensor[] {
  const g = convGeometry(inv);
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  const wts = field<Int8Array>(inv, params, 'weights');
  const cg = g.c / g.group;
  const ocg = g.oc / g.group;
  if (wts.length !== g.oc * cg * g.kh * g.kw) throw kernelError(inv, `weights hold ${wts.length} codes, expected ${g.oc * cg * g.kh * g.kw}`);
  const bias = field<Int32Array>(inv, params, 'bias');
  const mult = field<Int32Array>(inv, params, 'multiplier');
  const shift = field<Int32Array>(inv, params, 'shift');
  const lo = scalar(inv, params, 'out_min');
  const hi = scalar(inv, params, 'out_max');
  const zp = preActivationZeroPoint(inv, epilogueParams);
  const out = allocCodes(qdtypeOf(o), numel(o.shape));
  const epi = out instanceof Int8Array ? null : epilogueFn(inv, epilogueParams);
  const epiTable = out instanceof Int8Array ? epilogueTable(inv, epilogueParams) : null;
  const planeOut = g.oh * g.ow;
  const acc = scratch('acc', Float64Array, g.oc * planeOut);
  const depthwise = cg === 1;
  const k = cg * g.kh * g.kw;
  const scale = packScale(k, wts, x);
  const wf = depthwise ? null : Float64Array.from(wts);
  const cols = depthwise ? null : scratch('cols', Float64Array, (scale ? (planeOut + 1) >> 1 : planeOut) * k);
  for (let n = 0; n < g.n; n++) {
    const { xp, ph, pw } = paddedInput(x, g, n);
    const pk = depthwise && scale ? packPairs(xp, g.sw, scale) : null;
    for (let grp = 0; grp < g.group; grp++) {
      if (depthwise) {
        for (let oc = grp * ocg; oc < (grp + 1) * ocg; oc++) {
          const a = acc.subarray(oc * planeOut, (oc + 1) * planeOut);
          if (pk) depthwisePacked(a, pk, pw, grp * ph * pw, wts, oc * g.kh * g.kw, g, scale);
          else depthwiseChannel(a, xp, pw, grp * ph * pw, wts, oc * g.kh * g.kw, g);
        }
      } else if (scale) {
        im2colPacked(xp, ph, pw, g, grp, cols!, scale);
        gemmPacked(wf!, cols!, k, grp * ocg, (grp + 1) * ocg, planeOut, acc, scale);
      } else {
        im2col(xp, ph, pw, g, grp, cols!);
        gemmBlock(wf!, cols!, k, grp * ocg, (grp + 1) * ocg, planeOut, acc);
      }
    }
    if (out instanceof Int8Array) {
      // int8: the epilogue as a code table in the loop (a function call per element costs more than the rest of it)
      const tbl = epiTable?.table ?? null;
      const perChannel = (epiTable?.channels ?? 1) > 1;
      if (perChannel && epiTable!.channels !== g.oc) throw kernelError(inv, `epilogue table has ${epiTable!.channels} channels, the output ${g.oc}`);
      for (let oc = 0; oc < g.oc; oc++) {
        writeChannelInt8(acc.subarray(oc * planeOut, (oc + 1) * planeOut), planeOut, out, (n * g.oc + oc) * planeOut, bias[oc]!, mult[oc]!, shift[oc]!, zp, lo, hi, tbl, perChannel ? oc * 256 : 0);
      }
    } else {
      for (let oc = 0; oc < g.oc; oc++) {
        writeChannel(acc.subarray(oc * planeOut, (oc + 1) * planeOut), planeOut, out, (n * g.oc + oc) * planeOut, 1, bias[oc]!, mult[oc]!, shift[oc]!, zp, lo, hi, oc, epi);
      }
    }
  }
  return [outTensor(o, out)];
}

/**
 * MAC cycles: lanes run across output channels (rounded up to the lane width per group), the MAC array's depth
 * D = macsPerCycle/lanes across input channels (rounded up to D). Depthwise (one input channel per group) cannot use
 * the depth, so it runs at `lanes` MACs per cycle with all output channels sharing the lanes.
 */
export function convMacCycles(g: ConvGeometry, target: Target, dtype: 'int8' | 'int16'): number {
  const lanes = target.vectorLanes[dtype];
  const depth = target.macsPerCycle[dtype] / lanes;
  const cg = g.c / g.group;
  const ocg = g.oc / g.group;
  const positions = g.n * g.oh * g.ow * g.kh * g.kw;
  if (cg === 1) return positions * ceilDiv(g.oc, lanes);
  return positions * g.group * ceilDiv(ocg, lanes) * ceilDiv(cg, depth);
}

function convWork(inv: Invocation, target: Target): KernelWork {
  const g = convGeometry(inv);
  const dtype = qdtypeOf(inv.inputs[0]!);
  const outVectors = laneVectors(inv.outputs[0]!.shape, target.vectorLanes[dtype]);
  const outputStageCycles = outVectors * cyclesPerVector(target, inv.kernel, CONV2D.defaultCyclesPerVector);
  return stagedWork(inv, target, {
    macs: g.n * g.oh * g.ow * g.oc * (g.c / g.group) * g.kh * g.kw,
    computeCycles: convMacCycles(g, target, dtype) + outputStageCycles,
    outputStageCycles,
    outVectors,
  });
}

export const CONV2D: KernelDef = {
  name: 'conv2d',
  ops: ['Conv'],
  role: 'compute',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: '2-D convolution (grouped, depthwise) with per-channel requantization and optional activation epilogue',
  paramFields: [
    { name: 'weights', dtype: 'int8', count: 'C_out*C_in/group*kH*kW', doc: 'symmetric per-output-channel weight codes, [C_out, C_in/group, kH, kW]' },
    ...OUTPUT_STAGE_FIELDS,
  ],
  bind: bindConv2d,
  run: runConv,
  work: convWork,
  defaultCyclesPerVector: 1,
};
