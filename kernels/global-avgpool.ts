// Stage: kernel library. global_avgpool kernel (GlobalAveragePool, ReduceMean over H and W): per-(n, c) mean.
// Contract: out = clamp(out_zp + MBQM(sum(x - in_zp), m, s)), m/s ~ inScale / (outScale * H * W), one rounding.

import { multiplyByQuantizedMultiplierWide, qRange, quantizeMultiplier } from './fixedpoint.js';
import { allocCodes, cyclesPerVector, kernelError, laneVectors, numel, outTensor, paramBytesOf, qdtypeOf, scalar, tensorBytes } from './common.js';
import type { Invocation, KernelDef, KernelWork, ParamValues, QTensor, QuantParams, Target } from './types.js';

export function globalAvgPoolParams(spatialElems: number, inQ: QuantParams, outQ: QuantParams): ParamValues {
  const q = quantizeMultiplier(inQ.scale / (outQ.scale * spatialElems));
  return { multiplier: Int32Array.of(q.multiplier), shift: Int32Array.of(q.shift) };
}

/** ReduceMean is accepted only as a spatial mean of NCHW (axes [2, 3]); output [N, C, 1, 1] or [N, C]. */
function dims(inv: Invocation): { planes: number; spatial: number } {
  const x = inv.inputs[0]!.shape;
  if (x.length < 3) throw kernelError(inv, `expects N, C and spatial axes, got [${x.join(',')}]`);
  const axes = inv.attrs['axes'];
  if (Array.isArray(axes)) {
    const want = x.slice(2).map((_, i) => i + 2);
    if (axes.length !== want.length || axes.some((a, i) => a !== want[i])) {
      throw kernelError(inv, `ReduceMean over axes [${axes.join(',')}] is not a spatial mean (axes [${want.join(',')}])`);
    }
  }
  return { planes: x[0]! * x[1]!, spatial: numel(x.slice(2)) };
}

function runGlobalAvgPool(inv: Invocation, inputs: QTensor[], params: ParamValues): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  const { planes, spatial } = dims(inv);
  const m = scalar(inv, params, 'multiplier');
  const s = scalar(inv, params, 'shift');
  const { qmin, qmax } = qRange(qdtypeOf(o));
  const out = allocCodes(qdtypeOf(o), planes);
  for (let p = 0; p < planes; p++) {
    let sum = 0;
    for (let i = p * spatial; i < (p + 1) * spatial; i++) sum += x.data[i]!;
    sum -= x.zeroPoint * spatial;
    const v = o.zeroPoint + multiplyByQuantizedMultiplierWide(sum, m, s);
    out[p] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
  return [outTensor(o, out)];
}

/** Reads every input vector once (accumulate) and writes every output vector once (requantize). */
function globalAvgPoolWork(inv: Invocation, target: Target): KernelWork {
  const x = inv.inputs[0]!;
  const lanes = target.vectorLanes[qdtypeOf(x)];
  const cpv = cyclesPerVector(target, inv.kernel, GLOBAL_AVGPOOL.defaultCyclesPerVector);
  const outVectors = x.shape[0]! * Math.ceil(x.shape[1]! / lanes);
  return {
    macs: 0,
    computeCycles: (laneVectors(x.shape, lanes) + outVectors) * cpv,
    inputBytes: inv.inputs.map(tensorBytes),
    outputBytes: inv.outputs.map(tensorBytes),
    paramBytes: paramBytesOf(inv),
  };
}

export const GLOBAL_AVGPOOL: KernelDef = {
  name: 'global_avgpool',
  ops: ['GlobalAveragePool', 'ReduceMean'],
  role: 'pool',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'mean over the spatial axes per channel',
  paramFields: [
    { name: 'multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of inScale/(outScale*H*W)' },
    { name: 'shift', dtype: 'int32', count: '1', doc: 'shift of multiplier' },
  ],
  bind: (c) => globalAvgPoolParams(numel(c.shape(0)!.slice(2)), c.inQ[0]!, c.outQ),
  run: runGlobalAvgPool,
  work: globalAvgPoolWork,
  defaultCyclesPerVector: 1,
};
