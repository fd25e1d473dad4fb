// Tests (passes): the fusion algebra on single elements: composition, kernel choice and float32 exactness.
// Contract: every accepted composition is evaluated against the chain it replaces, element by element, in float32.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormalElem } from '../../src/passes/algebra.js';
import { ElemChain, NF, evalNormal, FLT_MAX } from '../../src/passes/algebra.js';
import { chooseKernel, type Choice, type Composite } from '../../src/passes/kernel-choice.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 424242) });
const RUNS = Number(process.env.FC_RUNS ?? 1);

const KERNELS = ['Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'Tanh'];
const f32 = Math.fround;

function runChain(chain: NormalElem[], x: number): number {
  let v = f32(x);
  for (const e of chain) v = evalNormal(e, v);
  return v;
}

function runChoice(ch: Choice, x: number): number {
  switch (ch.op) {
    case 'removed': return f32(x);
    case 'Relu': return evalNormal(NF.relu(), x);
    case 'LeakyRelu': return evalNormal(NF.leaky(ch.alpha), x);
    case 'PRelu': return evalNormal(NF.leaky(ch.slopes![0]!), x);
    case 'Clip': return evalNormal(NF.clip(ch.min, ch.max), x);
  }
}

/** The chain in real arithmetic (float64 is exact enough here: at most 6 float32 factors, inputs >= 1.4e-45). */
function realChain(chain: NormalElem[], x: number): number {
  let v = f32(x);
  for (const e of chain) v = Math.min(Math.max(v < 0 ? (e.relu ? 0 : e.a * v) : v, e.lo), e.hi);
  return v;
}

/** |v - real|, NaN counting as infinitely far from a number (and as equal to a NaN). */
function dist(v: number, real: number): number {
  if (Number.isNaN(real)) return Number.isNaN(v) ? 0 : Infinity;
  if (Number.isNaN(v)) return Infinity;
  return v === real ? 0 : Math.abs(v - real);
}

function close(a: number, b: number): boolean {
  if (Object.is(a, b) || a === b) return true;
  return Math.abs(a - b) <= 1e-37 + 1e-6 * Math.max(Math.abs(a), Math.abs(b));
}

const SPECIAL = [0, -0, 1, -1, 1e30, -1e30, 1e-40, -1e-40, 1.4e-45, -1.4e-45, 1e-38, -1e-38, 3e38, -3e38, 0.5, -0.5, 6, -6, 2, -2];

const slope = fc.oneof(
  fc.constant(0), fc.constant(1),
  fc.float({ min: Math.fround(1e-30), max: Math.fround(1e-6), noNaN: true }),
  fc.float({ min: -8, max: Math.fround(-1e-3), noNaN: true }),
  fc.float({ min: Math.fround(1.0001), max: 8, noNaN: true }),
  fc.float({ min: 0, max: 1, noNaN: true }),
);
const bound = fc.oneof(fc.constantFrom(-Infinity, Infinity, 0, 6, -1, 1), fc.float({ min: -10, max: 10, noNaN: true }));
const member = fc.oneof(
  fc.constant(NF.relu()),
  fc.constant(NF.identity()),
  slope.map((a) => NF.leaky(a)),
  fc.tuple(bound, bound).map(([lo, hi]) => NF.clip(lo, hi)),
);
/** Slopes up to 1e30 in magnitude: products over- and underflow float32 inside the chain. */
const wideMember = fc.oneof(
  member,
  fc.float({ min: f32(-1e30), max: f32(1e30), noNaN: true }).map((a) => NF.leaky(a)),
  fc.constantFrom(1e20, 1e-20, 4, 0.25, 1e30, 1e-30).map((a) => NF.leaky(a)),
);
const input = fc.oneof(fc.constantFrom(...SPECIAL), fc.float({ noNaN: true, noDefaultInfinity: true }), fc.float({ min: -20, max: 20, noNaN: true }));

function compose(chain: NormalElem[], lo = -Infinity, hi = Infinity): Composite {
  const e = new ElemChain({ lo, hi });
  for (const m of chain) e.apply(m);
  return { shape: [], elems: [e] };
}

describe('composition of one element', () => {
  it('strict float: an accepted fusion equals the chain on every float32 input (rel 1e-6 + abs 1e-37)', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.array(member, { minLength: 1, maxLength: 6 }), fc.array(input, { minLength: 24, maxLength: 24 }), (chain, xs) => {
      const r = chooseKernel(compose(chain), KERNELS, { strict: true });
      if (!r.ok) return;
      accepted++;
      for (const x of [...xs, ...SPECIAL]) {
        const want = runChain(chain, x), got = runChoice(r.choice, x);
        if (!close(want, got)) throw new Error(`x=${x}: chain ${want} fused(${JSON.stringify(r.choice)}) ${got}`);
      }
    }), { numRuns: 4000 * RUNS });
    expect(accepted).toBeGreaterThan(2000);
  });

  it('default float policy: the fused result is never further from real arithmetic than the chain (beyond rel 1e-6 + abs 1e-37)', () => {
    let accepted = 0, beyondStrict = 0;
    fc.assert(fc.property(fc.array(wideMember, { minLength: 1, maxLength: 6 }), fc.array(input, { minLength: 24, maxLength: 24 }), (chain, xs) => {
      const r = chooseKernel(compose(chain), KERNELS);
      if (!r.ok) return;
      accepted++;
      if (!chooseKernel(compose(chain), KERNELS, { strict: true }).ok) beyondStrict++;
      for (const x of [...xs, ...SPECIAL].map(f32)) {
        const real = realChain(chain, x), want = runChain(chain, x), got = runChoice(r.choice, x);
        // (the documented exception: a result within a few ulps of the overflow threshold may round to inf)
        if (Math.abs(real) > FLT_MAX * (1 - 2 ** -20) && Math.abs(got) === Infinity && Math.sign(got) === Math.sign(real)) continue;
        const tol = 1e-37 + 1e-6 * Math.abs(real);
        if (dist(got, real) > Math.max(dist(want, real), tol)) {
          throw new Error(`x=${x}: real ${real}, chain ${want}, fused(${JSON.stringify(r.choice)}) ${got}`);
        }
      }
    }), { numRuns: 4000 * RUNS });
    expect(accepted).toBeGreaterThan(2000);
    expect(beyondStrict).toBeGreaterThan(50); // the policies differ on these inputs: the property is not the strict one again
  });

  it('the output range contains every output', () => {
    fc.assert(fc.property(fc.array(member, { minLength: 1, maxLength: 4 }), fc.array(input, { minLength: 16, maxLength: 16 }), (chain, xs) => {
      const r = compose(chain).elems[0]!.range();
      for (const x of [...xs, ...SPECIAL]) {
        const y = runChain(chain, x);
        if (Number.isNaN(y)) continue; // 0 * inf after an overflow: ranges describe numbers only
        expect(y >= r.lo && y <= r.hi).toBe(true);
      }
    }), { numRuns: 3000 * RUNS });
  });
});

