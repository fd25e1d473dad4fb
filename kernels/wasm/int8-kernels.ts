// Stage: kernel library support (simulator speed). The WebAssembly SIMD functions behind the int8 conv/fc fast path.
// Contract: int8BinaryModule() returns the module bytes; each function's pointer/size contract is documented on it.

import { encodeModule, Fn, OP, OP_FC, SIMD, T } from './encoder.js';

const { i32, v128 } = T;
const { i32_add: add, i32_sub: sub, i32_mul: mul, i32_shl: shl } = OP;

/** Byte lanes of i8x16.shuffle interleaving the low (high) four i16 lanes of a and b: a0 b0 a1 b1 ... */
const ZIP_LO = [0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23];
const ZIP_HI = [8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31];
/** The even i16 lanes of a:b (a horizontal stride of 2). */
const EVENS16 = [0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29];
/** The low i32 halves of two i64x2 vectors, as one i32x4. */
const LOW32 = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];

function params(n: number): 0x7f[] {
  return new Array<0x7f>(n).fill(i32);
}

/**
 * pad16(src, dst, c, h, w, pt, pl, ph, pw, zp, fill): int8 planes [c][h][w] at src become int16 (code - zp) planes
 * [c][ph][pw] at dst with the image at row pt, column pl; fill != 0 zeroes dst first (the padding).
 */
function pad16(): Fn {
  const f = new Fn('pad16', params(11));
  const [src, dst, c, h, w, pt, pl, ph, pw, zp, fill] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const ch = f.local(i32), y = f.local(i32), x = f.local(i32), d = f.local(i32), zv = f.local(v128);
  f.get(fill).if().get(dst).i32(0).get(c).get(ph).op(mul).get(pw).op(mul).i32(1).op(shl).fc(OP_FC.memory_fill, 0).end();
  f.get(zp).simd(SIMD.i16x8_splat).set(zv);
  f.forRange(ch, () => f.i32(0), () => f.get(c), 1, () => {
    f.forRange(y, () => f.i32(0), () => f.get(h), 1, () => {
      f.get(dst).get(ch).get(ph).op(mul).get(y).op(add).get(pt).op(add).get(pw).op(mul).get(pl).op(add).i32(1).op(shl).op(add).set(d);
      // eight codes at a time while x + 8 <= w, then one at a time
      f.forRange(x, () => f.i32(0), () => f.get(w).i32(7).op(sub), 8, () => {
        f.get(d).get(x).i32(1).op(shl).op(add);
        f.get(src).get(x).op(add).simdMem(SIMD.v128_load8x8_s, 0).get(zv).simd(SIMD.i16x8_sub);
        f.simdMem(SIMD.v128_store, 0);
      });
      f.forRange(x, null, () => f.get(w), 1, () => {
        f.get(d).get(x).i32(1).op(shl).op(add);
        f.get(src).get(x).op(add).mem(OP.i32_load8_s, 0).get(zp).op(sub);
        f.mem(OP.i32_store16, 0);
      });
      f.get(src).get(w).op(add).set(src);
    });
  });
  return f;
}

/**
 * pack(rows, P, K, cols, ppad, zero): int16 rows [K][P] (row stride P) become pairs of rows interleaved per pixel,
 * cols [ceil(K/2)][ppad][2]: the operand layout of i32x4.dot_i16x8_s. An odd last row pairs with `zero` (at least
 * ppad+8 zero int16). Pixels P..ppad-1 hold whatever follows the rows (never stored as results).
 */
function pack(): Fn {
  const f = new Fn('pack', params(6));
  const [rows, P, K, cols, ppad, zero] = [0, 1, 2, 3, 4, 5];
  const k2 = f.local(i32), ra = f.local(i32), rb = f.local(i32), cp = f.local(i32), p = f.local(i32), a = f.local(v128), b = f.local(v128);
  f.forRange(k2, () => f.i32(0), () => f.get(K), 2, () => {
    f.get(rows).get(k2).get(P).op(mul).i32(1).op(shl).op(add).tee(ra);
    f.get(P).i32(1).op(shl).op(add).get(zero).get(k2).i32(1).op(add).get(K).op(OP.i32_lt_s).op(OP.select).set(rb);
    f.get(cols).get(k2).get(ppad).op(mul).i32(1).op(shl).op(add).set(cp);
    f.forRange(p, () => f.i32(0), () => f.get(ppad), 8, () => {
      f.get(ra).simdMem(SIMD.v128_load, 0).set(a).get(rb).simdMem(SIMD.v128_load, 0).set(b);
      f.get(cp).get(a).get(b).shuffle(ZIP_LO).simdMem(SIMD.v128_store, 0);
      f.get(cp).get(a).get(b).shuffle(ZIP_HI).simdMem(SIMD.v128_store, 0, 16);
      f.addTo(ra, 16).addTo(rb, 16).addTo(cp, 32);
    });
  });
  return f;
}

