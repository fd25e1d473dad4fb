// Stage: IR core, op table. Compute ops with weights: Conv (grouped, dilated, 1-D/2-D), Gemm, MatMul.
// Contract: float32 in and out, accumulation in float64; shapes follow ONNX with pads already resolved (no auto_pad).

import type { Node, ValueInfo } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { numel } from '../tensor.js';
import type { AttrSpec, InferInput, OpDef, OutputType } from './types.js';
import {
  attrInts, attrNum, broadcastIndex, broadcastShapes, broadcastsTo, def, fmtShape, need, needT, requireFloat, requireSameDtype,
} from './util.js';

const convAttrs: Record<string, AttrSpec> = {
  kernel_shape: { type: 'ints' },
  strides: { type: 'ints', default: [1, 1] },
  pads: { type: 'ints', default: [0, 0, 0, 0] },
  dilations: { type: 'ints', default: [1, 1] },
  group: { type: 'int', default: 1 },
};

/** Spatial geometry of a window op (Conv or pool) normalised to 2-D: a 1-D op is H = 1. */
export interface Window2D {
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number; pb: number; pr: number;
}

/** An ints attribute of length len; absent attributes with a default become `fill` repeated (defaults are written 2-D). */
function listAttr(node: Node, name: string, spec: Record<string, AttrSpec>, len: number, fill: number): number[] {
  const v = node.attrs[name];
  if (v === undefined) {
    if (!spec[name] || spec[name].default === undefined) throw new Error(`required attribute '${name}' missing`);
    return new Array<number>(len).fill(fill);
  }
  if (!Array.isArray(v)) throw new Error(`attribute '${name}' must be a list of ints`);
  if (v.length !== len) throw new Error(`${name} ${fmtShape(v)} must have ${len} entries`);
  return v;
}

/** Reads kernel/stride/pad/dilation lists for nsp (1 or 2) spatial axes and lifts them to 2-D. */
export function window2D(node: Node, spec: Record<string, AttrSpec>, nsp: number): Window2D {
  const ks = attrInts(node, 'kernel_shape', spec);
  if (ks.length !== nsp) throw new Error(`kernel_shape ${fmtShape(ks)} must have ${nsp} entries`);
  const ss = listAttr(node, 'strides', spec, nsp, 1);
  const ds = spec.dilations ? listAttr(node, 'dilations', spec, nsp, 1) : new Array<number>(nsp).fill(1);
  const ps = listAttr(node, 'pads', spec, 2 * nsp, 0);
  for (const v of [...ks, ...ss, ...ds]) if (!(Number.isInteger(v) && v >= 1)) throw new Error(`kernel, stride and dilation entries must be integers >= 1`);
  for (const v of ps) if (!(Number.isInteger(v) && v >= 0)) throw new Error(`pads must be integers >= 0, got ${fmtShape(ps)}`);
  if (nsp === 1) return { kh: 1, kw: ks[0]!, sh: 1, sw: ss[0]!, dh: 1, dw: ds[0]!, pt: 0, pl: ps[0]!, pb: 0, pr: ps[1]! };
  return { kh: ks[0]!, kw: ks[1]!, sh: ss[0]!, sw: ss[1]!, dh: ds[0]!, dw: ds[1]!, pt: ps[0]!, pl: ps[1]!, pb: ps[2]!, pr: ps[3]! };
}

/** Output extent of one spatial axis; ceil mode as in ONNX pools (a window must start inside the padded input). */
export function outExtent(size: number, k: number, s: number, d: number, pBegin: number, pEnd: number, ceil = false): number {
  const span = size + pBegin + pEnd - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= size + pBegin) o--; // last window would start in the end padding
  if (o < 1) throw new Error(`window (kernel ${k}, dilation ${d}) does not fit input extent ${size} with pads ${pBegin},${pEnd}`);
  return o;
}

/** Spatial dims of an NC(H)W input as [H, W] (1-D inputs have H = 1). */
export function spatial2D(shape: readonly number[]): [number, number] {
  return shape.length === 3 ? [1, shape[2]!] : [shape[2]!, shape[3]!];
}

