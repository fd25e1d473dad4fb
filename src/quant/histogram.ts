// Stage: fixed point (calibration statistics). Streaming value histograms and the MSE-optimal int8 range they imply.
// Contract: deterministic for the same data in the same order; bins have a power-of-two width anchored at 0, so growing the range merges bins exactly.

import type { Range } from './calibrate.js';

/** Bins per histogram: fine enough that a bin is ~1/8 of an int8 step at the widest range (2048 / 255). */
export const HIST_BINS = 2048;

/**
 * Counts, sums and sums of squares of the values seen, per bin [k*w, (k+1)*w), plus exact zeros apart (ReLU
 * outputs are often half zeros, and zero is always exactly representable, so they cost nothing to quantize).
 * Keeping per-bin sums makes every tail error below exact, not a bin-centre approximation.
 */
export class Histogram {
  /** Bin width, a power of two; 0 until a nonzero value arrives. */
  width = 0;
  /** Bin index of counts[0]. */
  start = 0;
  counts = new Float64Array(HIST_BINS);
  sums = new Float64Array(HIST_BINS);
  squares = new Float64Array(HIST_BINS);
  zeros = 0;
  min = Infinity;
  max = -Infinity;

  /** Record every finite element of `data` (non-finite values are left to the min/max range). */
  add(data: ArrayLike<number>): void {
    let lo = Infinity;
    let hi = -Infinity;
    let finite = true;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v - v !== 0) finite = false; // NaN or +-Infinity
      else {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    if (!finite) return this.addSlow(data);
    if (lo > hi) return;
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    if (this.min !== 0 || this.max !== 0) this.cover();
    const inv = this.width > 0 ? 1 / this.width : 0; // exact: the width is a power of two
    const { counts, sums, squares, start } = this;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v === 0) {
        this.zeros++;
        continue;
      }
      const k = Math.floor(v * inv) - start;
      counts[k]++;
      sums[k] += v;
      squares[k] += v * v;
    }
  }

  /** Data holding Infinity or NaN: only the finite elements are binned. */
  private addSlow(data: ArrayLike<number>): void {
    const finite: number[] = [];
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (Number.isFinite(v)) finite.push(v);
    }
    if (finite.length > 0) this.add(finite);
  }

  /** Total number of finite values recorded. */
  get total(): number {
    let n = this.zeros;
    for (let k = 0; k < HIST_BINS; k++) n += this.counts[k]!;
    return n;
  }

  /** Re-bin (doubling the width as needed) so that every value seen so far, [min, max], falls inside the bins. */
  private cover(): void {
    const { min: lo, max: hi } = this;
    const w0 = this.width;
    if (w0 > 0 && Math.floor(lo / w0) >= this.start && Math.floor(hi / w0) < this.start + HIST_BINS) return;
    // Smallest normal power of two keeps 1/w finite and exact.
    let w = w0 > 0 ? w0 : Math.max(2 ** -1022, 2 ** Math.ceil(Math.log2(Math.max(-lo, hi) / (HIST_BINS / 2))));
    while (Math.floor(hi / w) - Math.floor(lo / w) + 1 > HIST_BINS) w *= 2;
    const a = Math.floor(lo / w);
    const used = Math.floor(hi / w) - a + 1;
    // Centre the occupied bins: later samples may then extend the range either way without a re-bin.
    this.rebin(w, a - Math.floor((HIST_BINS - used) / 2));
  }

  private rebin(w: number, start: number): void {
    const counts = new Float64Array(HIST_BINS);
    const sums = new Float64Array(HIST_BINS);
    const squares = new Float64Array(HIST_BINS);
    if (this.width > 0) {
      const f = w / this.width;
      for (let k = 0; k < HIST_BINS; k++) {
        if (this.counts[k] === 0) continue;
        const j = Math.floor((this.start + k) / f) - start;
        counts[j]! += this.counts[k]!;
        sums[j]! += this.sums[k]!;
        squares[j]! += this.squares[k]!;
      }
    }
    Object.assign(this, { width: w, start, counts, sums, squares });
  }
}

/** A point mass or bin of the (clamped) distribution: count, sum and sum of squares of its values. */
interface Atom {
  n: number;
  s: number;
  q: number;
  /** Mean value: which side of a candidate bound the atom lies. */
  m: number;
}

