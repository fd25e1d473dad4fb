// Stage: kernel library. Clip kernel (Clip, Relu6): y = min(max(x, lo), hi), requantized; lo/hi may be infinite.
// Contract: fixed point = piecewise normal form with slope 1 on both sides and quantized bounds.

import { PIECEWISE, PW_FIELDS_CLAMP, PW_FIELDS_HEAD, activationKernel, piecewiseParams } from './activation-common.js';
import { NEG_FIELDS_SCALAR } from './leaky-relu.js';
import type { ParamValues, QuantParams } from './types.js';

/**
 * Integers: y = clamp(out_zp + MBQM(x - in_zp, inScale/outScale), out_min, out_max) with
 * out_min = max(qmin, out_zp + round(lo/outScale)), out_max = min(qmax, out_zp + round(hi/outScale)) (round half
 * away from zero, as TFLite's CalculateActivationRangeQuantized). The negative side carries the same multiplier.
 * lo > hi (ONNX: every output equals hi... as min(max(x,lo),hi)) gives out_min > out_max; the clamp then yields
 * out_max, matching min(max(x, lo), hi) = hi.
 */
export function clipParams(lo: number, hi: number, inQ: QuantParams, outQ: QuantParams): ParamValues {
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new RangeError('Clip bounds must not be NaN');
  return piecewiseParams([1], lo, hi, inQ, outQ);
}

export const CLIP = activationKernel({
  name: 'clip',
  ops: ['Clip'],
  summary: 'min(max(x, lo), hi) with requantization',
  paramFields: [...PW_FIELDS_HEAD, ...NEG_FIELDS_SCALAR, ...PW_FIELDS_CLAMP],
  activation: PIECEWISE,
  bind: (c) => clipParams(c.num('min'), c.num('max'), c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 1,
});