function convInfer(node: Node, inputs: (InferInput | undefined)[]): OutputType[] {
  const x = need(inputs, 0, 'data input');
  const w = need(inputs, 1, 'weight');
  requireFloat(x, 'data input');
  requireSameDtype(x, w, 'weight');
  requireSameDtype(x, inputs[2]?.info, 'bias');
  if (x.shape.length !== 3 && x.shape.length !== 4) throw new Error(`Conv supports 1-D and 2-D inputs (rank 3 or 4), got ${fmtShape(x.shape)}`);
  if (w.shape.length !== x.shape.length) throw new Error(`weight shape ${fmtShape(w.shape)} must have the rank of input ${fmtShape(x.shape)}`);
  const group = attrNum(node, 'group', convAttrs);
  const c = x.shape[1]!, m = w.shape[0]!;
  if (!(Number.isInteger(group) && group >= 1) || c % group !== 0 || m % group !== 0) {
    throw new Error(`group ${group} must divide input channels ${c} and output channels ${m}`);
  }
  if (w.shape[1]! * group !== c) throw new Error(`weight shape ${fmtShape(w.shape)} needs ${w.shape[1]! * group} input channels, input has ${c}`);
  const nsp = x.shape.length - 2;
  const kernel = attrInts(node, 'kernel_shape', convAttrs);
  if (kernel.join() !== w.shape.slice(2).join()) throw new Error(`kernel_shape ${fmtShape(kernel)} disagrees with weight shape ${fmtShape(w.shape)}`);
  const b = inputs[2];
  if (b && (b.info.shape.length !== 1 || b.info.shape[0] !== m)) throw new Error(`bias shape ${fmtShape(b.info.shape)} must be [${m}]`);
  const win = window2D(node, convAttrs, nsp);
  const [h, wd] = spatial2D(x.shape);
  const oh = outExtent(h, win.kh, win.sh, win.dh, win.pt, win.pb);
  const ow = outExtent(wd, win.kw, win.sw, win.dw, win.pl, win.pr);
  return [{ dtype: x.dtype, shape: nsp === 1 ? [x.shape[0]!, m, ow] : [x.shape[0]!, m, oh, ow] }];
}

