// Stage: graph passes, fusion algebra. Exact composition of piecewise-linear activations, one parameter element at a time.
// Contract: pure float arithmetic; a composed chain is described per input half-line and checked for float32 exactness.

/**
 * The normal form of one parameter element (one channel of a PRelu, the single element of a LeakyRelu...):
 *   f(x) = min(max(x < 0 ? a*x : x, lo), hi)
 * with a, lo, hi float32 values (lo/hi possibly infinite). Relu is a=0, LeakyRelu/PRelu a=alpha, Clip a=1 with bounds,
 * Identity a=1 without bounds. Clip with lo > hi yields hi everywhere (ONNX/ORT); that is the same as lo = hi.
 */
export interface NormalElem {
  a: number;
  lo: number;
  hi: number;
  /** Relu proper: max(x, 0) is 0 even at -inf, where a LeakyRelu with slope 0 computes 0 * -inf = NaN. */
  relu?: boolean;
}

export const FLT_MAX = 3.4028234663852886e38;
/** Smallest normal float32: below it float32 keeps fewer than 24 significant bits. */
export const FLT_MIN_NORMAL = 2 ** -126;
/** Smallest positive subnormal float32 (the largest negative float32 is its negation). */
export const FLT_TRUE_MIN = 2 ** -149;
/** A subnormal rounding error (<= 2^-150) may be amplified by at most this and stay below FLT_MIN_NORMAL. */
export const MAX_UNDERFLOW_GAIN = 2 ** 24;
/** Sequential float32 products a chain may hold before its rounding could differ from one product by more than 1e-6 rel. */
export const MAX_ROUNDINGS = 12;

const f32 = Math.fround;

/** An interval of input values (float32 semantics; infinite ends mean unbounded). */
export interface Interval {
  lo: number;
  hi: number;
}

export const UNBOUNDED: Interval = { lo: -Infinity, hi: Infinity };

/**
 * One half-line of the input (x < 0 or x >= 0) pushed through a chain. On a half-line every chain member acts as
 * either the identity or a multiplication (the value's sign is fixed there: see docs/fusion.md), so the branch is
 * always clamp(s*x, l, h) or a constant. The float32 trackers record what the chain's sequential rounding can do
 * that a single fused multiplication cannot (underflow later amplified, overflow later shrunk).
 */
export class Branch {
  /** Domain is empty: the branch is a don't-care. */
  dead: boolean;
  isConst = false;
  c = 0;
  /** Product of applied slopes (float64 of float32 factors). */
  s = 1;
  l = -Infinity;
  h = Infinity;
  /** Unclamped s*domain interval (real arithmetic). */
  ulo: number;
  uhi: number;
  /**
   * Bound, in units of 2^-150, on |chain - fused| from subnormal roundings: a product that may land below
   * FLT_MIN_NORMAL rounds with absolute error <= 2^-150, and every later slope of the chain multiplies that error,
   * which the fused kernel (one rounding) does not make.
   */
  err = 0;
  /** The last product may have been rounded in the subnormal range. */
  private sub = false;
  /** Smallest net gain applied since a step whose value could overflow (Infinity: none pending). */
  o = Infinity;
  /** Sequential float32 roundings on the linear part. */
  roundings = 0;
  /** Values may be +-inf (an infinite input constant or an overflow), where 0 * inf makes NaN. */
  inf: boolean;
  /** Of those, the input's own infinities (real arithmetic has them too) are still possible: not only an overflow's. */
  private inputInf: boolean;
  /**
   * A zero slope met a value that is infinite only because the chain overflowed: the chain computes NaN where real
   * arithmetic (and a fused kernel) gives 0. Refused under the strict policy only.
   */
  overflowNaN = false;
  /** Values straddled 0 before a slope (cannot happen on a half-line; kept as a guard against rounding surprises). */
  broken = false;
  readonly dlo: number;
  readonly dhi: number;

  constructor(dlo: number, dhi: number, inf = false) {
    this.dlo = dlo;
    this.dhi = dhi;
    this.inf = inf && (dlo === -Infinity || dhi === Infinity);
    this.inputInf = this.inf;
    this.dead = !(dlo <= dhi);
    this.ulo = dlo;
    this.uhi = dhi;
    if (!this.dead && dlo === dhi) this.setConst(dlo);
  }

  private setConst(c: number): void {
    this.isConst = true;
    this.c = c;
  }

  /** Current value interval (clamped). */
  vlo(): number {
    return this.isConst ? this.c : clampNum(this.ulo, this.l, this.h);
  }

  vhi(): number {
    return this.isConst ? this.c : clampNum(this.uhi, this.l, this.h);
  }

