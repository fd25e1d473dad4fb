// TEMPORARY experiment (deleted before the report): packed-double conv variants.
import { epilogueFn, preActivationZeroPoint } from '../../kernels/activations.js';
import { allocCodes, field, numel, outTensor, qdtypeOf, scalar } from '../../kernels/common.js';
import { writeChannel } from '../../kernels/output-stage.js';
import { convGeometry } from '../../kernels/conv2d.js';
import type { ConvGeometry } from '../../kernels/conv2d.js';
import type { Invocation, ParamValues, QTensor } from '../../kernels/types.js';

export const T: Record<string, number> = {};
const tick = (k: string, t0: number) => { T[k] = (T[k] ?? 0) + performance.now() - t0; return performance.now(); };

function paddedInput(x: QTensor, g: ConvGeometry, image: number) {
  const ph = g.h + g.pt + g.pb, pw = g.w + g.pl + g.pr;
  const xp = new Float64Array(g.c * ph * pw);
  const zp = x.zeroPoint, src = x.data, plane = g.h * g.w;
  for (let c = 0; c < g.c; c++) {
    const sBase = (image * g.c + c) * plane;
    for (let y = 0; y < g.h; y++) {
      const dRow = (c * ph + y + g.pt) * pw + g.pl, sRow = sBase + y * g.w;
      for (let xx = 0; xx < g.w; xx++) xp[dRow + xx] = src[sRow + xx]! - zp;
    }
  }
  return { xp, ph, pw };
}

/** Packed im2col: pairs of output pixels (p, p+1) in one double: x[p] + S * x[p+1]; odd tail pairs with 0. */
function im2colPacked(xp: Float64Array, ph: number, pw: number, g: ConvGeometry, grp: number, cols: Float64Array, S: number): void {
  const cg = g.c / g.group, k = cg * g.kh * g.kw, P = g.oh * g.ow;
  const pairs = (P + 1) >> 1;
  for (let q = 0; q < pairs; q++) {
    const p0 = 2 * q, p1 = p0 + 1;
    const y0 = (p0 / g.ow) | 0, x0 = p0 - y0 * g.ow;
    const has1 = p1 < P;
    const y1 = has1 ? (p1 / g.ow) | 0 : 0, x1 = has1 ? p1 - y1 * g.ow : 0;
    let dst = q * k;
    for (let icg = 0; icg < cg; icg++) {
      const plane = (grp * cg + icg) * ph * pw;
      for (let i = 0; i < g.kh; i++) {
        const r0 = plane + (y0 * g.sh + i * g.dh) * pw + x0 * g.sw;
        const r1 = plane + (y1 * g.sh + i * g.dh) * pw + x1 * g.sw;
        for (let j = 0; j < g.kw; j++) cols[dst++] = xp[r0 + j * g.dw]! + (has1 ? S * xp[r1 + j * g.dw]! : 0);
      }
    }
  }
}

function gemmPacked(wf: Float64Array, cols: Float64Array, k: number, ocFrom: number, ocTo: number, P: number, out: Float64Array, S: number): void {
  const pairs = (P + 1) >> 1;
  const inv = 1 / S;
  const put = (o: number, q: number, s: number): void => {
    const h = Math.round(s * inv);
    const p = 2 * q;
    out[o * P + p] = s - h * S;
    if (p + 1 < P) out[o * P + p + 1] = h;
  };
  let oc = ocFrom;
  for (; oc + 3 < ocTo; oc += 4) {
    const w0 = oc * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
    let q = 0;
    for (; q + 1 < pairs; q += 2) {
      const xa = q * k, xb = xa + k;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let c = 0; c < k; c++) {
        const u = cols[xa + c]!, v = cols[xb + c]!;
        const k0 = wf[w0 + c]!, k1 = wf[w1 + c]!, k2 = wf[w2 + c]!, k3 = wf[w3 + c]!;
        a0 += k0 * u; a1 += k1 * u; a2 += k2 * u; a3 += k3 * u;
        b0 += k0 * v; b1 += k1 * v; b2 += k2 * v; b3 += k3 * v;
      }
      put(oc, q, a0); put(oc + 1, q, a1); put(oc + 2, q, a2); put(oc + 3, q, a3);
      put(oc, q + 1, b0); put(oc + 1, q + 1, b1); put(oc + 2, q + 1, b2); put(oc + 3, q + 1, b3);
    }
    for (; q < pairs; q++) for (let o = oc; o < oc + 4; o++) put(o, q, dot(wf, o * k, cols, q * k, k));
  }
  for (; oc < ocTo; oc++) for (let q = 0; q < pairs; q++) put(oc, q, dot(wf, oc * k, cols, q * k, k));
}
function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i]! * b[bo + i]!;
  return s;
}

