// Stage: kernel library. Tanh kernel by lookup table.
// Contract: int8 exact 256-entry LUT; int16 513-entry interpolated LUT (kernels/lut.ts states the error bound).

import { activationKernel } from './activation-common.js';
import { LUT_ACTIVATION, LUT_FIELDS, lutParams, tanhF } from './lut.js';
import type { ParamValues, QuantParams } from './types.js';

export function tanhParams(inQ: QuantParams, outQ: QuantParams): ParamValues {
  return lutParams(tanhF, inQ, outQ);
}

export const TANH = activationKernel({
  name: 'tanh',
  ops: ['Tanh'],
  summary: 'hyperbolic tangent by lookup table',
  paramFields: LUT_FIELDS,
  activation: LUT_ACTIVATION,
  bind: (c) => tanhParams(c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 4,
});
