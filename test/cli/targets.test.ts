// Tests of `dspc targets` and `dspc kernels`: everything listed comes from targets/*.json and the kernel registry.
// Why: users pick a target from this list; it must show every preset and exactly the kernels a target declares.

import { describe, expect, it } from 'vitest';
import { KERNELS } from '../../kernels/index.js';
import { loadTarget, presetNames } from '../../kernels/target.js';
import { dspc, expectOneLineError, json } from './helpers.js';

describe('dspc targets / kernels', () => {
  it('targets --json lists every preset with its key figures, the default first', () => {
    const all = json<{ id: string; clockMHz: number; macsPerCycle: { int8: number }; memories: unknown[] }[]>(dspc(['targets', '--json']));
    expect(all.map((t) => t.id).sort()).toEqual(presetNames());
    expect(all[0]!.id).toBe('generic-dsp');
    for (const t of all) {
      const src = loadTarget(t.id);
      expect(t.clockMHz).toBe(src.clockHz / 1e6);
      expect(t.macsPerCycle.int8).toBe(src.macsPerCycle.int8);
      expect(t.memories).toHaveLength(src.memories.length);
    }
    const text = dspc(['targets']);
    for (const n of presetNames()) expect(text.stdout).toMatch(new RegExp(`^${n}\\s`, 'm'));
  });

  it('kernels --target lists the target\'s kernels with role and ops from the registry', () => {
    for (const id of presetNames()) {
      const k = json<{ target: string; kernels: { name: string; role: string; ops: string[]; epilogue: string[] }[] }>(dspc(['kernels', '-t', id, '--json']));
      const t = loadTarget(id);
      expect(k.kernels.map((x) => x.name)).toEqual(t.kernels.map((x) => x.name));
      for (const x of k.kernels) {
        expect(x.role).toBe(KERNELS.get(x.name)!.role);
        expect(x.ops).toEqual([...KERNELS.get(x.name)!.ops]);
      }
    }
  });

  it('an unknown target is one line naming the presets', () => {
    expect(expectOneLineError(dspc(['kernels', '-t', 'nope']))).toMatch(/presets: .*generic-dsp/);
  });
});
