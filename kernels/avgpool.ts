// Stage: kernel library. avgpool kernel (AveragePool): window mean, requantized with one multiplier per window count.
// Contract: out = clamp(out_zp + MBQM(sum(x - in_zp), m[cnt-1], s[cnt-1])), m[k] ~ inScale / (outScale * (k+1)).

import { multiplyByQuantizedMultiplierWide, qRange, quantizeMultiplier } from './fixedpoint.js';
import { allocCodes, cyclesPerVector, field, laneVectors, numel, outTensor, paramBytesOf, qdtypeOf, tensorBytes } from './common.js';
import { forWindow, poolGeometry, type PoolGeometry } from './maxpool.js';
import type { Invocation, KernelDef, KernelWork, ParamValues, QTensor, QuantParams, Target } from './types.js';

/**
 * One multiplier per possible divisor 1..kH*kW, so border windows (count_include_pad = 0) divide by their own count
 * with a single rounding: error <= 0.5 LSB + multiplier rounding.
 */
export function avgPoolParams(windowElems: number, inQ: QuantParams, outQ: QuantParams): ParamValues {
  const m = new Int32Array(windowElems);
  const s = new Int32Array(windowElems);
  for (let k = 1; k <= windowElems; k++) {
    const q = quantizeMultiplier(inQ.scale / (outQ.scale * k));
    m[k - 1] = q.multiplier;
    s[k - 1] = q.shift;
  }
  return { multiplier: m, shift: s };
}

function runAvgPool(inv: Invocation, inputs: QTensor[], params: ParamValues): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  const g = poolGeometry(inv);
  const includePad = inv.attrs['count_include_pad'] === 1;
  const mult = field<Int32Array>(inv, params, 'multiplier');
  const shift = field<Int32Array>(inv, params, 'shift');
  const { qmin, qmax } = qRange(qdtypeOf(o));
  const out = allocCodes(qdtypeOf(o), numel(o.shape));
  const src = x.data;
  const zp = x.zeroPoint;
  let sum = 0;
  let cnt = 0;
  const visit = (idx: number): void => { sum += src[idx]! - zp; cnt++; };
  for (let p = 0; p < g.n * g.c; p++) {
    const base = p * g.h * g.w;
    for (let y = 0; y < g.oh; y++) {
      for (let xx = 0; xx < g.ow; xx++) {
        sum = 0; cnt = 0;
        forWindow(g, base, y, xx, visit);
        // count_include_pad counts taps inside the padded input (ONNX), not beyond it.
        const div = includePad ? paddedCount(g, y, xx) : cnt;
        const v = div === 0 ? o.zeroPoint : o.zeroPoint + multiplyByQuantizedMultiplierWide(sum, mult[div - 1]!, shift[div - 1]!);
        out[(p * g.oh + y) * g.ow + xx] = v < qmin ? qmin : v > qmax ? qmax : v;
      }
    }
  }
  return [outTensor(o, out)];
}

/** Taps of the window inside the zero-padded input [-pt, h+pb) x [-pl, w+pr) (ONNX count_include_pad = 1). */
function paddedCount(g: PoolGeometry, y: number, x: number): number {
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < g.kh; i++) {
    const iy = y * g.sh - g.pt + i * g.dh;
    if (iy >= -g.pt && iy < g.h + g.pb) rows++;
  }
  for (let j = 0; j < g.kw; j++) {
    const ix = x * g.sw - g.pl + j * g.dw;
    if (ix >= -g.pl && ix < g.w + g.pr) cols++;
  }
  return rows * cols;
}

function avgPoolWork(inv: Invocation, target: Target): KernelWork {
  const g = poolGeometry(inv);
  const o = inv.outputs[0]!;
  const vectors = laneVectors(o.shape, target.vectorLanes[qdtypeOf(o)]);
  return {
    macs: 0,
    computeCycles: vectors * (g.kh * g.kw + 1) * cyclesPerVector(target, inv.kernel, AVGPOOL.defaultCyclesPerVector),
    inputBytes: inv.inputs.map(tensorBytes),
    outputBytes: inv.outputs.map(tensorBytes),
    paramBytes: paramBytesOf(inv),
  };
}

export const AVGPOOL: KernelDef = {
  name: 'avgpool',
  ops: ['AveragePool'],
  role: 'pool',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'window mean with per-count requantization',
  paramFields: [
    { name: 'multiplier', dtype: 'int32', count: 'kH*kW', doc: 'entry k-1: Q31 multiplier of inScale/(outScale*k) for a window of k taps' },
    { name: 'shift', dtype: 'int32', count: 'kH*kW', doc: 'shift of multiplier[k-1]' },
  ],
  bind: (c) => {
    const ks = c.attr('kernel_shape');
    return avgPoolParams(Array.isArray(ks) ? ks.reduce((a, b) => a * b, 1) : 1, c.inQ[0]!, c.outQ);
  },
  run: runAvgPool,
  work: avgPoolWork,
  defaultCyclesPerVector: 1,
};