/**
 * gemm(cols, ppad, kp, w, noc, acc): acc[oc][p] (int32, row stride ppad) = sum_k w[oc][k] * x[k][p] for oc < noc,
 * p < ppad (a multiple of 8), from packed cols (see pack) and weights packed as int16 pairs: blocks of 4 output
 * channels [kp][4][2], then the remaining channels [kp][2] each. Register block: 4 channels x 8 pixels.
 */
function gemm(): Fn {
  const f = new Fn('gemm', params(6));
  const [cols, ppad, kp, w, noc, acc] = [0, 1, 2, 3, 4, 5];
  const oc = f.local(i32), p = f.local(i32), k = f.local(i32), cp = f.local(i32), wp = f.local(i32), row = f.local(i32), o = f.local(i32);
  const x0 = f.local(v128), x1 = f.local(v128), s = f.local(v128);
  const a = Array.from({ length: 8 }, () => f.local(v128));
  f.get(ppad).i32(2).op(shl).set(row);
  const mac = (lanes: number): void => {
    for (let r = 0; r < lanes; r++) {
      f.get(wp).simdMem(SIMD.v128_load32_splat, 0, 4 * r).set(s);
      for (const [acc2, x] of [[a[2 * r]!, x0], [a[2 * r + 1]!, x1]] as const) {
        f.get(acc2).get(x).get(s).simd(SIMD.i32x4_dot_i16x8_s).simd(SIMD.i32x4_add).set(acc2);
      }
    }
  };
  /** The pixel loop of `lanes` (4 or 1) output channels whose weights start at local wb-expression. */
  const pixels = (lanes: number, wstep: number): void => {
    f.forRange(p, () => f.i32(0), () => f.get(ppad), 8, () => {
      for (let r = 0; r < 2 * lanes; r++) f.v128Zero().set(a[r]!);
      f.get(cols).get(p).i32(2).op(shl).op(add).set(cp);
      f.get(w).get(oc).get(kp).op(mul).i32(2).op(shl).op(add).set(wp);
      f.get(kp).set(k);
      f.loop();
      f.get(cp).simdMem(SIMD.v128_load, 0).set(x0).get(cp).simdMem(SIMD.v128_load, 0, 16).set(x1);
      mac(lanes);
      f.get(cp).get(row).op(add).set(cp).addTo(wp, wstep);
      f.get(k).i32(1).op(sub).tee(k).brIf(0).end();
      f.get(acc).get(oc).get(row).op(mul).op(add).get(p).i32(2).op(shl).op(add).set(o);
      for (let r = 0; r < lanes; r++) {
        f.get(o).get(a[2 * r]!).simdMem(SIMD.v128_store, 0).get(o).get(a[2 * r + 1]!).simdMem(SIMD.v128_store, 0, 16);
        f.get(o).get(row).op(add).set(o);
      }
    });
  };
  f.forRange(oc, () => f.i32(0), () => f.get(noc).i32(3).op(sub), 4, () => pixels(4, 16));
  f.forRange(oc, null, () => f.get(noc), 1, () => pixels(1, 4));
  return f;
}

/**
 * dw_s1 / dw_s2 (xp, plane, pw, oh, ow, sh, taps, wt, offs, noc, mult, acc): depthwise conv of int16 padded planes
 * (plane = elements per padded plane, row stride pw) with horizontal stride 1 or 2 and vertical stride sh. Output
 * channel c reads plane c / mult with int16 weights wt[c][taps] at byte offsets offs[taps] (int32). acc[c][oh*ow]
 * int32; 8 pixels per step, so each row overruns into the next (rewritten later) and the last by up to 7 lanes.
 */
