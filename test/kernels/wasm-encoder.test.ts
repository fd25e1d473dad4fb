// Tests: kernel library / the WebAssembly encoder (LEB128, module layout) and the module's requantization primitive.
// Why: a wrong LEB byte gives a module that will not compile, and a wrong rounding gives codes that are off by one LSB.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sleb, uleb } from '../../kernels/wasm/encoder.js';
import { int8BinaryModule } from '../../kernels/wasm/int8-kernels.js';
import { int8Wasm, wasmSimdAvailable } from '../../kernels/wasm/runtime.js';
import { INT32_MAX, multiplyByQuantizedMultiplierWide } from '../../kernels/fixedpoint.js';

function readUleb(b: number[]): number {
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v += (b[i]! & 0x7f) * 2 ** (7 * i);
    expect((b[i]! & 0x80) !== 0).toBe(i < b.length - 1); // continuation bit on all but the last byte
  }
  return v;
}

function readSleb(b: number[]): bigint {
  let v = 0n;
  b.forEach((x, i) => { v |= BigInt(x & 0x7f) << BigInt(7 * i); });
  const bits = BigInt(7 * b.length);
  return (b[b.length - 1]! & 0x40) !== 0 ? v - (1n << bits) : v;
}

describe('LEB128', () => {
  it('unsigned and signed encodings decode to the value, in the fewest bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
      const b = uleb(n);
      expect(readUleb(b)).toBe(n);
      expect(b.length).toBe(Math.max(1, Math.ceil(Math.log2(n + 1) / 7)));
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(-64, 63, -65, 64, 2 ** 30, -(2 ** 31))), (n) => {
      expect(readSleb(sleb(n))).toBe(BigInt(n));
    }), { numRuns: 2000 });
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]); // the spec's example
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });
});

describe('the int8 module', () => {
  it('starts with the wasm magic and version and compiles wherever WebAssembly SIMD exists', () => {
    const bytes = int8BinaryModule();
    expect(Array.from(bytes.slice(0, 8))).toEqual([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(wasmSimdAvailable()).toBe(typeof WebAssembly === 'object' && WebAssembly.validate(bytes));
  });

  it.skipIf(!wasmSimdAvailable())('requant equals clamp(zp + MultiplyByQuantizedMultiplier(acc + bias)) on its whole precondition domain', () => {
    const ar = int8Wasm()!;
    // Accumulators anywhere the precondition allows: (acc + bias) << left fits int32, including its extremes.
    const caseArb = fc.record({
      shift: fc.integer({ min: -31, max: 12 }), m: fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
      zp: fc.integer({ min: -128, max: 127 }), lo: fc.integer({ min: -128, max: 127 }), hi: fc.integer({ min: -128, max: 127 }),
      seeds: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 37 }), bias: fc.double({ min: -1, max: 1, noNaN: true }),
    });
    fc.assert(fc.property(caseArb, (c) => {
      const left = Math.max(0, c.shift);
      const lim = Math.floor(INT32_MAX / 2 ** left);
      const bias = Math.round(c.bias * lim / 2);
      const accs = c.seeds.map((s) => Math.round(s * (lim - Math.abs(bias))));
      accs.push(lim - Math.abs(bias), -(lim - Math.abs(bias)));
      ar.reset();
      const acc = ar.alloc(accs.length * 4), prm = ar.alloc(16), out = ar.alloc(accs.length);
      expect(ar.ready()).toBe(true);
      ar.i32(acc, accs.length).set(accs);
      ar.i32(prm, 4).set([bias, c.m, left, c.shift > 0 ? 0 : -c.shift]);
      ar.ex.requant(acc, 0, accs.length, 1, prm, c.zp, c.lo, c.hi, out, 0);
      const want = accs.map((a) => Math.min(c.hi, Math.max(c.lo, c.zp + multiplyByQuantizedMultiplierWide(a + bias, c.m, c.shift))));
      expect(Array.from(ar.i8(out, accs.length))).toEqual(want);
    }), { numRuns: 3000 });
  });
});
