// Stage: kernel library. Sigmoid kernel: y = 1 / (1 + exp(-x)) by lookup table.
// Contract: int8 exact 256-entry LUT; int16 513-entry interpolated LUT (kernels/lut.ts states the error bound).

import { activationKernel } from './activation-common.js';
import { LUT_ACTIVATION, LUT_FIELDS, lutParams, sigmoidF } from './lut.js';
import type { ParamValues, QuantParams } from './types.js';

export function sigmoidParams(inQ: QuantParams, outQ: QuantParams): ParamValues {
  return lutParams(sigmoidF, inQ, outQ);
}

export const SIGMOID = activationKernel({
  name: 'sigmoid',
  ops: ['Sigmoid'],
  summary: 'logistic function by lookup table',
  paramFields: LUT_FIELDS,
  activation: LUT_ACTIVATION,
  bind: (c) => sigmoidParams(c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 4,
});