/** First and one-past-last output index o with 0 <= o*s + off < size. */
function validRange(off: number, s: number, size: number, outSize: number): [number, number] {
  const lo = Math.max(0, Math.ceil(-off / s));
  const hi = Math.min(outSize, Math.floor((size - 1 - off) / s) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Direct convolution, weight-stationary: for each (output channel, input channel, kernel row) the taps of that row are
 * applied together to a float64 accumulator plane. Where every tap is in bounds the inner loop does kw MACs per
 * accumulator update (3x fewer loads/stores for 3x3 kernels); edge columns are finished tap by tap.
 */
function convEvaluate(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  return convFloat(node, inputs, true);
}

/** The float Conv; `pointwiseFast: false` always takes the general loop (tests compare both paths bit for bit). */
export function convFloat(node: Node, inputs: (Tensor | undefined)[], pointwiseFast: boolean): Tensor[] {
  const x = needT(inputs, 0), w = needT(inputs, 1), b = inputs[2];
  const nsp = x.dims.length - 2;
  const win = window2D(node, convAttrs, nsp);
  const group = attrNum(node, 'group', convAttrs);
  const [n, c] = [x.dims[0]!, x.dims[1]!];
  const m = w.dims[0]!;
  const [h, wd] = spatial2D(x.dims);
  const oh = outExtent(h, win.kh, win.sh, win.dh, win.pt, win.pb);
  const ow = outExtent(wd, win.kw, win.sw, win.dw, win.pl, win.pr);
  const cg = c / group, mg = m / group;
  const xd = x.data as Float32Array, wdat = w.data as Float32Array, bd = b?.data as Float32Array | undefined;
  const out = new Float32Array(n * m * oh * ow);
  const dims = nsp === 1 ? [n, m, ow] : [n, m, oh, ow];
  const unpadded = win.pt === 0 && win.pb === 0 && win.pl === 0 && win.pr === 0;
  if (pointwiseFast && win.kh === 1 && win.kw === 1 && win.sh === 1 && win.sw === 1 && unpadded) {
    pointwise(xd, wdat, bd, out, n, c, m, group, h * wd);
    return [{ dtype: 'float32', dims, data: out }];
  }
  const acc = new Float64Array(oh * ow);
  const { kh, kw, sh, sw, dh, dw, pt, pl } = win;
  // column ranges per tap, and the range where all taps of a row are valid
  const xlo = new Int32Array(kw), xhi = new Int32Array(kw);
  let lo = 0, hi = ow;
  for (let kx = 0; kx < kw; kx++) {
    const [a0, a1] = validRange(kx * dw - pl, sw, wd, ow);
    xlo[kx] = a0; xhi[kx] = a1;
    lo = Math.max(lo, a0); hi = Math.min(hi, a1);
  }
  if (hi < lo) hi = lo;
  const taps = new Float64Array(kw);
  for (let ni = 0; ni < n; ni++) {
    for (let oc = 0; oc < m; oc++) {
      acc.fill(bd ? bd[oc]! : 0);
      const g = Math.floor(oc / mg);
      for (let ci = 0; ci < cg; ci++) {
        const plane = (ni * c + g * cg + ci) * h * wd;
        for (let ky = 0; ky < kh; ky++) {
          const wrow = ((oc * cg + ci) * kh + ky) * kw;
          for (let kx = 0; kx < kw; kx++) taps[kx] = wdat[wrow + kx]!;
          const offY = ky * dh - pt;
          const [y0, y1] = validRange(offY, sh, h, oh);
          for (let oy = y0; oy < y1; oy++) {
            const row = plane + (oy * sh + offY) * wd - pl; // input index of (ox = 0, kx = 0), may be "before" the row
            const arow = oy * ow;
            convRow(acc, xd, taps, arow, row, lo, hi, sw, dw, kw);
            for (let kx = 0; kx < kw; kx++) {
              const wv = taps[kx]!, base = row + kx * dw;
              for (let ox = xlo[kx]!, e = Math.min(lo, xhi[kx]!); ox < e; ox++) acc[arow + ox] += wv * xd[base + ox * sw]!;
              for (let ox = Math.max(hi, xlo[kx]!), e = xhi[kx]!; ox < e; ox++) acc[arow + ox] += wv * xd[base + ox * sw]!;
            }
          }
        }
      }
      out.set(acc, (ni * m + oc) * oh * ow);
    }
  }
  return [{ dtype: 'float32', dims, data: out }];
}

/** Output channels accumulated together by pointwise(): each input plane is read once per block, not once per channel. */
const OC_BLOCK = 4;

/**
 * 1x1 convolution, stride 1, no padding (most of a MobileNet's MACs): the general loop's arithmetic exactly (each
 * float64 accumulator starts at the bias and gets w * x added in input-channel order), OC_BLOCK channels at a time.
 */
function pointwise(xd: Float32Array, wd: Float32Array, bd: Float32Array | undefined, out: Float32Array, n: number, c: number, m: number, group: number, hw: number): void {
  const cg = c / group, mg = m / group;
  const acc = new Float64Array(OC_BLOCK * hw);
  for (let ni = 0; ni < n; ni++) {
    // a block never straddles a group (so all its channels read the same input planes): it ends at the group's end
    for (let oc0 = 0, nb = 0; oc0 < m; oc0 += nb) {
      const g = Math.floor(oc0 / mg);
      nb = Math.min(OC_BLOCK, (g + 1) * mg - oc0);
      for (let j = 0; j < nb; j++) acc.fill(bd ? bd[oc0 + j]! : 0, j * hw, (j + 1) * hw);
      for (let ci = 0; ci < cg; ci++) {
        const xb = (ni * c + g * cg + ci) * hw;
        if (nb === OC_BLOCK) {
          const w0 = wd[oc0 * cg + ci]!, w1 = wd[(oc0 + 1) * cg + ci]!, w2 = wd[(oc0 + 2) * cg + ci]!, w3 = wd[(oc0 + 3) * cg + ci]!;
          for (let o = 0; o < hw; o++) {
            const xv = xd[xb + o]!;
            acc[o] += w0 * xv;
            acc[hw + o] += w1 * xv;
            acc[2 * hw + o] += w2 * xv;
            acc[3 * hw + o] += w3 * xv;
          }
        } else {
          for (let j = 0; j < nb; j++) {
            const wv = wd[(oc0 + j) * cg + ci]!, base = j * hw;
            for (let o = 0; o < hw; o++) acc[base + o] += wv * xd[xb + o]!;
          }
        }
      }
      for (let j = 0; j < nb; j++) out.set(acc.subarray(j * hw, (j + 1) * hw), (ni * m + oc0 + j) * hw);
    }
  }
}

/** The all-taps-valid part of one output row; kw 1 and 3 get unrolled loops (pointwise and 3x3 dominate CNNs). */
function convRow(
  acc: Float64Array, xd: Float32Array, taps: Float64Array, arow: number, row: number,
  lo: number, hi: number, sw: number, dw: number, kw: number,
): void {
  if (kw === 1) {
    const w0 = taps[0]!;
    for (let ox = lo, xi = row + lo * sw; ox < hi; ox++, xi += sw) acc[arow + ox] += w0 * xd[xi]!;
  } else if (kw === 3) {
    const w0 = taps[0]!, w1 = taps[1]!, w2 = taps[2]!, d2 = 2 * dw;
    for (let ox = lo, xi = row + lo * sw; ox < hi; ox++, xi += sw) {
      acc[arow + ox] += w0 * xd[xi]! + w1 * xd[xi + dw]! + w2 * xd[xi + d2]!;
    }
  } else {
    for (let ox = lo, xi = row + lo * sw; ox < hi; ox++, xi += sw) {
      let s = 0;
      for (let kx = 0, o = xi; kx < kw; kx++, o += dw) s += taps[kx]! * xd[o]!;
      acc[arow + ox] += s;
    }
  }
}

const conv: OpDef = def({
  type: 'Conv', category: 'compute', summary: 'N-channel 1-D/2-D convolution with groups, strides, pads, dilations',
  inputs: [{ name: 'X', role: 'data' }, { name: 'W', role: 'weight' }, { name: 'B', role: 'bias', optional: true }],
  attrs: convAttrs,
  infer: convInfer,
  evaluate: convEvaluate,
  macs: (node, inputs, outputs) => {
    const w = inputs[1]?.shape ?? [];
    return outputs[0] ? numel(outputs[0].shape) * numel(w.slice(1)) : 0;
  },
});

const gemmAttrs: Record<string, AttrSpec> = {
  alpha: { type: 'float', default: 1 }, beta: { type: 'float', default: 1 },
  transA: { type: 'int', default: 0 }, transB: { type: 'int', default: 0 },
};

function gemmDims(node: Node, a: readonly number[], b: readonly number[]): { M: number; K: number; N: number } {
  if (a.length !== 2 || b.length !== 2) throw new Error(`Gemm needs rank-2 A and B, got ${fmtShape(a)} and ${fmtShape(b)}`);
  const ta = attrNum(node, 'transA', gemmAttrs) !== 0, tb = attrNum(node, 'transB', gemmAttrs) !== 0;
  const [M, K] = ta ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
  const [K2, N] = tb ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
  if (K !== K2) throw new Error(`inner dimensions differ: A ${fmtShape(a)} and B ${fmtShape(b)} (transA=${+ta}, transB=${+tb})`);
  return { M, K, N };
}

const gemm: OpDef = def({
  type: 'Gemm', category: 'compute', summary: 'alpha * A\' B\' + beta * C',
  inputs: [{ name: 'A', role: 'data' }, { name: 'B', role: 'weight' }, { name: 'C', role: 'bias', optional: true }],
  attrs: gemmAttrs,
  infer: (node, inputs) => {
    const a = need(inputs, 0, 'input A'), b = need(inputs, 1, 'input B');
    requireFloat(a, 'input A');
    requireSameDtype(a, b, 'input B');
    const c = inputs[2];
    requireSameDtype(a, c?.info, 'bias C');
    const { M, N } = gemmDims(node, a.shape, b.shape);
    if (c && !broadcastsTo(c.info.shape, [M, N])) throw new Error(`bias shape ${fmtShape(c.info.shape)} does not broadcast to [${M},${N}]`);
    return [{ dtype: a.dtype, shape: [M, N] }];
  },
  evaluate: (node, inputs) => {
    const a = needT(inputs, 0), b = needT(inputs, 1), c = inputs[2];
    const { M, K, N } = gemmDims(node, a.dims, b.dims);
    const ta = attrNum(node, 'transA', gemmAttrs) !== 0, tb = attrNum(node, 'transB', gemmAttrs) !== 0;
    const alpha = attrNum(node, 'alpha', gemmAttrs), beta = attrNum(node, 'beta', gemmAttrs);
    const ad = a.data as Float32Array, bd = b.data as Float32Array;
    const out = new Float32Array(M * N);
    const row = new Float64Array(N);
    const cIdx = c ? broadcastIndex(c.dims, [M, N]) : undefined;
    const cd = c?.data as Float32Array | undefined;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = ad[ta ? k * M + i : i * K + k]!;
        if (tb) for (let j = 0; j < N; j++) row[j] += av * bd[j * K + k]!;
        else { const base = k * N; for (let j = 0; j < N; j++) row[j] += av * bd[base + j]!; }
      }
      for (let j = 0; j < N; j++) out[i * N + j] = alpha * row[j]! + (cd ? beta * cd[cIdx![i * N + j]!]! : 0);
    }
    return [{ dtype: 'float32', dims: [M, N], data: out }];
  },
  macs: (node, inputs) => {
    const { M, K, N } = gemmDims(node, inputs[0]!.shape, inputs[1]!.shape);
    return M * K * N;
  },
});

