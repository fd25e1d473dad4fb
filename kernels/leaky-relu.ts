// Stage: kernel library. LeakyRelu kernel: y = x >= 0 ? x : alpha * x, requantized; any finite alpha (negative, > 1).
// Contract: fixed point = piecewise normal form with one negative-side multiplier alpha * inScale / outScale.

import { PIECEWISE, PW_FIELDS_CLAMP, PW_FIELDS_HEAD, activationKernel, piecewiseParams } from './activation-common.js';
import type { ParamField, ParamValues, QuantParams } from './types.js';

export const NEG_FIELDS_SCALAR: readonly ParamField[] = [
  { name: 'neg_multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of alpha*inScale/outScale (x < in_zp)' },
  { name: 'neg_shift', dtype: 'int32', count: '1', doc: 'shift of neg_multiplier' },
];

/**
 * Integers (as TFLite LEAKY_RELU): d = x - in_zp; y = out_zp + (d >= 0 ? MBQM(d, m_pos, s_pos) : MBQM(d, m_neg, s_neg)),
 * clamped to the output range. m_pos/s_pos = quantizeMultiplier(inScale/outScale),
 * m_neg/s_neg = quantizeMultiplier(alpha * inScale/outScale) (a negative alpha gives a negative multiplier).
 */
export function leakyReluParams(alpha: number, inQ: QuantParams, outQ: QuantParams): ParamValues {
  return piecewiseParams([alpha], -Infinity, Infinity, inQ, outQ);
}

export const LEAKY_RELU = activationKernel({
  name: 'leaky_relu',
  ops: ['LeakyRelu'],
  summary: 'x >= 0 ? x : alpha*x with requantization',
  paramFields: [...PW_FIELDS_HEAD, ...NEG_FIELDS_SCALAR, ...PW_FIELDS_CLAMP],
  activation: PIECEWISE,
  bind: (c) => leakyReluParams(c.num('alpha'), c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 2,
});