function depthwise(stride: 1 | 2): Fn {
  const f = new Fn(`dw_s${stride}`, params(12));
  const [xp, plane, pw, oh, ow, sh, taps, wt, offs, noc, mult, acc] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const c = f.local(i32), y = f.local(i32), x = f.local(i32), t = f.local(i32), xb = f.local(i32), b = f.local(i32);
  const q = f.local(i32), wc = f.local(i32), ap = f.local(i32), rowStep = f.local(i32);
  const a0 = f.local(v128), a1 = f.local(v128), v = f.local(v128), s = f.local(v128);
  f.get(acc).set(ap);
  f.get(sh).get(pw).op(mul).i32(1).op(shl).set(rowStep);
  f.forRange(c, () => f.i32(0), () => f.get(noc), 1, () => {
    f.get(xp).get(c).get(mult).op(OP.i32_div_u).get(plane).op(mul).i32(1).op(shl).op(add).set(xb);
    f.get(wt).get(c).get(taps).op(mul).i32(1).op(shl).op(add).set(wc);
    f.forRange(y, () => f.i32(0), () => f.get(oh), 1, () => {
      f.forRange(x, () => f.i32(0), () => f.get(ow), 8, () => {
        f.get(xb).get(x).i32(stride).op(shl).op(add).set(b); // first input byte of pixel x: x * stride * 2
        f.v128Zero().set(a0).v128Zero().set(a1);
        f.forRange(t, () => f.i32(0), () => f.get(taps), 1, () => {
          f.get(wc).get(t).i32(1).op(shl).op(add).simdMem(SIMD.v128_load16_splat, 0).set(s);
          f.get(b).get(offs).get(t).i32(2).op(shl).op(add).mem(OP.i32_load, 0).op(add).set(q);
          f.get(q).simdMem(SIMD.v128_load, 0);
          if (stride === 2) f.get(q).simdMem(SIMD.v128_load, 0, 16).shuffle(EVENS16);
          f.set(v);
          f.get(a0).get(v).get(s).simd(SIMD.i32x4_extmul_low_i16x8_s).simd(SIMD.i32x4_add).set(a0);
          f.get(a1).get(v).get(s).simd(SIMD.i32x4_extmul_high_i16x8_s).simd(SIMD.i32x4_add).set(a1);
        });
        f.get(ap).get(x).i32(2).op(shl).op(add).set(q);
        f.get(q).get(a0).simdMem(SIMD.v128_store, 0).get(q).get(a1).simdMem(SIMD.v128_store, 0, 16);
      });
      f.get(ap).get(ow).i32(2).op(shl).op(add).set(ap);
      f.get(xb).get(rowStep).op(add).set(xb);
    });
  });
  return f;
}

/**
 * requant(acc, accStride, count, noc, prm, zp, lo, hi, out, outStride): the TFLite output stage on int32 rows:
 * out[c][p] = clamp(zp + RDBPOT(SRDHM((acc[c][p] + bias) << left, m), right), lo, hi) as int8, with per-channel
 * records prm[c] = {bias, m, left, right} (int32 x4). Preconditions (checked by the caller per channel): the
 * shifted sum fits int32 and m != INT32_MIN, so SRDHM(a, m) = (a*m + 2^30) >> 31 exactly, in 64-bit lanes.
 * Writes 8 codes per step: a row overruns into the next row (rewritten later), the last by up to 7 bytes.
 */
