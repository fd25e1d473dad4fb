// Stage: kernel library. pointwise_lut kernel: any float function of one input (Sqrt, Reciprocal, Exp, Log, Neg, Abs,
// Erf, Pow with a constant exponent, ...) as one lookup table built from the op table's float reference.
// Contract: every output code is within 1 LSB of the quantized reference on every input code (int8 exact 256 entries;
// int16 interpolated table of 2^(16-s)+1 entries, s chosen per node by kernels/lut.ts exactTable).

import { activationKernel } from './activation-common.js';
import { LUT_ACTIVATION, LUT_FIELDS, exactTable, type VectorFn } from './lut.js';
import type { ParamValues, QuantParams } from './types.js';

/** Ops whose node is a float function of its one run-time input (constant operands bound). */
export const POINTWISE_LUT_OPS: readonly string[] = ['Sqrt', 'Reciprocal', 'Exp', 'Log', 'Neg', 'Abs', 'Erf', 'Pow'];

/** The table of `f` (the node's float reference on its run-time input) for the given quantization. */
export function pointwiseLutParams(f: VectorFn, inQ: QuantParams, outQ: QuantParams): ParamValues {
  return exactTable(f, inQ, outQ);
}

export const POINTWISE_LUT = activationKernel({
  name: 'pointwise_lut',
  ops: POINTWISE_LUT_OPS,
  summary: 'any pointwise float function of one input by lookup table (built from the op-table reference)',
  paramFields: LUT_FIELDS,
  activation: LUT_ACTIVATION,
  bind: (c) => pointwiseLutParams(c.reference, c.inQ[0]!, c.outQ),
  defaultCyclesPerVector: 4,
});
