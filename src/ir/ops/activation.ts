// Stage: IR core, op table. Pointwise activation ops: the candidates for chain fusion (plus Identity/Dropout, category 'other').
// Contract: each entry states its attributes, exact monotonicity for the node's own parameters, and float32 reference semantics.

import type { Node } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { numel } from '../tensor.js';
import type { AttrSpec, InferInput, OpDef, OutputType } from './types.js';
import {
  always, attrNum, broadcastIndex, broadcastsTo, def, fmtShape, mapTensor, need, needT, outputElems, requireFloat,
  requireSameDtype, sameAsInput0,
} from './util.js';

/** Float attributes must be finite (slopes, thresholds); NaN/Inf would make fusion algebra meaningless. */
function finiteAttrs(names: string[]) {
  return (node: Node): string | null => {
    for (const n of names) {
      const v = node.attrs[n];
      if (typeof v === 'number' && !Number.isFinite(v)) return `attribute '${n}' must be finite, got ${v}`;
    }
    return null;
  };
}

/** A unary activation whose only parameters are float attributes (float inputs unless `allowInt`: Neg, Abs). */
export function unary(
  type: string, summary: string, attrs: Record<string, AttrSpec>,
  fn: (p: number[]) => (v: number) => number,
  monotone: (p: number[]) => boolean,
  allowInt = false,
): OpDef {
  const names = Object.keys(attrs);
  const params = (node: Node): number[] => names.map((n) => attrNum(node, n, attrs));
  return def({
    type, category: 'activation', summary, attrs, activation: true,
    monotone: (node) => monotone(params(node)),
    infer: sameAsInput0(allowInt),
    evaluate: (node, inputs) => {
      const f = fn(params(node));
      return [mapTensor(needT(inputs, 0), f)];
    },
    macs: outputElems,
    check: finiteAttrs(names),
  });
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
/** log(1+e^v) without overflow for large |v|. */
const softplus = (v: number): number => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));

const relu = unary('Relu', 'max(x, 0)', {}, () => (v) => (v < 0 ? 0 : v), () => true);

const leakyRelu = unary('LeakyRelu', 'x >= 0 ? x : alpha*x', { alpha: { type: 'float', default: 0.01 } },
  ([a]) => (v) => (v < 0 ? a! * v : v), ([a]) => a! >= 0);

const sigmoidOp = unary('Sigmoid', '1 / (1 + exp(-x))', {}, () => sigmoid, () => true);
const tanhOp = unary('Tanh', 'tanh(x)', {}, () => Math.tanh, () => true);

const hardSigmoid = unary('HardSigmoid', 'clamp(alpha*x + beta, 0, 1)',
  { alpha: { type: 'float', default: 0.2 }, beta: { type: 'float', default: 0.5 } },
  ([a, b]) => (v) => Math.max(0, Math.min(1, a! * v + b!)), ([a]) => a! >= 0);

// x * hardsigmoid(x) dips to -0.375 at x = -1.5: never monotone.
const hardSwish = unary('HardSwish', 'x * clamp(x/6 + 1/2, 0, 1)', {},
  () => (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)), () => false);

const elu = unary('Elu', 'x >= 0 ? x : alpha*(exp(x) - 1)', { alpha: { type: 'float', default: 1 } },
  ([a]) => (v) => (v < 0 ? a! * Math.expm1(v) : v), ([a]) => a! >= 0);

const selu = unary('Selu', 'gamma * (x > 0 ? x : alpha*(exp(x) - 1))',
  { alpha: { type: 'float', default: 1.67326319217681884765625 }, gamma: { type: 'float', default: 1.05070102214813232421875 } },
  ([a, g]) => (v) => (v > 0 ? g! * v : g! * a! * Math.expm1(v)),
  // gamma scales both branches: with gamma > 0 the negative branch rises iff alpha >= 0; gamma = 0 is constant.
  ([a, g]) => g === 0 || (g! > 0 && a! >= 0));

const softplusOp = unary('Softplus', 'log(1 + exp(x))', {}, () => softplus, () => true);

