// Stage: kernel library support (simulator speed). int8 conv2d / fully_connected through the WebAssembly SIMD module.
// Contract: returns exactly the codes of the scalar reference in kernels/conv2d.ts, or null when a precondition fails.

import { INT32_MAX, INT32_MIN } from '../fixedpoint.js';
import type { QTensor } from '../types.js';
import { int8Wasm, type Arena } from './runtime.js';

/** The conv geometry fields used here (kernels/conv2d.ts ConvGeometry satisfies it). */
export interface Int8ConvShape {
  n: number; c: number; h: number; w: number;
  oc: number; oh: number; ow: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number; pb: number; pr: number;
  group: number;
}

/** Output stage of an int8 compute kernel: the table fields plus the epilogue's int8 code tables. */
export interface Int8OutputStage {
  bias: Int32Array;
  multiplier: Int32Array;
  shift: Int32Array;
  /** zero point of the codes the stage writes (the epilogue's input zero point when one is folded in) */
  zp: number;
  lo: number;
  hi: number;
  /** epilogue as code tables, 256 int16 per channel (null: none); `tableChannels` 1 means one shared table */
  table: Int16Array | null;
  tableChannels: number;
}

/** Per weight table: per-output-channel L1 norms and the packed layouts, computed once (tables are immutable). */
interface Packed { key: string; l1: Float64Array; gemm: Int16Array | null; dw: Int16Array | null }
const packs = new WeakMap<Int8Array, Packed>();

function packedOf(wts: Int8Array, oc: number, rowLen: number, ocg: number): Packed {
  const key = `${oc}/${rowLen}/${ocg}`;
  let p = packs.get(wts);
  if (p?.key === key) return p;
  const l1 = new Float64Array(oc);
  for (let o = 0; o < oc; o++) {
    let s = 0;
    for (let i = o * rowLen; i < (o + 1) * rowLen; i++) s += Math.abs(wts[i]!);
    l1[o] = s;
  }
  p = { key, l1, gemm: null, dw: null };
  packs.set(wts, p);
  return p;
}

/**
 * Weights as int16 pairs for gemm: per group, blocks of 4 output channels laid out [kp][4][2], then the group's
 * remaining channels [kp][2] each; k past the row (odd K) is 0. Channel o's data starts at int32 index o * kp.
 */
function gemmWeights(p: Packed, wts: Int8Array, oc: number, k: number, ocg: number): Int16Array {
  if (p.gemm) return p.gemm;
  const kp = (k + 1) >> 1;
  const out = new Int16Array(oc * kp * 2);
  for (let o = 0; o < oc; o++) {
    const inGroup = o % ocg;
    const blockStart = o - (inGroup % 4);
    const inBlock = blockStart + 4 <= o - inGroup + ocg; // channel belongs to a full block of 4
    for (let kk = 0; kk < kp; kk++) {
      const at = inBlock ? (blockStart * kp + kk * 4 + (o - blockStart)) * 2 : (o * kp + kk) * 2;
      out[at] = wts[o * k + 2 * kk]!;
      out[at + 1] = 2 * kk + 1 < k ? wts[o * k + 2 * kk + 1]! : 0;
    }
  }
  p.gemm = out;
  return out;
}

/**
 * Writes the per-channel records {bias, m, left, right} the module's requant reads, or returns false when a
 * channel leaves the exact int32 fast path: the accumulator bound sum|w| * xmax plus |bias|, shifted left, must
 * fit int32, and m must not be INT32_MIN (the one SRDHM input that saturates).
 */
function writeRecords(rec: Int32Array, os: Int8OutputStage, l1: Float64Array, xmax: number): boolean {
  for (let c = 0; c < l1.length; c++) {
    const m = os.multiplier[c]!, shift = os.shift[c]!, bias = os.bias[c]!;
    if (m === INT32_MIN || shift > 30 || shift < -31) return false;
    const left = shift > 0 ? shift : 0;
    if ((l1[c]! * xmax + Math.abs(bias)) * 2 ** left > INT32_MAX) return false;
    rec[4 * c] = bias;
    rec[4 * c + 1] = m;
    rec[4 * c + 2] = left;
    rec[4 * c + 3] = shift > 0 ? 0 : -shift;
  }
  return true;
}

/** Checks shared by conv and fc: int8 codes in and out, an int16-safe zero point, a usable epilogue table. */
function usable(x: QTensor, os: Int8OutputStage, oc: number): number | null {
  if (!(x.data instanceof Int8Array)) return null;
  const xmax = Math.max(Math.abs(-128 - x.zeroPoint), Math.abs(127 - x.zeroPoint));
  if (!Number.isInteger(x.zeroPoint) || xmax > 32767) return null;
  if (!(os.lo >= -128 && os.hi <= 127 && os.lo <= 127 && os.hi >= -128)) return null;
  if (os.table && os.tableChannels !== 1 && os.tableChannels !== oc) return null;
  return xmax;
}

