// Stage: kernel library. Relu kernel: y = max(x, 0), requantized.
// Contract: fixed point = piecewise normal form with no negative branch; out_min is the code of real 0.

import { PIECEWISE, PW_FIELDS_CLAMP, PW_FIELDS_HEAD, activationKernel, piecewiseParams } from './activation-common.js';
import type { ParamValues, QuantParams } from './types.js';

/**
 * Integers: d = x - in_zp; y = d >= 0 ? out_zp + MBQM(d, inScale/outScale) : out_zp, clamped to
 * [max(qmin, out_zp), qmax]. With equal input and output quantization this is max(x, zp), bit for bit.
 */
export function reluParams(inQ: QuantParams, outQ: QuantParams): ParamValues {
  return piecewiseParams([], 0, Infinity, inQ, outQ);
}

export const RELU = activationKernel({
  name: 'relu',
  ops: ['Relu'],
  summary: 'max(x, 0) with requantization',
  paramFields: [...PW_FIELDS_HEAD, ...PW_FIELDS_CLAMP],
  activation: PIECEWISE,
  bind: (c) => reluParams(c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 1,
});
