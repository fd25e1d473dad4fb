// Stage: IR core, op table. Normalisation: inference-mode BatchNormalization and per-axis Softmax.
// Contract: float32 in and out; statistics and reductions are computed in float64 then rounded once.

import type { Node } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { numel } from '../tensor.js';
import type { AttrSpec, InferInput, OpDef, OutputType } from './types.js';
import { attrNum, def, fmtShape, need, needT, normAxis, outputElems, requireFloat, requireSameDtype } from './util.js';

const bnAttrs: Record<string, AttrSpec> = { epsilon: { type: 'float', default: 1e-5 } };
const BN_PARAMS = ['scale', 'B', 'mean', 'var'];

function bnInfer(_node: Node, inputs: (InferInput | undefined)[]): OutputType[] {
  const x = need(inputs, 0, 'data input');
  requireFloat(x, 'data input');
  if (x.shape.length < 2) throw new Error(`input ${fmtShape(x.shape)} has no channel axis`);
  const c = x.shape[1]!;
  BN_PARAMS.forEach((p, i) => {
    const v = need(inputs, i + 1, p);
    requireSameDtype(x, v, p);
    if (v.shape.length !== 1 || v.shape[0] !== c) throw new Error(`${p} shape ${fmtShape(v.shape)} must be [${c}]`);
  });
  return [{ dtype: x.dtype, shape: [...x.shape] }];
}

function bnEvaluate(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => needT(inputs, i).data as Float32Array);
  const eps = attrNum(node, 'epsilon', bnAttrs);
  const c = x.dims[1]!;
  const inner = numel(x.dims.slice(2));
  const xd = x.data as Float32Array;
  const out = new Float32Array(xd.length);
  for (let p = 0; p < xd.length / inner; p++) {
    const ch = p % c;
    const k = scale![ch]! / Math.sqrt(variance![ch]! + eps);
    const m = mean![ch]!, b = bias![ch]!;
    for (let i = p * inner; i < (p + 1) * inner; i++) out[i] = (xd[i]! - m) * k + b;
  }
  return [{ dtype: 'float32', dims: [...x.dims], data: out }];
}

const batchNorm = def({
  type: 'BatchNormalization', category: 'normalization', summary: 'inference batch norm: scale*(x-mean)/sqrt(var+eps)+B',
  inputs: [{ name: 'X', role: 'data' }, ...BN_PARAMS.map((name) => ({ name, role: 'param' as const }))],
  attrs: bnAttrs,
  infer: bnInfer,
  evaluate: bnEvaluate,
  macs: outputElems,
  check: (node) => {
    const e = node.attrs.epsilon;
    return typeof e === 'number' && !(e >= 0 && Number.isFinite(e)) ? `epsilon ${e} must be finite and >= 0` : null;
  },
});

const softmaxAttrs: Record<string, AttrSpec> = { axis: { type: 'int', default: -1 } };

const softmax = def({
  type: 'Softmax', category: 'normalization', summary: 'exp(x - max) / sum along one axis', attrs: softmaxAttrs,
  infer: (node, inputs) => {
    const x = need(inputs, 0, 'data input');
    requireFloat(x, 'data input');
    normAxis(attrNum(node, 'axis', softmaxAttrs), x.shape.length);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  evaluate: (node, inputs) => {
    const x = needT(inputs, 0);
    const axis = normAxis(attrNum(node, 'axis', softmaxAttrs), x.dims.length);
    const len = x.dims[axis]!, inner = numel(x.dims.slice(axis + 1)), outer = numel(x.dims.slice(0, axis));
    const xd = x.data as Float32Array;
    const out = new Float32Array(xd.length);
    const e = new Float64Array(len);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let m = -Infinity;
        for (let k = 0; k < len; k++) m = Math.max(m, xd[base + k * inner]!);
        let s = 0;
        for (let k = 0; k < len; k++) s += e[k] = Math.exp(xd[base + k * inner]! - m);
        for (let k = 0; k < len; k++) out[base + k * inner] = e[k]! / s;
      }
    }
    return [{ dtype: 'float32', dims: [...x.dims], data: out }];
  },
});

export const NORMALIZATION_OPS: OpDef[] = [batchNorm, softmax];
