// Stage: kernel library. HardSigmoid kernel: y = clamp(alpha * x + beta, 0, 1) by lookup table.
// Contract: int8 exact 256-entry LUT; int16 513-entry interpolated LUT (exact away from the two kinks).

import { activationKernel } from './activation-common.js';
import { LUT_ACTIVATION, LUT_FIELDS, hardSigmoidF, lutParams } from './lut.js';
import type { ParamValues, QuantParams } from './types.js';

/** ONNX defaults alpha = 0.2, beta = 0.5 (PyTorch's Hardsigmoid exports alpha = 1/6). */
export function hardSigmoidParams(alpha: number, beta: number, inQ: QuantParams, outQ: QuantParams): ParamValues {
  return lutParams(hardSigmoidF(alpha, beta), inQ, outQ);
}

export const HARDSIGMOID = activationKernel({
  name: 'hardsigmoid',
  ops: ['HardSigmoid'],
  summary: 'clamp(alpha*x + beta, 0, 1) by lookup table',
  paramFields: LUT_FIELDS,
  activation: LUT_ACTIVATION,
  bind: (c) => hardSigmoidParams(c.num('alpha'), c.num('beta'), c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 4,
});