  /** x < 0 ? a*x : x applied to the branch's values (relu: 0 for every negative value, -inf included). */
  slope(a: number, relu = false): void {
    if (this.dead || a === 1) return;
    if (this.isConst) {
      if (this.c < 0) this.c = relu ? 0 : f32(a * this.c);
      if (Number.isNaN(this.c)) this.broken = true;
      return;
    }
    if (this.vlo() >= 0) return; // every value is >= 0 (or -0): identity
    // Values on a half-line never straddle 0 (docs/fusion.md), so here every value is <= 0: a multiplication.
    if (this.vhi() > 0) this.broken = true;
    if (a === 0) {
      // 0 * an overflowed (infinite) chain value is NaN: the chain then computes something no kernel does
      if (!relu && this.inf) {
        if (this.inputInf) this.broken = true;
        else this.overflowNaN = true;
      }
      this.setConst(0);
      return;
    }
    this.s *= a;
    if (Math.abs(a) !== 1) this.roundings++;
    if (a > 0) {
      this.ulo *= a;
      this.uhi *= a;
      this.l = f32(a * this.l);
      this.h = f32(a * this.h);
    } else {
      const ulo = this.uhi * a, uhi = this.ulo * a;
      const l = f32(a * this.h), h = f32(a * this.l);
      this.ulo = ulo;
      this.uhi = uhi;
      this.l = l;
      this.h = h;
    }
    const g = Math.abs(a);
    this.err = (this.err + (this.sub ? 1 : 0)) * g;
    this.o *= g;
    const lo = this.vlo(), hi = this.vhi();
    const minAbs = lo > 0 ? lo : hi < 0 ? -hi : 0;
    this.sub = minAbs < FLT_MIN_NORMAL;
    if (Math.max(Math.abs(lo), Math.abs(hi)) > FLT_MAX) {
      // the chain's value is then +-inf, not the real product: later clamps meet an infinity
      if (lo < -FLT_MAX) this.ulo = -Infinity;
      if (hi > FLT_MAX) this.uhi = Infinity;
      this.o = Math.min(this.o, 1);
      this.inf = true;
    }
  }

  /** min(max(v, lo), hi) applied to the branch's values; lo <= hi. */
  clamp(lo: number, hi: number): void {
    if (this.dead) return;
    if (this.isConst) {
      this.c = clampNum(this.c, lo, hi);
      return;
    }
    this.l = clampNum(this.l, lo, hi);
    this.h = clampNum(this.h, lo, hi);
    const vl = this.vlo(), vh = this.vhi();
    if (vl === vh) {
      this.setConst(vl);
      return;
    }
    // an overflowed (infinite) chain value is clamped back to a finite bound exactly as the fused value would be
    if (vh <= 0 ? this.l > -Infinity : this.h < Infinity) {
      this.o = Infinity;
      this.inf = false;
      this.inputInf = false;
    }
  }

  apply(e: NormalElem): void {
    this.slope(e.a, e.relu === true);
    if (e.lo !== -Infinity || e.hi !== Infinity) this.clamp(Math.min(e.lo, e.hi), e.hi);
  }

  /**
   * Why one float32 multiplication by fround(s) would not be acceptable, or null when it is (docs/fusion.md).
   * `strict`: the fused value must equal the chain's float32 result (within 1e-6); otherwise it must never be further
   * from the chain's real-arithmetic value than the chain's own float32 result is, so what only the chain suffers
   * (overflow later shrunk, underflow later amplified, a NaN from 0 * an overflow, many roundings) is no reason.
   */
  inexactness(strict: boolean): string | null {
    if (this.broken || (strict && this.overflowNaN)) return 'the chain computes NaN (0 * inf) or mixes signs on one half-line';
    if (this.dead || this.isConst) return null;
    if (strict) {
      if (this.roundings > MAX_ROUNDINGS) return `${this.roundings} sequential slope products round differently from one`;
      if (this.err > MAX_UNDERFLOW_GAIN) return `a slope amplifies a float32 underflow of an earlier one by ${fmtG(this.err)}`;
      if (this.o < 1) return `an earlier slope may overflow float32 before a later one shrinks it by ${fmtG(this.o)}`;
    }
    const k = f32(this.s);
    // both refusals below are about the fused kernel's own error against real arithmetic, under either policy
    if (!Number.isFinite(k)) return `the fused slope ${fmtG(this.s)} overflows float32`;
    if (this.underflowError(false) > MAX_UNDERFLOW_GAIN) return `the fused slope ${fmtG(this.s)} is not a normal float32`;
    return null;
  }

