// Stage: kernel library. maxpool kernel (MaxPool, GlobalMaxPool): window maximum of codes; padding never wins.
// Contract: value-preserving: the output shares the input's quantization (the backend propagates it), no parameters.

import { allocCodes, cyclesPerVector, kernelError, laneVectors, numel, outTensor, paramBytesOf, qdtypeOf, requireSameQuant, tensorBytes } from './common.js';
import type { Invocation, KernelDef, KernelWork, QTensor, Target } from './types.js';

export interface PoolGeometry {
  n: number; c: number; h: number; w: number; oh: number; ow: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number; pb: number; pr: number;
}

/** Window geometry from ONNX pool attributes; a missing kernel_shape means a global window. */
export function poolGeometry(inv: Invocation): PoolGeometry {
  const x = inv.inputs[0]!.shape;
  const o = inv.outputs[0]!.shape;
  if (x.length !== 4) throw kernelError(inv, `expects an NCHW input, got [${x.join(',')}]`);
  const k = Array.isArray(inv.attrs['kernel_shape']) ? inv.attrs['kernel_shape'] : [x[2]!, x[3]!];
  const s = Array.isArray(inv.attrs['strides']) ? inv.attrs['strides'] : [1, 1];
  const d = Array.isArray(inv.attrs['dilations']) ? inv.attrs['dilations'] : [1, 1];
  const p = Array.isArray(inv.attrs['pads']) ? inv.attrs['pads'] : [0, 0, 0, 0];
  return {
    n: x[0]!, c: x[1]!, h: x[2]!, w: x[3]!, oh: o[2] ?? 1, ow: o[3] ?? 1,
    kh: k[0]!, kw: k[1]!, sh: s[0]!, sw: s[1]!, dh: d[0]!, dw: d[1]!, pt: p[0]!, pl: p[1]!, pb: p[2]!, pr: p[3]!,
  };
}

/** Calls visit(input index) for every in-bounds tap of the window at output (y, x) of plane base `base`. */
export function forWindow(g: PoolGeometry, base: number, y: number, x: number, visit: (idx: number) => void): void {
  for (let i = 0; i < g.kh; i++) {
    const iy = y * g.sh - g.pt + i * g.dh;
    if (iy < 0 || iy >= g.h) continue;
    for (let j = 0; j < g.kw; j++) {
      const ix = x * g.sw - g.pl + j * g.dw;
      if (ix < 0 || ix >= g.w) continue;
      visit(base + iy * g.w + ix);
    }
  }
}

function runMaxPool(inv: Invocation, inputs: QTensor[]): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  requireSameQuant(inv, x, o);
  const g = poolGeometry(inv);
  const out = allocCodes(qdtypeOf(o), numel(o.shape));
  const src = x.data;
  const { h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow } = g;
  // the window loop written out (no callback per tap): taps outside the input are skipped, as forWindow does
  for (let p = 0; p < g.n * g.c; p++) {
    const base = p * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let best = -Infinity;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - pt + i * dh;
          if (iy < 0 || iy >= h) continue;
          const row = base + iy * w;
          for (let j = 0; j < kw; j++) {
            const ix = xx * sw - pl + j * dw;
            if (ix < 0 || ix >= w) continue;
            const v = src[row + ix]!;
            if (v > best) best = v;
          }
        }
        out[(p * oh + y) * ow + xx] = best === -Infinity ? x.zeroPoint : best;
      }
    }
  }
  return [outTensor(o, out)];
}

/** Output lane vectors times window taps times cycles per compare. */
function maxPoolWork(inv: Invocation, target: Target): KernelWork {
  const g = poolGeometry(inv);
  const o = inv.outputs[0]!;
  const vectors = laneVectors(o.shape, target.vectorLanes[qdtypeOf(o)]);
  return {
    macs: 0,
    computeCycles: vectors * g.kh * g.kw * cyclesPerVector(target, inv.kernel, MAXPOOL.defaultCyclesPerVector),
    inputBytes: inv.inputs.map(tensorBytes),
    outputBytes: inv.outputs.map(tensorBytes),
    paramBytes: paramBytesOf(inv),
  };
}

export const MAXPOOL: KernelDef = {
  name: 'maxpool',
  ops: ['MaxPool', 'GlobalMaxPool'],
  role: 'pool',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'window maximum (value-preserving)',
  paramFields: [],
  run: (inv, inputs) => runMaxPool(inv, inputs),
  work: maxPoolWork,
  defaultCyclesPerVector: 1,
};