/** numpy.matmul shapes: 1-D operands are promoted and the promoted axis dropped; batch axes broadcast. */
function matmulShapes(a: readonly number[], b: readonly number[]) {
  if (a.length === 0 || b.length === 0) throw new Error('MatMul operands must have rank >= 1');
  const A = a.length === 1 ? [1, a[0]!] : [...a];
  const B = b.length === 1 ? [b[0]!, 1] : [...b];
  const M = A[A.length - 2]!, K = A[A.length - 1]!, K2 = B[B.length - 2]!, N = B[B.length - 1]!;
  if (K !== K2) throw new Error(`inner dimensions differ: ${fmtShape(a)} and ${fmtShape(b)}`);
  const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2));
  const out = [...batch];
  if (a.length !== 1) out.push(M);
  if (b.length !== 1) out.push(N);
  return { A, B, M, K, N, batch, out };
}

const matmul: OpDef = def({
  type: 'MatMul', category: 'compute', summary: 'numpy-style matrix product',
  inputs: [{ name: 'A', role: 'data' }, { name: 'B', role: 'weight' }],
  infer: (_node, inputs) => {
    const a = need(inputs, 0, 'input A'), b = need(inputs, 1, 'input B');
    requireFloat(a, 'input A');
    requireSameDtype(a, b, 'input B');
    return [{ dtype: a.dtype, shape: matmulShapes(a.shape, b.shape).out }];
  },
  evaluate: (_node, inputs) => {
    const a = needT(inputs, 0), b = needT(inputs, 1);
    const { A, B, M, K, N, batch, out } = matmulShapes(a.dims, b.dims);
    const nb = numel(batch);
    const ai = broadcastIndex(A.slice(0, -2), batch), bi = broadcastIndex(B.slice(0, -2), batch);
    const ad = a.data as Float32Array, bd = b.data as Float32Array;
    const res = new Float32Array(nb * M * N);
    const row = new Float64Array(N);
    for (let p = 0; p < nb; p++) {
      const ao = ai[p]! * M * K, bo = bi[p]! * K * N;
      for (let i = 0; i < M; i++) {
        row.fill(0);
        for (let k = 0; k < K; k++) {
          const av = ad[ao + i * K + k]!;
          const base = bo + k * N;
          for (let j = 0; j < N; j++) row[j] += av * bd[base + j]!;
        }
        for (let j = 0; j < N; j++) res[(p * M + i) * N + j] = row[j]!;
      }
    }
    return [{ dtype: 'float32', dims: out, data: res }];
  },
  macs: (_node, inputs: ValueInfo[]) => {
    const { M, K, N, batch } = matmulShapes(inputs[0]!.shape, inputs[1]!.shape);
    return numel(batch) * M * K * N;
  },
});

export const CONV_OPS: OpDef[] = [conv, gemm, matmul];