describe('worked examples (docs/fusion.md)', () => {
  const pick = (chain: NormalElem[], kernels = KERNELS) => chooseKernel(compose(chain), kernels);
  it('slopes k1 >= 0 then k2 multiply; k1 < 0 then k2 keep k1', () => {
    expect(pick([NF.leaky(0.1), NF.leaky(0.2)])).toMatchObject({ ok: true, choice: { op: 'LeakyRelu', alpha: f32(f32(0.1) * f32(0.2)) } });
    expect(pick([NF.leaky(-0.5), NF.leaky(0.2)])).toMatchObject({ ok: true, choice: { op: 'LeakyRelu', alpha: -0.5 } });
    expect(pick([NF.leaky(0.1), NF.leaky(-2)])).toMatchObject({ ok: true, choice: { op: 'LeakyRelu', alpha: f32(f32(0.1) * -2) } });
    expect(pick([NF.leaky(3), NF.leaky(2)])).toMatchObject({ ok: true, choice: { op: 'LeakyRelu', alpha: 6 } });
  });
  it('Relu absorbs slopes on either side, negative or not', () => {
    expect(pick([NF.relu(), NF.leaky(0.1)])).toMatchObject({ ok: true, choice: { op: 'Relu' } });
    expect(pick([NF.leaky(0.1), NF.relu()])).toMatchObject({ ok: true, choice: { op: 'Relu' } });
    expect(pick([NF.leaky(-0.5), NF.relu()])).toMatchObject({ ok: true, choice: { op: 'LeakyRelu', alpha: -0.5 } });
  });
  it('slopes that cancel remove the node; Relu then Relu6 is Clip(0, 6)', () => {
    expect(pick([NF.leaky(0.5), NF.leaky(2)])).toMatchObject({ ok: true, choice: { op: 'removed' } });
    expect(pick([NF.relu(), NF.clip(0, 6)])).toMatchObject({ ok: true, choice: { op: 'Clip', min: 0, max: 6 } });
    expect(pick([NF.relu(), NF.clip(-Infinity, 6)])).toMatchObject({ ok: true, choice: { op: 'Clip', min: 0, max: 6 } });
  });
  it('Clip after Clip composes by clamping bounds, disjoint ranges give a constant', () => {
    expect(pick([NF.clip(-1, 2), NF.clip(0, 4)])).toMatchObject({ ok: true, choice: { op: 'Clip', min: 0, max: 2 } });
    expect(pick([NF.clip(-1, 2), NF.clip(3, 4)])).toMatchObject({ ok: true, choice: { op: 'Clip', min: 3, max: 3 } });
    expect(pick([NF.clip(3, 4), NF.clip(-1, 2)])).toMatchObject({ ok: true, choice: { op: 'Clip', min: 2, max: 2 } });
  });
  it('a negative slope after a clamp leaves the normal form', () => {
    const r = pick([NF.clip(-1, 2), NF.leaky(-0.5)]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/no kernel of the target computes/);
  });
  it('strict float: underflow and overflow that one product cannot reproduce are refused', () => {
    const strict = (chain: NormalElem[], lo?: number, hi?: number) => chooseKernel(compose(chain, lo, hi), KERNELS, { strict: true });
    expect(strict([NF.leaky(1e-30), NF.leaky(1e-30)])).toMatchObject({ ok: false });
    expect(strict([NF.leaky(1e-20), NF.leaky(1e20)])).toMatchObject({ ok: false });
    expect(strict([NF.leaky(4), NF.leaky(0.25)])).toMatchObject({ ok: false });
    expect(strict([NF.leaky(1e30), NF.leaky(1e30), NF.leaky(0)])).toMatchObject({ ok: false });
    // bounded inputs make the same chains exact
    expect(strict([NF.leaky(4), NF.leaky(0.25)], -1e30, 1e30)).toMatchObject({ ok: true, choice: { op: 'removed' } });
    expect(runChain([NF.leaky(4), NF.leaky(0.25)], -3e38)).toBe(-Infinity);
    expect(f32(-3e38)).toBeGreaterThan(-FLT_MAX - 1);
  });
  it('default float policy: what only the chain suffers is no reason; the fused kernel\'s own error still is', () => {
    // the chain overflows to -inf (x < -8.5e37) or underflows to 0 (|x| < 1e-25); the identity is exact
    expect(pick([NF.leaky(4), NF.leaky(0.25)])).toMatchObject({ ok: true, choice: { op: 'removed' } });
    expect(pick([NF.leaky(1.5), NF.leaky(0.2)])).toMatchObject({ ok: true, choice: { op: 'LeakyRelu', alpha: f32(f32(1.5) * f32(0.2)) } });
    expect(pick([NF.leaky(1e-20), NF.leaky(1e20)])).toMatchObject({ ok: true });
    // 0 * (an overflowed -inf) is NaN in the chain, 0 in real arithmetic: a Relu computes the latter
    expect(pick([NF.leaky(1e30), NF.leaky(1e30), NF.leaky(0)])).toMatchObject({ ok: true, choice: { op: 'Relu' } });
    expect(runChain([NF.leaky(1e30), NF.leaky(1e30), NF.leaky(0)], -1)).toBeNaN();
    // the fused slope 1e-60 is 0 in float32: -1e-30 at x = -1e30 in real arithmetic, fused 0, chain -1e-30 (closer)
    expect(pick([NF.leaky(1e-30), NF.leaky(1e-30)])).toMatchObject({ ok: false });
    expect(pick([NF.leaky(1e30), NF.leaky(1e30)])).toMatchObject({ ok: false }); // slope 1e60 overflows float32
  });
  it('only listed kernels are produced', () => {
    expect(pick([NF.leaky(0.1), NF.leaky(0.2)], ['Relu', 'PRelu'])).toMatchObject({ ok: true, choice: { op: 'PRelu' } });
    expect(pick([NF.relu(), NF.clip(0, 6)], ['Relu'])).toMatchObject({ ok: false });
    expect(pick([NF.relu(), NF.leaky(0.3)], ['LeakyRelu'])).toMatchObject({ ok: true, choice: { op: 'LeakyRelu', alpha: 0 } });
  });
  it('an input range lets a chain vanish: Relu after a value range [0, 1]', () => {
    expect(chooseKernel(compose([NF.relu()], 0, 1), KERNELS)).toMatchObject({ ok: true, choice: { op: 'removed' } });
    expect(chooseKernel(compose([NF.clip(-1, 1)], -1, 1), KERNELS)).toMatchObject({ ok: true, choice: { op: 'removed' } });
    expect(chooseKernel(compose([NF.clip(-1, 0.5)], -1, 1), KERNELS)).toMatchObject({ ok: true, choice: { op: 'Clip' } });
  });
});