/** Depthwise with pixel pairs packed: pk[i] = xp[i] + S * xp[i + sw]. */
function depthwisePacked(acc: Float64Array, pk: Float64Array, pw: number, xBase: number, wts: Int8Array, wBase: number, g: ConvGeometry, S: number): void {
  const taps = g.kh * g.kw;
  const off: number[] = [], wk: number[] = [];
  for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) { off.push(i * g.dh * pw + j * g.dw); wk.push(wts[wBase + i * g.kw + j]!); }
  const inv = 1 / S;
  const even = g.ow & ~1;
  if (taps === 9) {
    const [w0, w1, w2, w3, w4, w5, w6, w7, w8] = wk as [number, number, number, number, number, number, number, number, number];
    const [o0, o1, o2, o3, o4, o5, o6, o7, o8] = off as [number, number, number, number, number, number, number, number, number];
    for (let y = 0; y < g.oh; y++) {
      const rowBase = xBase + y * g.sh * pw;
      const a = y * g.ow;
      for (let x = 0; x < even; x += 2) {
        const b = rowBase + x * g.sw;
        const s = w0 * pk[b + o0]! + w1 * pk[b + o1]! + w2 * pk[b + o2]! + w3 * pk[b + o3]! + w4 * pk[b + o4]!
          + w5 * pk[b + o5]! + w6 * pk[b + o6]! + w7 * pk[b + o7]! + w8 * pk[b + o8]!;
        const h = Math.round(s * inv);
        acc[a + x] = s - h * S;
        acc[a + x + 1] = h;
      }
      if (even < g.ow) {
        const b = rowBase + even * g.sw;
        const s = w0 * pk[b + o0]! + w1 * pk[b + o1]! + w2 * pk[b + o2]! + w3 * pk[b + o3]! + w4 * pk[b + o4]!
          + w5 * pk[b + o5]! + w6 * pk[b + o6]! + w7 * pk[b + o7]! + w8 * pk[b + o8]!;
        acc[a + even] = s - Math.round(s * inv) * S;
      }
    }
    return;
  }
  for (let y = 0; y < g.oh; y++) {
    for (let x = 0; x < g.ow; x += 2) {
      const b = xBase + y * g.sh * pw + x * g.sw;
      let s = 0;
      for (let t = 0; t < taps; t++) s += wk[t]! * pk[b + off[t]!]!;
      const h = Math.round(s * inv);
      acc[y * g.ow + x] = s - h * S;
      if (x + 1 < g.ow) acc[y * g.ow + x + 1] = h;
    }
  }
}

export function runConvExp(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues): QTensor[] {
  let t0 = performance.now();
  const g = convGeometry(inv);
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  const wts = field<Int8Array>(inv, params, 'weights');
  const cg = g.c / g.group, ocg = g.oc / g.group;
  const bias = field<Int32Array>(inv, params, 'bias'), mult = field<Int32Array>(inv, params, 'multiplier'), shift = field<Int32Array>(inv, params, 'shift');
  const lo = scalar(inv, params, 'out_min'), hi = scalar(inv, params, 'out_max');
  const zp = preActivationZeroPoint(inv, epilogueParams);
  const epi = epilogueFn(inv, epilogueParams);
  const out = allocCodes(qdtypeOf(o), numel(o.shape));
  const P = g.oh * g.ow;
  const acc = new Float64Array(g.oc * P);
  const depthwise = cg === 1;
  const k = cg * g.kh * g.kw;
  // exactness bound: |sum| <= k * max|w| * max|x - zp| < half of S, and |S * sum| < 2^53
  let wmax = 0; for (let i = 0; i < wts.length; i++) wmax = Math.max(wmax, Math.abs(wts[i]!));
  const xmax = x.data instanceof Int8Array ? 255 : 65535;
  const bound = Math.max(1, (depthwise ? g.kh * g.kw : k) * wmax * xmax);
  const S = 2 ** Math.ceil(Math.log2(2 * bound + 2));
  if (S * S > 2 ** 52) throw new Error('packing bound exceeded');
  const wf = depthwise ? null : Float64Array.from(wts);
  const cols = depthwise ? null : new Float64Array(((P + 1) >> 1) * k);
  t0 = tick('setup', t0);
  for (let n = 0; n < g.n; n++) {
    const { xp, ph, pw } = paddedInput(x, g, n);
    t0 = tick('pad', t0);
    if (depthwise) {
      const pk = new Float64Array(xp.length);
      for (let i = 0; i < xp.length; i++) pk[i] = xp[i]! + S * (i + g.sw < xp.length ? xp[i + g.sw]! : 0);
      t0 = tick('dwpack', t0);
      for (let oc = 0; oc < g.oc; oc++) {
        const grp = Math.floor(oc / ocg);
        depthwisePacked(acc.subarray(oc * P, (oc + 1) * P), pk, pw, grp * ph * pw, wts, oc * g.kh * g.kw, g, S);
      }
      t0 = tick('dw', t0);
    } else {
      for (let grp = 0; grp < g.group; grp++) {
        im2colPacked(xp, ph, pw, g, grp, cols!, S);
        t0 = tick('im2col', t0);
        gemmPacked(wf!, cols!, k, grp * ocg, (grp + 1) * ocg, P, acc, S);
        t0 = tick('gemm', t0);
      }
    }
    for (let oc = 0; oc < g.oc; oc++) {
      writeChannel(acc.subarray(oc * P, (oc + 1) * P), P, out, (n * g.oc + oc) * P, 1, bias[oc]!, mult[oc]!, shift[oc]!, zp, lo, hi, oc, epi);
    }
    t0 = tick('write', t0);
  }
  return [outTensor(o, out)];
}
