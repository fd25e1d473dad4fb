// Stage: kernel library. HardSwish kernel: y = x * clamp(x/6 + 1/2, 0, 1) by lookup table (as Vela lowers HARD_SWISH).
// Contract: int8 exact 256-entry LUT; int16 513-entry interpolated LUT (kernels/lut.ts states the error bound).

import { activationKernel } from './activation-common.js';
import { LUT_ACTIVATION, LUT_FIELDS, hardSwishF, lutParams } from './lut.js';
import type { ParamValues, QuantParams } from './types.js';

export function hardSwishParams(inQ: QuantParams, outQ: QuantParams): ParamValues {
  return lutParams(hardSwishF, inQ, outQ);
}

export const HARDSWISH = activationKernel({
  name: 'hardswish',
  ops: ['HardSwish'],
  summary: 'x * clamp(x/6 + 1/2, 0, 1) by lookup table',
  paramFields: LUT_FIELDS,
  activation: LUT_ACTIVATION,
  bind: (c) => hardSwishParams(c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 4,
});
