// Stage: kernel library. PRelu kernel: y = x >= 0 ? x : slope[c] * x per channel (axis 1 of NCHW), requantized.
// Contract: fixed point = piecewise normal form with one negative-side multiplier/shift per channel.

import { PIECEWISE, PW_FIELDS_CLAMP, PW_FIELDS_HEAD, activationKernel, piecewiseParams } from './activation-common.js';
import type { BindContext, ParamValues, QuantParams } from './types.js';

/**
 * Integers: as LeakyRelu, with m_neg[c]/s_neg[c] = quantizeMultiplier(slope[c] * inScale/outScale).
 * `slopes` has one entry per channel (axis 1) or a single shared entry; the backend reduces ONNX-broadcast slope
 * tensors ([C], [C,1,1], [1,C,1,1], [1], scalar) to that form and refuses others (E_KERNEL).
 */
export function preluParams(slopes: ArrayLike<number>, inQ: QuantParams, outQ: QuantParams): ParamValues {
  if (slopes.length === 0) throw new RangeError('PRelu needs at least one slope');
  return piecewiseParams(slopes, -Infinity, Infinity, inQ, outQ);
}

/**
 * PRelu slopes reduced to one per channel (axis 1) or one shared value. The ONNX-broadcast slope tensor must
 * vary along the channel axis only ([C], [C,1,1], [1,C,1,1], [1], scalar against NCHW); anything else is E_KERNEL.
 */
export function preluSlopes(c: BindContext): Float32Array {
  const s = c.constant(1) ?? c.fail('PRelu slope is not a constant; the prelu kernel needs constant slopes');
  const x = c.shape(0);
  const rank = x?.length ?? s.dims.length;
  const data = s.values;
  const aligned = [...new Array<number>(Math.max(0, rank - s.dims.length)).fill(1), ...s.dims];
  const varying = aligned.map((d, i) => (d > 1 ? i : -1)).filter((i) => i >= 0);
  if (varying.length === 0) return Float32Array.of(data[0]!);
  if (varying.length === 1 && varying[0] === 1 && rank >= 2) {
    const first = data[0]!;
    return data.every((v) => v === first) ? Float32Array.of(first) : Float32Array.from(data);
  }
  return c.fail(`PRelu slope of shape [${s.dims.join(',')}] varies along axes other than the channel axis of ` +
    `input [${x?.join(',') ?? '?'}]; the prelu kernel holds one slope per channel`);
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
  bind: (c) => preluParams(preluSlopes(c), c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 3,
});