/** Regions shared by every path: the output stage records, the output codes and the epilogue tables. */
function stageRegions(ar: Arena, oc: number, outBytes: number, os: Int8OutputStage): { prm: number; out: number; tbl: number } {
  return { prm: ar.alloc(oc * 16), out: ar.alloc(outBytes), tbl: os.table ? ar.alloc(os.table.byteLength) : -1 };
}

/** Requantize acc rows into out rows, then apply the epilogue tables in place. */
function outputStage(ar: Arena, r: { prm: number; out: number; tbl: number }, acc: number, accStride: number, count: number, oc: number, os: Int8OutputStage): void {
  ar.ex.requant(acc, accStride, count, oc, r.prm, os.zp, os.lo, os.hi, r.out, count);
  if (os.table) ar.ex.table(r.out, count, oc, count, r.tbl, os.tableChannels === 1 ? 0 : 512);
}

/** conv2d on int8 codes (NCHW) with the SIMD module; null when not applicable (the caller runs the scalar path). */
export function conv2dInt8Wasm(g: Int8ConvShape, x: QTensor, wts: Int8Array, os: Int8OutputStage): Int8Array | null {
  const ar = int8Wasm();
  if (!ar) return null;
  const xmax = usable(x, os, g.oc);
  if (xmax === null) return null;
  const cg = g.c / g.group;
  const ocg = g.oc / g.group;
  const k = cg * g.kh * g.kw;
  if (cg === 1 && g.sw !== 1 && g.sw !== 2) return null;
  const positive = [g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.oh, g.ow, g.group].every((v) => Number.isInteger(v) && v >= 1);
  if (!positive || ![g.pt, g.pl, g.pb, g.pr].every((v) => Number.isInteger(v) && v >= 0) || !Number.isInteger(cg) || !Number.isInteger(ocg)) return null;
  const packed = packedOf(wts, g.oc, k, ocg);
  return cg === 1 ? depthwise(ar, g, x, wts, os, packed, xmax) : viaGemm(ar, g, x, wts, os, packed, xmax);
}

function depthwise(ar: Arena, g: Int8ConvShape, x: QTensor, wts: Int8Array, os: Int8OutputStage, packed: Packed, xmax: number): Int8Array | null {
  const ph = g.h + g.pt + g.pb, pw = g.w + g.pl + g.pr;
  const taps = g.kh * g.kw;
  const planeOut = g.oh * g.ow;
  const ocg = g.oc / g.group;
  ar.reset();
  const xin = ar.alloc(g.c * g.h * g.w);
  const xp = ar.alloc(g.c * ph * pw * 2);
  const wt = ar.alloc(g.oc * taps * 2);
  const offs = ar.alloc(taps * 4);
  const acc = ar.alloc(g.oc * planeOut * 4);
  const st = stageRegions(ar, g.oc, g.oc * planeOut, os);
  if (!ar.ready()) return null;
  if (!writeRecords(ar.i32(st.prm, g.oc * 4), os, packed.l1, xmax)) return null;
  packed.dw ??= Int16Array.from(wts);
  ar.i16(wt, g.oc * taps).set(packed.dw);
  const off = ar.i32(offs, taps);
  for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) off[i * g.kw + j] = (i * g.dh * pw + j * g.dw) * 2;
  if (os.table) ar.i16(st.tbl, os.table.length).set(os.table);
  const fill = g.pt + g.pb + g.pl + g.pr > 0 ? 1 : 0;
  const result = new Int8Array(g.n * g.oc * planeOut);
  const dw = g.sw === 1 ? ar.ex.dw_s1 : ar.ex.dw_s2;
  for (let n = 0; n < g.n; n++) {
    ar.i8(xin, g.c * g.h * g.w).set((x.data as Int8Array).subarray(n * g.c * g.h * g.w, (n + 1) * g.c * g.h * g.w));
    ar.ex.pad16(xin, xp, g.c, g.h, g.w, g.pt, g.pl, ph, pw, x.zeroPoint, fill);
    dw(xp, ph * pw, pw, g.oh, g.ow, g.sh, taps, wt, offs, g.oc, ocg, acc);
    outputStage(ar, st, acc, planeOut * 4, planeOut, g.oc, os);
    result.set(ar.i8(st.out, g.oc * planeOut), n * g.oc * planeOut);
  }
  return result;
}

