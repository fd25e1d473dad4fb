// Tests (passes): the scratch-array pool the per-slot pass tables come from.
// Contract: a taken array is filled as asked and never shared with another taker, however arrays are given back.

import { describe, expect, it } from 'vitest';
import { give, takeInt32, takeInt8, takeUint8 } from '../../src/passes/scratch.js';

describe('scratch arrays', () => {
  it('are filled as asked, also when their buffer is reused', () => {
    const a = takeInt32(1000, -1);
    expect(a.length).toBe(1000);
    expect(a.every((x) => x === -1)).toBe(true);
    a.fill(7);
    give(a);
    const b = takeInt32(900, 3); // fits in a's buffer: reused, and refilled
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(900);
    expect(b.every((x) => x === 3)).toBe(true);
    const c = takeUint8(10, 1), d = takeInt8(10, -2);
    expect([...c]).toEqual(new Array(10).fill(1));
    expect([...d]).toEqual(new Array(10).fill(-2));
    give(b, c, d);
  });

  // a buffer handed back twice must still go to one taker only
  it('never hands one buffer to two takers', () => {
    const a = takeInt32(5000, 0);
    give(a);
    give(a);
    const b = takeInt32(5000, 1), c = takeInt32(5000, 2);
    expect(b.buffer).not.toBe(c.buffer);
    expect(b.every((x) => x === 1) && c.every((x) => x === 2)).toBe(true);
    give(b, c);
  });

  it('keeps at most 64 MiB of buffers', () => {
    const big = Array.from({ length: 5 }, () => takeUint8(16 << 20, 0)); // 5 x 16 MiB
    give(...big);
    const again = Array.from({ length: 5 }, () => takeUint8(16 << 20, 0));
    const reused = again.filter((x) => big.some((y) => y.buffer === x.buffer)).length;
    // (the earlier tests left a few small buffers in the pool: at most four 16 MiB ones fit beside them)
    expect(reused).toBeGreaterThanOrEqual(3);
    expect(reused).toBeLessThanOrEqual(4);
    give(...again);
  });
});