// x > alpha ? x : 0 jumps from 0 to alpha at the threshold: upward (monotone) iff alpha >= 0.
const thresholdedRelu = unary('ThresholdedRelu', 'x > alpha ? x : 0', { alpha: { type: 'float', default: 1 } },
  ([a]) => (v) => (v > a! ? v : 0), ([a]) => a! >= 0);

/** Clip holds infinite bounds legitimately (one-sided clamps); only NaN is invalid. min > max yields max (ONNX/ORT). */
const clipAttrs: Record<string, AttrSpec> = { min: { type: 'float', default: -Infinity }, max: { type: 'float', default: Infinity } };
const clip: OpDef = def({
  type: 'Clip', category: 'activation', summary: 'min(max(x, min), max)', attrs: clipAttrs, activation: true,
  monotone: always,
  // int8/uint8 clips occur in conformance (node/test_clip_default_int8_*), so integer inputs are allowed.
  infer: sameAsInput0(true),
  evaluate: (node, inputs) => {
    const lo = attrNum(node, 'min', clipAttrs);
    const hi = attrNum(node, 'max', clipAttrs);
    return [mapTensor(needT(inputs, 0), (v) => Math.min(Math.max(v, lo), hi))];
  },
  macs: outputElems,
  check: (node) => {
    for (const n of ['min', 'max']) if (Number.isNaN(node.attrs[n])) return `attribute '${n}' is NaN`;
    return null;
  },
});

function preluInfer(_node: Node, inputs: (InferInput | undefined)[]): OutputType[] {
  const x = need(inputs, 0, 'data input');
  requireFloat(x, 'data input');
  const s = need(inputs, 1, 'slope');
  requireSameDtype(x, s, 'slope');
  if (!broadcastsTo(s.shape, x.shape)) {
    throw new Error(`slope shape ${fmtShape(s.shape)} does not broadcast to input shape ${fmtShape(x.shape)}`);
  }
  const sv = inputs[1]?.value;
  if (sv) for (const v of sv.data) if (!Number.isFinite(Number(v))) throw new Error(`slope contains non-finite value ${v}`);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
}

const prelu: OpDef = def({
  type: 'PRelu', category: 'activation', summary: 'x >= 0 ? x : slope*x (slope broadcast to x, per channel)',
  inputs: [{ name: 'X', role: 'data' }, { name: 'slope', role: 'param' }],
  activation: true,
  monotone: (_node: Node, params: (Tensor | undefined)[]) => {
    const s = params[1];
    if (!s) return false; // unknown slopes: cannot promise monotonicity
    for (const v of s.data) if (!(Number(v) >= 0)) return false;
    return true;
  },
  infer: preluInfer,
  evaluate: (_node, inputs) => {
    const x = needT(inputs, 0);
    const s = needT(inputs, 1);
    if (numel(s.dims) === 1) {
      const k = Number(s.data[0]);
      return [mapTensor(x, (v) => (v < 0 ? k * v : v))];
    }
    const idx = broadcastIndex(s.dims, x.dims);
    const sd = s.data as Float32Array;
    return [mapTensor(x, (v, i) => (v < 0 ? sd[idx[i]!]! * v : v))];
  },
  macs: outputElems,
});

/** Identity and inference-mode Dropout pass data through; they are not activations (fusion removes them first). */
const identity: OpDef = def({
  type: 'Identity', category: 'other', summary: 'y = x', monotone: always, valuePreserving: true, view: true,
  infer: sameAsInput0(true),
  evaluate: (_n, inputs) => [needT(inputs, 0)],
});

const dropout: OpDef = def({
  type: 'Dropout', category: 'other', summary: 'inference: y = x (mask output unsupported)',
  attrs: { ratio: { type: 'float', default: 0.5 } },
  monotone: always, valuePreserving: true, view: true,
  infer: sameAsInput0(true),
  evaluate: (_n, inputs) => [needT(inputs, 0)],
});

export const ACTIVATION_OPS: OpDef[] = [
  relu, leakyRelu, prelu, clip, sigmoidOp, tanhOp, hardSigmoid, hardSwish, elu, selu, softplusOp, thresholdedRelu,
  identity, dropout,
];
