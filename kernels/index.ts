// Stage: kernel library. The registry: every kernel of the library by name, and the op -> kernel mapping.
// Contract: KERNELS is the only list of kernels; targets name kernels from it and the backend selects through it.

import { ACTIVATION_KERNELS } from './activations.js';
import { ADD } from './add.js';
import { AVGPOOL } from './avgpool.js';
import { CONCAT } from './concat.js';
import { CONV2D } from './conv2d.js';
import { FULLY_CONNECTED } from './fully-connected.js';
import { GLOBAL_AVGPOOL } from './global-avgpool.js';
import { MAXPOOL } from './maxpool.js';
import { MUL } from './mul.js';
import { PAD } from './pad.js';
import { RESHAPE } from './reshape.js';
import { SLICE } from './slice.js';
import { SPLIT } from './split.js';
import { SUB } from './sub.js';
import { TRANSPOSE } from './transpose.js';
import type { KernelDef, Target } from './types.js';

const ALL: readonly KernelDef[] = [
  CONV2D, FULLY_CONNECTED, MAXPOOL, AVGPOOL, GLOBAL_AVGPOOL, ADD, SUB, MUL, CONCAT,
  ...ACTIVATION_KERNELS.values(),
  RESHAPE, TRANSPOSE, SLICE, SPLIT, PAD,
];

function build(): ReadonlyMap<string, KernelDef> {
  const m = new Map<string, KernelDef>();
  for (const k of ALL) {
    if (m.has(k.name)) throw new Error(`kernel registry: duplicate kernel ${k.name}`);
    m.set(k.name, k);
  }
  return m;
}

export const KERNELS: ReadonlyMap<string, KernelDef> = build();

/**
 * The kernel implementing an IR op: with a target, the first kernel of that target (in its list order) that
 * implements the op; without, the library's first. Undefined when none does.
 */
export function kernelFor(op: string, target?: Target): KernelDef | undefined {
  if (target) {
    for (const tk of target.kernels) {
      const def = KERNELS.get(tk.name);
      if (def?.ops.includes(op)) return def;
    }
    return undefined;
  }
  for (const k of KERNELS.values()) if (k.ops.includes(op)) return k;
  return undefined;
}

/** Every IR op the library can lower (sorted). */
export function supportedOps(): string[] {
  return [...new Set([...KERNELS.values()].flatMap((k) => k.ops))].sort();
}
