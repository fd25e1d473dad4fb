// Stage: kernel library. PRelu kernel: y = x >= 0 ? x : slope[c] * x per channel (axis 1 of NCHW), requantized.
// Contract: fixed point = piecewise normal form with one negative-side multiplier/shift per channel.

import { PIECEWISE, PW_FIELDS_CLAMP, PW_FIELDS_HEAD, activationKernel, piecewiseParams } from './activation-common.js';
import type { ParamValues, QuantParams } from './types.js';

/**
 * Integers: as LeakyRelu, with m_neg[c]/s_neg[c] = quantizeMultiplier(slope[c] * inScale/outScale).
 * `slopes` has one entry per channel (axis 1) or a single shared entry; the backend reduces ONNX-broadcast slope
 * tensors ([C], [C,1,1], [1,C,1,1], [1], scalar) to that form and refuses others (E_KERNEL).
 */
export function preluParams(slopes: ArrayLike<number>, inQ: QuantParams, outQ: QuantParams): ParamValues {
  if (slopes.length === 0) throw new RangeError('PRelu needs at least one slope');
  return piecewiseParams(slopes, -Infinity, Infinity, inQ, outQ);
}

export const PRELU = activationKernel({
  name: 'prelu',
  ops: ['PRelu'],
  summary: 'x >= 0 ? x : slope[c]*x per channel with requantization',
  paramFields: [
    ...PW_FIELDS_HEAD,
    { name: 'neg_multiplier', dtype: 'int32', count: 'C (or 1)', doc: 'Q31 multiplier of slope[c]*inScale/outScale' },
    { name: 'neg_shift', dtype: 'int32', count: 'C (or 1)', doc: 'shift of neg_multiplier[c]' },
    ...PW_FIELDS_CLAMP,
  ],
  activation: PIECEWISE,
  defaultCyclesPerVector: 3,
});
