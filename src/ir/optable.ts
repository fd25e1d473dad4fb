// Stage: IR core. The one op table: every op the IR knows, assembled from the category files in ops/.
// Contract: OP_TABLE is the single source of op facts; groups and predicates (isActivation, ...) derive from it.

import { ACTIVATION_OPS } from './ops/activation.js';
import { CONV_OPS } from './ops/conv.js';
import { ELEMENTWISE_OPS } from './ops/elementwise.js';
import { MATH_OPS } from './ops/math.js';
import { MISC_OPS } from './ops/misc.js';
import { MOVEMENT_OPS } from './ops/movement.js';
import { NORMALIZATION_OPS } from './ops/normalization.js';
import { POOL_OPS } from './ops/pool.js';
import type { OpCategory, OpDef } from './ops/types.js';

function build(): ReadonlyMap<string, OpDef> {
  const m = new Map<string, OpDef>();
  for (const d of [ACTIVATION_OPS, MATH_OPS, CONV_OPS, POOL_OPS, ELEMENTWISE_OPS, MOVEMENT_OPS, NORMALIZATION_OPS, MISC_OPS].flat()) {
    if (m.has(d.type)) throw new Error(`op table: duplicate entry for ${d.type}`);
    m.set(d.type, d);
  }
  return m;
}

export const OP_TABLE: ReadonlyMap<string, OpDef> = build();

export function opDef(type: string): OpDef | undefined {
  return OP_TABLE.get(type);
}

/** Pointwise activation (fusion candidate) per the table. */
export function isActivation(type: string): boolean {
  return OP_TABLE.get(type)?.activation === true;
}

/** Output values are a subset of input values (range propagation passes through). */
export function isValuePreserving(type: string): boolean {
  return OP_TABLE.get(type)?.valuePreserving === true;
}

export function opsInCategory(category: OpCategory): string[] {
  return [...OP_TABLE.values()].filter((d) => d.category === category).map((d) => d.type).sort();
}

/** Op types in the table, sorted (for --help, docs and error messages listing what is supported). */
export function knownOps(): string[] {
  return [...OP_TABLE.keys()].sort();
}
