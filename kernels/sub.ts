// Stage: kernel library. sub kernel (Sub): TFLite-style quantized subtraction a - b with numpy broadcasting.
// Contract: add's arithmetic and table (kernels/add.ts) with the second operand negated, as TFLite's SUB.

import { RESCALED_FIELDS, addParams, binaryWork, rescaledRun } from './add.js';
import { runtimePair } from './common.js';
import type { KernelDef } from './types.js';

export const SUB: KernelDef = {
  name: 'sub',
  ops: ['Sub'],
  role: 'elementwise',
  inputs: { min: 2, max: 2 },
  outputs: { min: 1, max: 1 },
  summary: 'quantized subtraction with broadcasting and optional activation epilogue',
  paramFields: RESCALED_FIELDS,
  bind: (c) => addParams(...runtimePair(c), c.outQ),
  run: rescaledRun(-1),
  work: (inv, target) => binaryWork(inv, target, SUB.defaultCyclesPerVector),
  defaultCyclesPerVector: 2,
};
