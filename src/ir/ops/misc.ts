// Stage: IR core, op table. Shape arithmetic the importer folds to constants: Shape, Gather, Cast.
// Contract: these never survive import in a canonical graph, but they are real ops so folding reuses the interpreter.

import type { Node } from '../graph.js';
import type { DType, Tensor } from '../tensor.js';
import { allocData, numel } from '../tensor.js';
import type { AttrSpec, OpDef } from './types.js';
import { attrNum, def, fmtShape, need, needT, normAxis } from './util.js';

/** ONNX TensorProto.DataType codes for the dtypes the IR holds (Cast's `to` keeps ONNX's integer spelling). */
export const ONNX_DTYPE: Readonly<Record<number, DType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64',
};

const shapeOp = def({
  type: 'Shape', category: 'other', summary: 'the static shape as an int64 vector',
  infer: (_node, inputs) => [{ dtype: 'int64', shape: [need(inputs, 0, 'data input').shape.length] }],
  evaluate: (_node, inputs) => {
    const x = needT(inputs, 0);
    return [{ dtype: 'int64', dims: [x.dims.length], data: BigInt64Array.from(x.dims.map((d) => BigInt(d))) }];
  },
});

const gatherAttrs: Record<string, AttrSpec> = { axis: { type: 'int', default: 0 } };
function gatherShape(node: Node, data: readonly number[], idx: readonly number[]): { axis: number; out: number[] } {
  if (data.length === 0) throw new Error('cannot gather from a scalar');
  const axis = normAxis(attrNum(node, 'axis', gatherAttrs), data.length);
  return { axis, out: [...data.slice(0, axis), ...idx, ...data.slice(axis + 1)] };
}

const gather = def({
  type: 'Gather', category: 'other', summary: 'take entries along axis by index (negative indices wrap)',
  inputs: [{ name: 'data', role: 'data' }, { name: 'indices', role: 'data' }],
  attrs: gatherAttrs, valuePreserving: true,
  infer: (node, inputs) => {
    const d = need(inputs, 0, 'data input'), i = need(inputs, 1, 'indices');
    if (i.dtype !== 'int64' && i.dtype !== 'int32') throw new Error(`indices must be int32 or int64, got ${i.dtype}`);
    return [{ dtype: d.dtype, shape: gatherShape(node, d.shape, i.shape).out }];
  },
  evaluate: (node, inputs) => {
    const d = needT(inputs, 0), it = needT(inputs, 1);
    const { axis, out } = gatherShape(node, d.dims, it.dims);
    const outer = numel(d.dims.slice(0, axis)), n = d.dims[axis]!, inner = numel(d.dims.slice(axis + 1));
    const idx = Array.from(it.data as ArrayLike<number | bigint>, (v) => {
      const k = Number(v);
      if (k < -n || k >= n) throw new Error(`index ${k} is out of range for axis ${axis} of size ${n} in ${fmtShape(d.dims)}`);
      return k < 0 ? k + n : k;
    });
    const res = allocData(d.dtype, numel(out)) as unknown as { [k: number]: number | bigint };
    const src = d.data;
    let o = 0;
    for (let a = 0; a < outer; a++) {
      for (const k of idx) for (let j = 0; j < inner; j++) res[o++] = src[(a * n + k) * inner + j]!;
    }
    return [{ dtype: d.dtype, dims: out, data: res as unknown as Tensor['data'] }];
  },
});

const castAttrs: Record<string, AttrSpec> = { to: { type: 'int' } };
function castTarget(node: Node): DType {
  const to = attrNum(node, 'to', castAttrs);
  const t = ONNX_DTYPE[to];
  if (!t) throw new Error(`cast to ONNX data type ${to} is not supported`);
  return t;
}

/** Float to integer casts truncate toward zero (as ONNX Runtime does); bool is value != 0. */
function castTensor(x: Tensor, to: DType): Tensor {
  const n = x.data.length;
  const out = allocData(to, n);
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) { const v = x.data[i]!; out[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v)); }
  } else if (to === 'bool') {
    for (let i = 0; i < n; i++) out[i] = Number(x.data[i]) !== 0 ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(x.data[i]);
  }
  return { dtype: to, dims: [...x.dims], data: out };
}

const cast = def({
  type: 'Cast', category: 'other', summary: 'convert element type (to = ONNX data type code)', attrs: castAttrs,
  infer: (node, inputs) => [{ dtype: castTarget(node), shape: [...need(inputs, 0, 'data input').shape] }],
  evaluate: (node, inputs) => [castTensor(needT(inputs, 0), castTarget(node))],
  check: (node) => {
    const to = node.attrs.to;
    return typeof to === 'number' && !ONNX_DTYPE[to] ? `cast to ONNX data type ${to} is not supported` : null;
  },
});

export const MISC_OPS: OpDef[] = [shapeOp, gather, cast];
