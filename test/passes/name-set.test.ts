// Tests (passes): NameSet, the hand-made hash set that hides the value names a pass dropped.
// Contract: whatever the sequence of operations, it answers exactly as a native Set of the same names would.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LayeredMap } from '../../src/passes/layered-map.js';
import { NameSet } from '../../src/passes/name-set.js';

// few distinct names (so deletes and re-adds hit), the empty string, look-alikes and non-ASCII
const NAME = fc.oneof(
  fc.constantFrom('', 'a', 'b', 'relu_1', 'relu_10', 'relu_01', 'ñ', '\u{1F600}', '/features.1/conv/Relu_output_0'),
  fc.integer({ min: 0, max: 40 }).map((i) => `v${i}`),
);
const OP = fc.oneof(
  fc.record({ op: fc.constant('add' as const), name: NAME }),
  fc.record({ op: fc.constant('delete' as const), name: NAME }),
  fc.record({ op: fc.constant('has' as const), name: NAME }),
);

describe('NameSet', () => {
  it('agrees with a native Set over random builds, adds, deletes and re-adds (through regrowth)', () => {
    fc.assert(fc.property(fc.array(NAME, { maxLength: 30 }), fc.array(OP, { maxLength: 120 }), (start, ops) => {
      const ours = new NameSet(start);
      const ref = new Set(start);
      for (const { op, name } of ops) {
        if (op === 'add') {
          expect(ours.add(name)).toBe(ours);
          ref.add(name);
        } else if (op === 'delete') expect(ours.delete(name)).toBe(ref.delete(name));
        else expect(ours.has(name)).toBe(ref.has(name));
        expect(ours.size).toBe(ref.size);
      }
      expect([...ours]).toEqual([...ref]); // insertion order, deleted names gone, re-added ones at the end
    }), { numRuns: 1000 });
  });

  it('holds many names (the table regrows) and empties on clear()', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `act${i}_${i % 3}`);
    const s = new NameSet();
    for (const n of names) s.add(n);
    for (const n of names.slice(0, 2500)) s.delete(n);
    for (const n of names.slice(0, 100)) s.add(n);
    expect(s.size).toBe(2600);
    expect(names.filter((n) => s.has(n)).length).toBe(2600);
    expect([s.has(names[0]!), s.has(names[100]!), s.has(names[4999]!)]).toEqual([true, false, true]);
    s.clear();
    expect(s.size).toBe(0);
    expect(s.has('act0_0')).toBe(false);
  });

  it('hides a LayeredMap\'s base keys like a Set would', () => {
    const base = new Map([['a', 1], ['b', 2], ['c', 3]]);
    const m = LayeredMap.over(base);
    m.hide(new NameSet(['b']));
    expect([...m]).toEqual([['a', 1], ['c', 3]]);
    expect(m.size).toBe(2);
    expect(m.get('b')).toBeUndefined();
    m.set('b', 20); // un-hides through the set's delete()
    m.delete('a'); // hides through its add()
    expect(new Map(m)).toEqual(new Map([['b', 20], ['c', 3]]));
  });
});