function viaGemm(ar: Arena, g: Int8ConvShape, x: QTensor, wts: Int8Array, os: Int8OutputStage, packed: Packed, xmax: number): Int8Array | null {
  const ph = g.h + g.pt + g.pb, pw = g.w + g.pl + g.pr;
  const cg = g.c / g.group, ocg = g.oc / g.group;
  const k = cg * g.kh * g.kw, kp = (k + 1) >> 1;
  const P = g.oh * g.ow, ppad = (P + 7) & ~7;
  // 1x1, stride 1, no padding: the input planes already are the rows of the im2col matrix
  const direct = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && ph === g.h && pw === g.w;
  ar.reset();
  const xin = ar.alloc(g.c * g.h * g.w);
  const xp = ar.alloc(g.c * ph * pw * 2);
  const zero = ar.alloc(ppad * 2 + 16);
  const rows = direct ? -1 : ar.alloc(k * P * 2);
  const cols = ar.alloc(kp * ppad * 4);
  const w = ar.alloc(g.oc * kp * 4);
  const acc = ar.alloc(g.oc * ppad * 4);
  const st = stageRegions(ar, g.oc, g.oc * P, os);
  if (!ar.ready()) return null;
  if (!writeRecords(ar.i32(st.prm, g.oc * 4), os, packed.l1, xmax)) return null;
  ar.i16(w, g.oc * kp * 2).set(gemmWeights(packed, wts, g.oc, k, ocg));
  ar.i16(zero, ppad + 8).fill(0);
  if (os.table) ar.i16(st.tbl, os.table.length).set(os.table);
  const fill = g.pt + g.pb + g.pl + g.pr > 0 ? 1 : 0;
  const result = new Int8Array(g.n * g.oc * P);
  for (let n = 0; n < g.n; n++) {
    ar.i8(xin, g.c * g.h * g.w).set((x.data as Int8Array).subarray(n * g.c * g.h * g.w, (n + 1) * g.c * g.h * g.w));
    ar.ex.pad16(xin, xp, g.c, g.h, g.w, g.pt, g.pl, ph, pw, x.zeroPoint, fill);
    for (let grp = 0; grp < g.group; grp++) {
      let src = xp + grp * cg * P * 2;
      if (!direct) {
        im2col(ar.i16(xp, g.c * ph * pw), ar.i16(rows, k * P), g, grp, ph, pw);
        src = rows;
      }
      ar.ex.pack(src, P, k, cols, ppad, zero);
      ar.ex.gemm(cols, ppad, kp, w + grp * ocg * kp * 4, ocg, acc + grp * ocg * ppad * 4);
    }
    outputStage(ar, st, acc, ppad * 4, P, g.oc, os);
    result.set(ar.i8(st.out, g.oc * P), n * g.oc * P);
  }
  return result;
}

/** rows[(icg, i, j)][y * ow + x] = xp[grp * cg + icg][y * sh + i * dh][x * sw + j * dw] (weight order). */
function im2col(xp: Int16Array, rows: Int16Array, g: Int8ConvShape, grp: number, ph: number, pw: number): void {
  const cg = g.c / g.group;
  let r = 0;
  for (let icg = 0; icg < cg; icg++) {
    const plane = (grp * cg + icg) * ph * pw;
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        for (let y = 0; y < g.oh; y++) {
          const s = plane + (y * g.sh + i * g.dh) * pw + j * g.dw;
          if (g.sw === 1) {
            rows.set(xp.subarray(s, s + g.ow), r);
            r += g.ow;
          } else {
            for (let xx = 0; xx < g.ow; xx++) rows[r++] = xp[s + xx * g.sw]!;
          }
        }
      }
    }
  }
}

/** fully_connected on int8 codes: y[b][o] = sum_k W[o][k] x[b][k], the batch rows as pixels of a 1x1 conv. */
export function fullyConnectedInt8Wasm(n: number, k: number, cOut: number, x: QTensor, wts: Int8Array, os: Int8OutputStage): Int8Array | null {
  const ar = int8Wasm();
  if (!ar) return null;
  const xmax = usable(x, os, cOut);
  if (xmax === null) return null;
  const packed = packedOf(wts, cOut, k, cOut);
  const kp = (k + 1) >> 1, ppad = (n + 7) & ~7;
  ar.reset();
  const rows = ar.alloc(k * n * 2);
  const zero = ar.alloc(ppad * 2 + 16);
  const cols = ar.alloc(kp * ppad * 4);
  const w = ar.alloc(cOut * kp * 4);
  const acc = ar.alloc(cOut * ppad * 4);
  const st = stageRegions(ar, cOut, cOut * n, os);
  if (!ar.ready()) return null;
  if (!writeRecords(ar.i32(st.prm, cOut * 4), os, packed.l1, xmax)) return null;
  ar.i16(w, cOut * kp * 2).set(gemmWeights(packed, wts, cOut, k, cOut));
  ar.i16(zero, ppad + 8).fill(0);
  if (os.table) ar.i16(st.tbl, os.table.length).set(os.table);
  const r = ar.i16(rows, k * n);
  const zp = x.zeroPoint;
  for (let b = 0; b < n; b++) for (let i = 0; i < k; i++) r[i * n + b] = x.data[b * k + i]! - zp;
  ar.ex.pack(rows, n, k, cols, ppad, zero);
  ar.ex.gemm(cols, ppad, kp, w, cOut, acc);
  outputStage(ar, st, acc, ppad * 4, n, cOut, os);
  const codes = ar.i8(st.out, cOut * n);
  const result = new Int8Array(n * cOut);
  for (let o = 0; o < cOut; o++) for (let b = 0; b < n; b++) result[b * cOut + o] = codes[o * n + b]!;
  return result;
}
