// Stage: IR core, op table. Pointwise math of one run-time input: Sqrt, Reciprocal, Exp, Log, Neg, Abs, Erf, and Pow
// with a constant exponent. They are activations: unary, pointwise, so a table kernel runs them and fusion may compose them.
// Contract: float32 results equal ONNX Runtime's to float32 rounding (a few ulps where ORT approximates exp/log/erf).

import type { Node } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { allocData, numel } from '../tensor.js';
import type { InferInput, OpDef, OutputType } from './types.js';
import { unary } from './activation.js';
import { broadcastIndex, broadcastShapes, def, need, needT, outputElems, requireFloat } from './util.js';

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n * x / (1*3*...*(2n+1)): every term positive, so the sum loses no
 * digits to cancellation (double precision throughout, ~1e-15 relative). Beyond |x| = 6, 1 - erf < 1e-16.
 * JavaScript's Math has no erf; this one series is all the op table needs.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  const x2 = a * a;
  let term = a, sum = a;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  const r = Math.min(1, TWO_OVER_SQRT_PI * Math.exp(-x2) * sum);
  return x < 0 ? -r : r;
}

const sqrtOp = unary('Sqrt', 'sqrt(x) (NaN below 0)', {}, () => Math.sqrt, () => true);
const reciprocalOp = unary('Reciprocal', '1 / x', {}, () => (v) => 1 / v, () => false);
const expOp = unary('Exp', 'exp(x)', {}, () => Math.exp, () => true);
const logOp = unary('Log', 'natural log (NaN below 0, -inf at 0)', {}, () => Math.log, () => true);
const negOp = unary('Neg', '-x', {}, () => (v) => -v, () => false, true);
const absOp = unary('Abs', '|x|', {}, () => Math.abs, () => false, true);
const erfOp = unary('Erf', 'erf(x) (the Gauss error function, as in GELU)', {}, () => erf, () => true);

/**
 * x^e in float32 as ONNX Runtime computes it: e = 2 and e = 3 are products (x*x, x*x*x, each rounded to float32);
 * any other exponent is pow. An exponent of 0.5 is sqrt either way.
 */
export function powF(e: number): (x: number) => number {
  if (e === 2) return (x) => x * x;
  if (e === 3) return (x) => Math.fround(x * x) * x;
  return (x) => Math.pow(x, e);
}

/** Scalar exponent of a Pow node (a one-element constant), or undefined. */
export function powExponent(param: Tensor | undefined): number | undefined {
  return param && param.data.length === 1 ? Number(param.data[0]) : undefined;
}

function powInfer(_node: Node, inputs: (InferInput | undefined)[]): OutputType[] {
  const x = need(inputs, 0, 'base');
  requireFloat(x, 'base');
  const y = need(inputs, 1, 'exponent');
  if (y.dtype === 'bool') throw new Error('exponent must be numeric, got bool');
  return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, y.shape) }];
}

const powOp: OpDef = def({
  type: 'Pow', category: 'activation', summary: 'x ^ exponent (exponent a constant, numpy broadcasting)',
  inputs: [{ name: 'X', role: 'data' }, { name: 'Y', role: 'param' }],
  activation: true,
  // Non-decreasing on its whole domain exactly for positive odd integer exponents (x, x^3, ...).
  monotone: (_node, params) => {
    const e = powExponent(params[1]);
    return e !== undefined && e > 0 && Number.isInteger(e) && e % 2 === 1;
  },
  infer: powInfer,
  evaluate: (_node, inputs) => {
    const x = needT(inputs, 0), y = needT(inputs, 1);
    const shape = broadcastShapes(x.dims, y.dims);
    const n = numel(shape);
    const out = allocData(x.dtype, n) as Float32Array | Float64Array;
    const ix = x.data.length === n ? undefined : broadcastIndex(x.dims, shape);
    const e = powExponent(y);
    if (e !== undefined) {
      const f = powF(e);
      for (let i = 0; i < n; i++) out[i] = f(Number(x.data[ix ? ix[i]! : i]));
    } else {
      const iy = y.data.length === n ? undefined : broadcastIndex(y.dims, shape);
      for (let i = 0; i < n; i++) out[i] = powF(Number(y.data[iy ? iy[i]! : i]))(Number(x.data[ix ? ix[i]! : i]));
    }
    return [{ dtype: x.dtype, dims: shape, data: out }];
  },
  macs: outputElems,
});

export const MATH_OPS: OpDef[] = [sqrtOp, reciprocalOp, expOp, logOp, negOp, absOp, erfOp, powOp];
