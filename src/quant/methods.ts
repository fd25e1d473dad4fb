// Stage: fixed point. Calibration methods: what activation range a tensor's observed values get. min-max keeps every
// value; percentile, MSE-optimal and entropy (KL divergence, as TensorRT calibrates) clip rare outliers for resolution.
// Contract: pure functions of a value histogram (plus the exact min/max); deterministic; the range always contains every
// value min-max would when clipping does not pay, and always contains 0 after activationQParams widens it.

import type { Range } from './calibrate.js';
import { activationQParams, QRANGE } from './qparams.js';
import type { ActDType } from './qparams.js';

export type CalibMethod = 'minmax' | 'percentile' | 'mse' | 'entropy';
export const CALIB_METHODS: readonly CalibMethod[] = ['minmax', 'percentile', 'mse', 'entropy'];

/** Bins of the observation histogram: fine enough that a clipped int8 range still spans hundreds of bins. */
export const HIST_BINS = 4096;
/** Percentile method: the fraction of values kept inside the range on each side. */
export const PERCENTILE = 0.9999;

/**
 * Histogram of every value a tensor took over all calibration samples, on the symmetric range [-r, r] split into
 * HIST_BINS equal bins. When a value falls outside, r doubles and pairs of bins merge (exact: bin edges stay edges),
 * so one pass over the samples suffices whatever order the values come in.
 */
export class ValueHistogram {
  counts = new Float64Array(HIST_BINS);
  radius = 0;
  min = Infinity;
  max = -Infinity;
  /** Values exactly 0 (ReLU outputs, padding): exact in every range, so methods may leave them out. */
  zeros = 0;

  add(data: ArrayLike<number | bigint>): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(lo <= hi)) return;
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    const need = Math.max(-lo, hi);
    if (this.radius === 0) this.radius = need > 0 ? need : 1;
    while (need > this.radius) this.double();
    const r = this.radius;
    const k = HIST_BINS / (2 * r);
    const c = this.counts;
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      if (v === 0) this.zeros++;
      const b = Math.floor((v + r) * k);
      c[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b]!++;
    }
  }

  private double(): void {
    const old = this.counts;
    const c = new Float64Array(HIST_BINS);
    const q = HIST_BINS / 4;
    for (let k = 0; k < HIST_BINS / 2; k++) c[q + k] = old[2 * k]! + old[2 * k + 1]!;
    this.counts = c;
    this.radius *= 2;
  }

  get binWidth(): number {
    return (2 * this.radius) / HIST_BINS;
  }

  /** Lower edge of bin b. */
  edge(b: number): number {
    return -this.radius + b * this.binWidth;
  }
}

/** The range a method picks for one tensor. `exact` is the observed min/max (min-max's answer). */
export function rangeByMethod(h: ValueHistogram, method: CalibMethod, dtype: ActDType): Range {
  const exact = { min: h.min, max: h.max };
  if (method === 'minmax' || !(h.min < h.max) || h.radius === 0) return exact;
  if (method === 'percentile') return percentileRange(h, PERCENTILE);
  return method === 'mse' ? mseRange(h, dtype) : entropyRange(h, dtype);
}

/** [q(1 - p), q(p)] of the value distribution, never wider than min-max. */
export function percentileRange(h: ValueHistogram, p: number): Range {
  const total = h.counts.reduce((a, b) => a + b, 0);
  const tail = (1 - p) * total;
  let acc = 0;
  let lo = 0;
  while (lo < HIST_BINS - 1 && acc + h.counts[lo]! <= tail) acc += h.counts[lo++]!;
  acc = 0;
  let hi = HIST_BINS - 1;
  while (hi > 0 && acc + h.counts[hi]! <= tail) acc += h.counts[hi--]!;
  return { min: Math.max(h.min, h.edge(lo)), max: Math.min(h.max, h.edge(hi + 1)) };
}

/** Candidate thresholds T of the MSE search: CANDIDATES steps from SMALLEST_FRACTION * max|x| to max|x|. */
const CANDIDATES = 128;
const SMALLEST_FRACTION = 0.05;

/** min-max clipped to [-t, t] on each side (a side already inside stays as observed). */
function clampTo(h: ValueHistogram, t: number): Range {
  return { min: Math.max(h.min, -t), max: Math.min(h.max, t) };
}

/** The candidate clipping with the least expected squared quantization error. */
function mseRange(h: ValueHistogram, dtype: ActDType): Range {
  let best = { min: h.min, max: h.max };
  let bestCost = mseOf(h, best, dtype);
  const amax = Math.max(-h.min, h.max);
  for (let k = CANDIDATES - 1; k >= 1; k--) {
    const r = clampTo(h, amax * (SMALLEST_FRACTION + ((1 - SMALLEST_FRACTION) * k) / CANDIDATES));
    const c = mseOf(h, r, dtype);
    if (c < bestCost) {
      bestCost = c;
      best = r;
    }
  }
  return best;
}