  /**
   * Bound in units of 2^-150 on the deviation a merge brings: the fused slope's own subnormal rounding, plus under the
   * strict policy the chain's subnormal roundings the fused kernel would not reproduce.
   */
  underflowError(strict: boolean): number {
    if (this.dead || this.isConst) return 0;
    const k = f32(this.s);
    const kErr = k !== this.s && Math.abs(k) < FLT_MIN_NORMAL ? Math.max(Math.abs(this.dlo), Math.abs(this.dhi)) : 0;
    return (strict ? this.err : 0) + kErr;
  }
}

export function clampNum(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function fmtG(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(3) : String(v);
}

/** Canonical description of a branch on its domain: equal functions give equal descriptions. */
export type Canon =
  | { kind: 'any' }
  | { kind: 'const'; c: number }
  | { kind: 'lin'; s: number; l: number; h: number };

export function canon(b: Branch): Canon {
  if (b.dead) return { kind: 'any' };
  if (b.isConst) return { kind: 'const', c: b.c };
  // a bound is part of the function only where it bites on the domain
  const l = b.l > b.ulo ? b.l : -Infinity;
  const h = b.h < b.uhi ? b.h : Infinity;
  return { kind: 'lin', s: f32(b.s), l, h };
}

export function sameCanon(x: Canon, y: Canon): boolean {
  if (x.kind === 'any' || y.kind === 'any') return true;
  if (x.kind === 'const') return y.kind === 'const' && x.c === y.c;
  return y.kind === 'lin' && x.s === y.s && x.l === y.l && x.h === y.h;
}

/** Domains of the two half-lines for an input interval: x < 0 and x >= 0 (-0 takes the x >= 0 branch, as in ONNX). */
export function halfDomains(x: Interval, inf = false): [Interval, Interval] {
  if (Number.isNaN(x.lo) || Number.isNaN(x.hi)) x = UNBOUNDED;
  if (inf) return [{ lo: x.lo, hi: Math.min(x.hi, -FLT_TRUE_MIN) }, { lo: Math.max(x.lo, 0), hi: x.hi }];
  // a single (possibly infinite) value is exactly that value, e.g. the output of Clip(max=-inf)
  if (x.lo === x.hi) return x.lo < 0 ? [{ ...x }, { lo: 1, hi: 0 }] : [{ lo: 1, hi: 0 }, { ...x }];
  // otherwise infinite ends mean unbounded: values are finite float32 unless a tracked overflow made them infinite
  const lo = Math.max(x.lo, -FLT_MAX), hi = Math.min(x.hi, FLT_MAX);
  return [
    { lo, hi: Math.min(hi, -FLT_TRUE_MIN) },
    { lo: Math.max(lo, 0), hi },
  ];
}

/** A chain of normal forms composed on one parameter element, restricted to an input interval. */
export class ElemChain {
  readonly neg: Branch;
  readonly pos: Branch;
  readonly domain: Interval;

  /** `inf`: the input may hold +-inf where its range is unbounded (an infinite constant upstream). */
  readonly inf: boolean;

  constructor(domain: Interval = UNBOUNDED, inf = false) {
    this.domain = domain;
    this.inf = inf;
    const [n, p] = halfDomains(domain, inf);
    this.neg = new Branch(n.lo, n.hi, inf);
    this.pos = new Branch(p.lo, p.hi, inf);
  }

  apply(e: NormalElem): this {
    this.neg.apply(e);
    this.pos.apply(e);
    return this;
  }

  canon(): [Canon, Canon] {
    return [canon(this.neg), canon(this.pos)];
  }

  inexactness(strict: boolean): string | null {
    return this.neg.inexactness(strict) ?? this.pos.inexactness(strict);
  }

  /** Bound on the merge's deviation in units of 2^-150; later kernels may amplify it (see chains.ts). */
  underflowError(strict: boolean): number {
    return Math.max(this.neg.underflowError(strict), this.pos.underflowError(strict));
  }

  /** Whether the output may hold +-inf. */
  mayBeInfinite(): boolean {
    return [this.neg, this.pos].some((b) => !b.dead && (b.inf || (b.isConst && !Number.isFinite(b.c))));
  }

  /** Sound output interval (linear ends widened by a few ulps: the chain rounds where the real arithmetic does not). */
  range(): Interval {
    let lo = Infinity, hi = -Infinity;
    for (const b of [this.neg, this.pos]) {
      if (b.dead) continue;
      // NaN (0 * inf) has no place in an interval: say nothing about this element
      if (b.broken) return { lo: -Infinity, hi: Infinity };
      lo = Math.min(lo, widen(b, b.vlo(), -1));
      hi = Math.max(hi, widen(b, b.vhi(), 1));
      // a pending overflow means the chain may hold an infinity that later slopes keep infinite
      if (!b.isConst && b.inf) {
        if (b.vhi() <= 0) lo = -Infinity;
        else hi = Infinity;
      }
    }
    return lo <= hi ? { lo, hi } : { lo: 0, hi: 0 };
  }

  /** The composed function equals the candidate normal form on this element's domain. */
  matches(cand: NormalElem): boolean {
    const k = new ElemChain(this.domain, this.inf).apply(cand);
    if (k.neg.broken || k.pos.broken) return false; // the kernel would make NaN (0 * inf) where the chain does not
    const c = k.canon();
    const m = this.canon();
    return sameCanon(m[0], c[0]) && sameCanon(m[1], c[1]);
  }
}

/**
 * Moves an interval end outward by 2^-20 relative (the chain's sequential rounding), then onto the float32 grid
 * (a real -1e-90 is a float32 -0), unless it is exact: a bound, a constant, zero, infinite or an untouched input end.
 */
function widen(b: Branch, v: number, dir: 1 | -1): number {
  if (b.isConst || v === 0 || !Number.isFinite(v) || v === b.l || v === b.h) return v;
  if (b.s === 1 && (v === b.dlo || v === b.dhi)) return v;
  const w = v + dir * Math.abs(v) * 2 ** -20;
  if (Math.abs(w) > FLT_MAX) return dir * Infinity;
  return dir < 0 ? f32Down(w) : f32Up(w);
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/** The float32 next to a finite float32 in direction dir. */
function f32Step(f: number, dir: 1 | -1): number {
  if (f === 0) return dir * FLT_TRUE_MIN;
  F32[0] = f;
  I32[0]! += (f > 0) === (dir > 0) ? 1 : -1;
  return F32[0]!;
}

/** Largest float32 <= v. */
export function f32Down(v: number): number {
  const f = f32(v);
  return f > v ? f32Step(f, -1) : f;
}

/** Smallest float32 >= v. */
export function f32Up(v: number): number {
  const f = f32(v);
  return f < v ? f32Step(f, 1) : f;
}

/** The normal form of a one-element Relu / LeakyRelu / PRelu slope / Clip / Identity (float32-rounded parameters). */
export const NF = {
  identity: (): NormalElem => ({ a: 1, lo: -Infinity, hi: Infinity }),
  relu: (): NormalElem => ({ a: 0, lo: -Infinity, hi: Infinity, relu: true }),
  leaky: (a: number): NormalElem => ({ a: f32(a), lo: -Infinity, hi: Infinity }),
  clip: (lo: number, hi: number): NormalElem => ({ a: 1, lo: f32(lo), hi: f32(hi) }),
};

/** Reference float32 evaluation of one normal form, as the interpreter and ONNX Runtime compute it (tests, docs). */
export function evalNormal(e: NormalElem, x: number): number {
  const p = x < 0 ? (e.relu ? 0 : f32(e.a * x)) : x;
  return f32(Math.min(Math.max(p, e.lo), e.hi));
}

/**
 * A value range of a tensor: one interval (length 1) or one per index of axis 1 (the channel axis of NCHW, NC, NCL).
 * Per-channel ranges keep PRelu-like facts (channel c is >= 0) through data movement.
 */
export interface ChannelRange {
  lo: Float64Array;
  hi: Float64Array;
  /** Values may be +-inf (not just unbounded): set where an infinite constant or a tracked overflow feeds them. */
  infinite?: boolean;
}

export function uniformRange(lo: number, hi: number): ChannelRange {
  return { lo: Float64Array.of(lo), hi: Float64Array.of(hi) };
}

export const UNKNOWN_RANGE: ChannelRange = uniformRange(-Infinity, Infinity);

export function isUnknown(r: ChannelRange): boolean {
  for (let i = 0; i < r.lo.length; i++) if (r.lo[i] !== -Infinity || r.hi[i] !== Infinity) return false;
  return true;
}

/** The interval of channel c (uniform ranges answer for every channel). */
export function channelInterval(r: ChannelRange, c: number): Interval {
  const i = r.lo.length === 1 ? 0 : c;
  return { lo: r.lo[i]!, hi: r.hi[i]! };
}

/** Union over all channels. */
export function hull(r: ChannelRange): Interval {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < r.lo.length; i++) {
    lo = Math.min(lo, r.lo[i]!);
    hi = Math.max(hi, r.hi[i]!);
  }
  return { lo, hi };
}