function requant(): Fn {
  const f = new Fn('requant', params(10));
  const [acc, accStride, count, noc, prm, zp, lo, hi, out, outStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const c = f.local(i32), p = f.local(i32), ap = f.local(i32), op = f.local(i32), rec = f.local(i32);
  const left = f.local(i32), right = f.local(i32), mask = f.local(i32);
  const bv = f.local(v128), mv = f.local(v128), maskv = f.local(v128), halfv = f.local(v128), lov = f.local(v128), hiv = f.local(v128);
  const zpv = f.local(v128), nudge = f.local(v128), xs = f.local(v128), h = f.local(v128), y0 = f.local(v128), n16 = f.local(v128);
  f.i64(2 ** 30).simd(SIMD.i64x2_splat).set(nudge);
  f.get(zp).simd(SIMD.i32x4_splat).set(zpv);
  f.get(lo).get(zp).op(sub).simd(SIMD.i32x4_splat).set(lov);
  f.get(hi).get(zp).op(sub).simd(SIMD.i32x4_splat).set(hiv);
  /** Requantizes the i32x4 on the stack (accumulators) and leaves the clamped codes on the stack. */
  const rq = (): void => {
    f.get(bv).simd(SIMD.i32x4_add).get(left).simd(SIMD.i32x4_shl).set(xs);
    f.get(xs).get(mv).simd(SIMD.i64x2_extmul_low_i32x4_s).get(nudge).simd(SIMD.i64x2_add).i32(31).simd(SIMD.i64x2_shr_s);
    f.get(xs).get(mv).simd(SIMD.i64x2_extmul_high_i32x4_s).get(nudge).simd(SIMD.i64x2_add).i32(31).simd(SIMD.i64x2_shr_s);
    f.shuffle(LOW32).set(h);
    // RoundingDivideByPOT: (h >> right) + ((h & mask) > (mask >> 1) + (h < 0)); gt_s yields -1 for true
    f.get(h).get(right).simd(SIMD.i32x4_shr_s);
    f.get(h).get(maskv).simd(SIMD.v128_and).get(halfv).get(h).i32(31).simd(SIMD.i32x4_shr_u).simd(SIMD.i32x4_add).simd(SIMD.i32x4_gt_s);
    f.simd(SIMD.i32x4_sub);
    // clamp before adding zp, so the sum cannot wrap: clamp(zp + y, lo, hi) = zp + clamp(y, lo - zp, hi - zp)
    f.get(lov).simd(SIMD.i32x4_max_s).get(hiv).simd(SIMD.i32x4_min_s).get(zpv).simd(SIMD.i32x4_add);
  };
  f.forRange(c, () => f.i32(0), () => f.get(noc), 1, () => {
    f.get(prm).get(c).i32(4).op(shl).op(add).set(rec);
    f.get(rec).mem(OP.i32_load, 0, 0).simd(SIMD.i32x4_splat).set(bv);
    f.get(rec).mem(OP.i32_load, 0, 4).simd(SIMD.i32x4_splat).set(mv);
    f.get(rec).mem(OP.i32_load, 0, 8).set(left);
    f.get(rec).mem(OP.i32_load, 0, 12).set(right);
    f.i32(1).get(right).op(shl).i32(1).op(sub).tee(mask).simd(SIMD.i32x4_splat).set(maskv);
    f.get(mask).i32(1).op(OP.i32_shr_u).simd(SIMD.i32x4_splat).set(halfv);
    f.get(acc).get(c).get(accStride).op(mul).op(add).set(ap);
    f.get(out).get(c).get(outStride).op(mul).op(add).set(op);
    f.forRange(p, () => f.i32(0), () => f.get(count), 8, () => {
      f.get(ap).simdMem(SIMD.v128_load, 0);
      rq();
      f.set(y0);
      f.get(op).get(p).op(add); // store address
      f.get(y0);
      f.get(ap).simdMem(SIMD.v128_load, 0, 16);
      rq();
      f.simd(SIMD.i16x8_narrow_i32x4_s).tee(n16).get(n16).simd(SIMD.i8x16_narrow_i16x8_s);
      f.simdLane(SIMD.v128_store64_lane, 0, 0, 0);
      f.addTo(ap, 32);
    });
  });
  return f;
}

/**
 * table(out, count, noc, outStride, tbl, tblStride): the int8 epilogue as code tables, in place:
 * out[c][p] = tbl[c * tblStride + 2 * (out[c][p] + 128)] (int16 entries; tblStride 0 shares one table).
 */
function table(): Fn {
  const f = new Fn('table', params(6));
  const [out, count, noc, outStride, tbl, tblStride] = [0, 1, 2, 3, 4, 5];
  const c = f.local(i32), p = f.local(i32), op = f.local(i32), tb = f.local(i32), a = f.local(i32);
  f.forRange(c, () => f.i32(0), () => f.get(noc), 1, () => {
    f.get(out).get(c).get(outStride).op(mul).op(add).set(op);
    f.get(tbl).get(c).get(tblStride).op(mul).op(add).i32(256).op(add).set(tb);
    f.forRange(p, () => f.i32(0), () => f.get(count), 1, () => {
      f.get(op).get(p).op(add).tee(a);
      f.get(tb).get(a).mem(OP.i32_load8_s, 0).i32(1).op(shl).op(add).mem(OP.i32_load16_s, 0);
      f.mem(OP.i32_store8, 0);
    });
  });
  return f;
}

/** The module: every function above, exported under its name, over one exported memory. */
export function int8BinaryModule(): Uint8Array {
  return encodeModule([pad16(), pack(), gemm(), depthwise(1), depthwise(2), requant(), table()], 1);
}