/** Expected squared error of quantizing the histogram's values (bin centres) with the range's scale and zero point. */
export function mseOf(h: ValueHistogram, r: Range, dtype: ActDType): number {
  const q = activationQParams(r, dtype);
  const { qmin, qmax } = QRANGE[dtype];
  const w = h.binWidth;
  let err = 0;
  for (let b = 0; b < HIST_BINS; b++) {
    const n = h.counts[b]!;
    if (n === 0) continue;
    const x = h.edge(b) + w / 2;
    const code = Math.min(qmax, Math.max(qmin, Math.round(x / q.scale) + q.zeroPoint));
    const d = x - (code - q.zeroPoint) * q.scale;
    err += n * d * d;
  }
  return err;
}

/** |x| histogram over [0, radius]: the signed histogram folded at 0 (HIST_BINS / 2 bins of the same width). */
function magnitudes(h: ValueHistogram): Float64Array {
  const half = HIST_BINS / 2;
  const m = new Float64Array(half);
  for (let k = 0; k < half; k++) m[k] = h.counts[half + k]! + h.counts[half - 1 - k]!;
  // exact zeros cost nothing in any range; left in, a ReLU output's spike at 0 dominates the divergence
  m[0] = Math.max(0, m[0]! - h.zeros);
  return m;
}

/**
 * TensorRT's entropy calibration on the |x| histogram: for each threshold bin i, P = the first i bins with the
 * clipped tail added to bin i-1, Q = P merged into as many levels as the range's codes give that magnitude and spread
 * evenly over each level's non-empty bins; the threshold T with the least KL(P || Q) wins and clips min-max to
 * [-T, T]. Exact zeros are left out of P. int16 has more levels than bins: min-max.
 */
function entropyRange(h: ValueHistogram, dtype: ActDType): Range {
  const m = magnitudes(h);
  const { qmin, qmax } = QRANGE[dtype];
  const twoSided = h.min < 0 && h.max > 0;
  const levels = Math.floor((qmax - qmin + 1) / (twoSided ? 2 : 1));
  let used = m.length;
  while (used > 0 && m[used - 1] === 0) used--;
  const exact = { min: h.min, max: h.max };
  if (used <= levels) return exact;
  let bestI = used;
  let best = Infinity;
  // thresholds a few bins apart find the same minimum as every bin (the KL curve is smooth) at a fraction of the cost
  const step = Math.max(1, Math.floor((used - levels) / 512));
  for (let i = levels; i <= used; i += step) {
    const kl = klAt(m, i, used, levels);
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return clampTo(h, bestI * (h.radius / m.length));
}

/**
 * KL(P || Q) for threshold bin i (see entropyRange). As in TensorRT, Q is built from the bins inside the threshold
 * only (without the clipped tail P carries in its last bin), which is what makes clipping cost something.
 */
export function klAt(m: Float64Array, i: number, used: number, levels: number): number {
  const inside = m.subarray(0, i);
  let tail = 0;
  for (let k = i; k < used; k++) tail += m[k]!;
  let insideTotal = 0;
  for (let k = 0; k < i; k++) insideTotal += inside[k]!;
  const pTotal = insideTotal + tail;
  if (insideTotal === 0) return Infinity;
  const p = (k: number): number => (k === i - 1 ? inside[k]! + tail : inside[k]!);
  let kl = 0;
  const per = i / levels;
  for (let l = 0; l < levels; l++) {
    const from = Math.floor(l * per);
    const to = l === levels - 1 ? i : Math.floor((l + 1) * per);
    let mass = 0;
    let nonEmpty = 0;
    for (let k = from; k < to; k++) if (inside[k]! > 0) { mass += inside[k]!; nonEmpty++; }
    for (let k = from; k < to; k++) {
      const pk = p(k);
      if (pk === 0) continue;
      // a bin P has but Q does not (only the tail bin can be one) is smoothed as TensorRT does: tiny, not zero
      const qk = inside[k]! > 0 ? mass / nonEmpty / insideTotal : 1e-4 / insideTotal;
      kl += (pk / pTotal) * Math.log(pk / pTotal / qk);
    }
  }
  return kl;
}

/** Histograms of every runtime value of several graphs, filled by collectRangesMany's observer. */
export class HistogramSet {
  readonly perGraph: Map<string, ValueHistogram>[];
  constructor(graphs: number) {
    this.perGraph = Array.from({ length: graphs }, () => new Map());
  }
  readonly observe = (gi: number, name: string, t: { data: ArrayLike<number | bigint> }): void => {
    const m = this.perGraph[gi]!;
    let h = m.get(name);
    if (!h) m.set(name, (h = new ValueHistogram()));
    h.add(t.data);
  };
  /** The ranges `method` picks from one graph's histograms (values without a histogram keep their `raw` min/max). */
  static rangesOf(hist: ReadonlyMap<string, ValueHistogram>, method: CalibMethod, dtype: ActDType, raw: ReadonlyMap<string, Range>): Map<string, Range> {
    const out = new Map<string, Range>();
    for (const [v, r] of raw) {
      const h = hist.get(v);
      out.set(v, h ? rangeByMethod(h, method, dtype) : { ...r });
    }
    return out;
  }
}