/** The histogram's mass as ordered atoms, every value clamped into [lo, hi] (the activation chain reading it). */
function atomsOf(h: Histogram, lo: number, hi: number): { atoms: Atom[]; zeros: number } {
  const atoms: Atom[] = [];
  let zeros = h.zeros;
  let below = 0;
  let above = 0;
  for (let k = 0; k < HIST_BINS; k++) {
    const n = h.counts[k]!;
    if (n === 0) continue;
    const m = h.sums[k]! / n;
    if (m < lo) below += n;
    else if (m > hi) above += n;
    else atoms.push({ n, s: h.sums[k]!, q: h.squares[k]!, m });
  }
  const point = (v: number, n: number): void => {
    if (n === 0) return;
    if (v === 0) zeros += n;
    else atoms.push({ n, s: n * v, q: n * v * v, m: v });
  };
  point(lo, below);
  point(hi, above);
  atoms.sort((x, y) => x.m - y.m);
  return { atoms, zeros };
}

/** Candidate bounds per side: evenly spaced between 0 and the extreme (the extreme itself first, so ties keep it). */
const CANDIDATES = 256;

/**
 * The int8 (asymmetric, `levels` steps) range [lo <= 0 <= hi] that minimises the expected squared quantization
 * error of the recorded values after clamping them into `clamp`: rounding noise step^2/12 for every nonzero value
 * inside, squared distance to the bound for every value outside. This is the L2-optimal clipping PyTorch's
 * HistogramObserver and TensorRT-style calibrators approximate; values clipped away cost their exact distance.
 * A histogram without nonzero values returns its (clamped) min/max.
 */
export function mseRange(h: Histogram, levels: number, clamp: { lo: number; hi: number } = { lo: -Infinity, hi: Infinity }): Range {
  const cl = (v: number): number => Math.min(Math.max(v, clamp.lo), clamp.hi);
  const full = { min: cl(h.min), max: cl(h.max) };
  if (!(full.min <= full.max) || !Number.isFinite(full.min) || !Number.isFinite(full.max)) return full;
  const { atoms } = atomsOf(h, clamp.lo, clamp.hi);
  const lo0 = Math.min(0, full.min);
  const hi0 = Math.max(0, full.max);
  if (atoms.length === 0 || hi0 - lo0 <= 0) return full;

  // Tail cost of each candidate bound: sum over atoms beyond it of n*(x - b)^2 = q - 2bs + b^2 n.
  const tail = (bounds: number[], side: 1 | -1): { cost: Float64Array; count: Float64Array } => {
    const cost = new Float64Array(bounds.length);
    const count = new Float64Array(bounds.length);
    bounds.forEach((b, i) => {
      let n = 0;
      let s = 0;
      let q = 0;
      for (const a of atoms) {
        if (side > 0 ? a.m > b : a.m < b) {
          n += a.n;
          s += a.s;
          q += a.q;
        }
      }
      cost[i] = Number(process.env.TAILW ?? 1) * Math.max(0, q - 2 * b * s + b * b * n);
      count[i] = n;
    });
    return { cost, count };
  };
  const his = hi0 > 0 ? Array.from({ length: CANDIDATES }, (_, i) => (hi0 * (CANDIDATES - i)) / CANDIDATES) : [0];
  const los = lo0 < 0 ? Array.from({ length: CANDIDATES }, (_, i) => (lo0 * (CANDIDATES - i)) / CANDIDATES) : [0];
  const th = tail(his, 1);
  const tl = tail(los, -1);
  let nonzero = 0;
  for (const a of atoms) nonzero += a.n;
  let best = { e: Infinity, lo: lo0, hi: hi0 };
  for (let i = 0; i < los.length; i++) {
    for (let j = 0; j < his.length; j++) {
      const step = (his[j]! - los[i]!) / levels;
      const inside = nonzero - tl.count[i]! - th.count[j]!;
      const e = (inside * step * step) / 12 + tl.cost[i]! + th.cost[j]!;
      if (e < best.e) best = { e, lo: los[i]!, hi: his[j]! };
    }
  }
  return { min: best.lo, max: best.hi };
}
