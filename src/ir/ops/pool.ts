// Stage: IR core, op table. Pooling: MaxPool (float and 8-bit), AveragePool, GlobalAveragePool, GlobalMaxPool over NC(H)W.
// Contract: pads are explicit (auto_pad resolved on import); ceil_mode never starts a window inside the end padding.

import type { Node } from '../graph.js';
import type { DType, Tensor, TensorData } from '../tensor.js';
import { allocData } from '../tensor.js';
import { outExtent, spatial2D, window2D, type Window2D } from './conv.js';
import type { AttrSpec, InferInput, OpDef, OutputType } from './types.js';
import { always, attrNum, def, fmtShape, need, needT, requireFloat } from './util.js';

const maxAttrs: Record<string, AttrSpec> = {
  kernel_shape: { type: 'ints' },
  strides: { type: 'ints', default: [1, 1] },
  pads: { type: 'ints', default: [0, 0, 0, 0] },
  dilations: { type: 'ints', default: [1, 1] },
  ceil_mode: { type: 'int', default: 0 },
};

const avgAttrs: Record<string, AttrSpec> = {
  kernel_shape: { type: 'ints' },
  strides: { type: 'ints', default: [1, 1] },
  pads: { type: 'ints', default: [0, 0, 0, 0] },
  ceil_mode: { type: 'int', default: 0 },
  count_include_pad: { type: 'int', default: 0 },
};

interface PoolGeom { n: number; c: number; h: number; w: number; oh: number; ow: number; win: Window2D; nsp: number }

function geometry(node: Node, spec: Record<string, AttrSpec>, shape: readonly number[]): PoolGeom {
  if (shape.length !== 3 && shape.length !== 4) throw new Error(`pooling supports rank-3 and rank-4 inputs, got ${fmtShape(shape)}`);
  const nsp = shape.length - 2;
  const win = window2D(node, spec, nsp);
  const ceil = attrNum(node, 'ceil_mode', spec) !== 0;
  const [h, w] = spatial2D(shape);
  const oh = outExtent(h, win.kh, win.sh, win.dh, win.pt, win.pb, ceil);
  const ow = outExtent(w, win.kw, win.sw, win.dw, win.pl, win.pr, ceil);
  // a window lying entirely in padding has no input element to pool
  if (win.pt >= win.kh * win.dh || win.pl >= win.kw * win.dw) throw new Error(`pads ${win.pt},${win.pl} are not smaller than the window`);
  return { n: shape[0]!, c: shape[1]!, h, w, oh, ow, win, nsp };
}

function outShape(g: PoolGeom): number[] {
  return g.nsp === 1 ? [g.n, g.c, g.ow] : [g.n, g.c, g.oh, g.ow];
}

function poolInfer(spec: Record<string, AttrSpec>, allowInt: boolean) {
  return (node: Node, inputs: (InferInput | undefined)[]): OutputType[] => {
    const x = need(inputs, 0, 'data input');
    if (!allowInt || (x.dtype !== 'uint8' && x.dtype !== 'int8')) requireFloat(x, 'data input');
    return [{ dtype: x.dtype, shape: outShape(geometry(node, spec, x.shape)) }];
  };
}

type NumData = Exclude<TensorData, BigInt64Array>;

function maxPool(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const g = geometry(node, maxAttrs, x.dims);
  const { kh, kw, sh, sw, dh, dw, pt, pl } = g.win;
  const xd = x.data as NumData;
  const out = allocData(x.dtype, g.n * g.c * g.oh * g.ow) as NumData;
  let o = 0;
  for (let p = 0; p < g.n * g.c; p++) {
    const base = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let m = -Infinity;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= g.h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= g.w) continue;
            const v = xd[base + iy * g.w + ix]!;
            if (v > m || Number.isNaN(v)) m = v;
          }
        }
        out[o++] = m;
      }
    }
  }
  return [{ dtype: x.dtype, dims: outShape(g), data: out }];
}

function avgPool(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const g = geometry(node, avgAttrs, x.dims);
  const includePad = attrNum(node, 'count_include_pad', avgAttrs) !== 0;
  const { kh, kw, sh, sw, pt, pl, pb, pr } = g.win;
  const xd = x.data as Float32Array;
  const out = new Float32Array(g.n * g.c * g.oh * g.ow);
  let o = 0;
  for (let p = 0; p < g.n * g.c; p++) {
    const base = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++) {
      const y0 = oy * sh - pt, y1 = Math.min(y0 + kh, g.h + pb);
      const ya = Math.max(y0, 0), yb = Math.min(y1, g.h);
      for (let ox = 0; ox < g.ow; ox++) {
        const x0 = ox * sw - pl, x1 = Math.min(x0 + kw, g.w + pr);
        const xa = Math.max(x0, 0), xb = Math.min(x1, g.w);
        let s = 0;
        for (let iy = ya; iy < yb; iy++) for (let ix = xa; ix < xb; ix++) s += xd[base + iy * g.w + ix]!;
        // count_include_pad counts the padded window (clipped to the padded input, as ORT does in ceil mode)
        const count = includePad ? (y1 - y0) * (x1 - x0) : (yb - ya) * (xb - xa);
        out[o++] = s / count;
      }
    }
  }
  return [{ dtype: 'float32', dims: outShape(g), data: out }];
}

function globalInfer(_node: Node, inputs: (InferInput | undefined)[]): OutputType[] {
  const x = need(inputs, 0, 'data input');
  requireFloat(x, 'data input');
  if (x.shape.length < 3) throw new Error(`global pooling needs an N,C,spatial... input, got ${fmtShape(x.shape)}`);
  return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
}

function globalPool(kind: 'avg' | 'max') {
  return (_node: Node, inputs: (Tensor | undefined)[]): Tensor[] => {
    const x = needT(inputs, 0);
    const nc = x.dims[0]! * x.dims[1]!;
    const size = x.data.length / nc;
    const xd = x.data as Float32Array;
    const out = new Float32Array(nc);
    for (let p = 0; p < nc; p++) {
      let acc = kind === 'avg' ? 0 : -Infinity;
      for (let i = p * size; i < (p + 1) * size; i++) acc = kind === 'avg' ? acc + xd[i]! : Math.max(acc, xd[i]!);
      out[p] = kind === 'avg' ? acc / size : acc;
    }
    return [{ dtype: x.dtype as DType, dims: [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)], data: out }];
  };
}

export const POOL_OPS: OpDef[] = [
  def({
    type: 'MaxPool', category: 'pool', summary: 'windowed maximum (padding never wins)', attrs: maxAttrs,
    valuePreserving: true, monotone: always,
    infer: poolInfer(maxAttrs, true), evaluate: maxPool,
  }),
  def({
    type: 'AveragePool', category: 'pool', summary: 'windowed mean', attrs: avgAttrs, monotone: always,
    infer: poolInfer(avgAttrs, false), evaluate: avgPool,
  }),
  def({
    type: 'GlobalAveragePool', category: 'pool', summary: 'mean over all spatial positions', monotone: always,
    infer: globalInfer, evaluate: globalPool('avg'),
  }),
  def({
    type: 'GlobalMaxPool', category: 'pool', summary: 'maximum over all spatial positions', monotone: always,
    valuePreserving: true, infer: globalInfer, evaluate: globalPool('max'),
  }),
];
