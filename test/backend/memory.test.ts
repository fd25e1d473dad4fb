// Test: backend memory plan. Liveness-based reuse never shares a buffer between overlapping lifetimes; placement spills by level.
// Contract: hand-checked small cases plus a fast-check property over random lifetimes; E_LIMIT when nothing fits.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planMemory, type LiveTensor } from '../../src/backend/memory.js';
import { DspcError } from '../../src/ir/errors.js';

const big = [{ name: 'sram', size: 1 << 20 }, { name: 'dram', size: 1 << 30 }];

describe('memory plan', () => {
  it('reuses the buffer of a tensor whose last reader ran before', () => {
    // in -> k0 -> a -> k1 -> b -> k2 -> out: 'b' can take the input's buffer, 'out' the buffer of 'a'.
    const ts: LiveTensor[] = [
      { name: 'in', bytes: 100, def: -1, lastUse: 0 },
      { name: 'a', bytes: 100, def: 0, lastUse: 1 },
      { name: 'b', bytes: 100, def: 1, lastUse: 2 },
      { name: 'out', bytes: 100, def: 2, lastUse: 3 },
    ];
    const p = planMemory(ts, big, 3);
    expect(p.buffers).toHaveLength(2);
    expect(p.bufferOf.get('b')).toBe(p.bufferOf.get('in'));
    expect(p.bufferOf.get('out')).toBe(p.bufferOf.get('a'));
    expect(p.peakBytes).toBe(200);
    expect(p.timeline).toEqual([100, 200, 200, 200]);
    expect(p.spilled).toEqual([]);
  });

  it('keeps inputs and outputs of one kernel apart and grows a reused buffer when needed', () => {
    const ts: LiveTensor[] = [
      { name: 'x', bytes: 10, def: -1, lastUse: 0 },
      { name: 'y', bytes: 30, def: 0, lastUse: 1 },
      { name: 'z', bytes: 50, def: 1, lastUse: 2 },
    ];
    const p = planMemory(ts, big, 2);
    expect(p.bufferOf.get('y')).not.toBe(p.bufferOf.get('x'));
    expect(p.bufferOf.get('z')).toBe(p.bufferOf.get('x'));
    expect(p.buffers[p.bufferOf.get('z')!]!.bytes).toBe(50);
    expect(p.peakBytes).toBe(80);
  });

  it('places buffers that do not fit the first level in the next one', () => {
    const levels = [{ name: 'sram', size: 100 }, { name: 'dram', size: 1000 }];
    const ts: LiveTensor[] = [
      { name: 'a', bytes: 64, def: -1, lastUse: 1 },
      { name: 'b', bytes: 64, def: 0, lastUse: 1 },
      { name: 'c', bytes: 16, def: 0, lastUse: 1 },
    ];
    const p = planMemory(ts, levels, 1);
    const mem = (n: string) => p.buffers[p.bufferOf.get(n)!]!.memory;
    expect([mem('a'), mem('b'), mem('c')].sort()).toEqual(['dram', 'sram', 'sram']);
    expect(mem('c')).toBe('sram');
    expect(p.spilled).toHaveLength(1);
    expect(p.levels.map((l) => l.used)).toEqual([80, 64]);
  });

  it('fails with E_LIMIT naming the tensor when no level holds it', () => {
    const ts: LiveTensor[] = [{ name: 'huge', bytes: 5000, def: -1, lastUse: 0 }];
    expect(() => planMemory(ts, [{ name: 'sram', size: 100 }], 0)).toThrow(DspcError);
    expect(() => planMemory(ts, [{ name: 'sram', size: 100 }], 0)).toThrow(/huge.*5000-byte/);
  });

  it('never overlaps live tensors in one buffer or buffers in one memory (property)', () => {
    const tensor = fc.record({ bytes: fc.integer({ min: 1, max: 500 }), def: fc.integer({ min: -1, max: 20 }), len: fc.integer({ min: 0, max: 8 }) });
    fc.assert(fc.property(fc.array(tensor, { minLength: 1, maxLength: 40 }), (raw) => {
      const ts: LiveTensor[] = raw.map((t, i) => ({ name: `t${i}`, bytes: t.bytes, def: t.def, lastUse: t.def + t.len }));
      const levels = [{ name: 'sram', size: 2000 }, { name: 'dram', size: 1 << 20 }];
      const p = planMemory(ts, levels, 30);
      expect(planMemory(ts, levels, 30)).toEqual(p);
      for (const a of ts) {
        const b = p.buffers[p.bufferOf.get(a.name)!]!;
        expect(b.bytes).toBeGreaterThanOrEqual(a.bytes);
        for (const c of ts) {
          if (a === c || p.bufferOf.get(a.name) !== p.bufferOf.get(c.name)) continue;
          const overlap = a.def <= Math.max(c.lastUse, c.def) && c.def <= Math.max(a.lastUse, a.def);
          expect(overlap).toBe(false);
        }
      }
      for (const x of p.buffers) {
        for (const y of p.buffers) {
          if (x === y || x.memory !== y.memory) continue;
          expect(x.offset + x.bytes <= y.offset || y.offset + y.bytes <= x.offset).toBe(true);
        }
        expect(x.offset % 16).toBe(0);
      }
      expect(p.peakBytes).toBeLessThanOrEqual(p.allocatedBytes);
    }), { numRuns: 300 });
  });
});
