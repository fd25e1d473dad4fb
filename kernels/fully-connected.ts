// Stage: kernel library. fully_connected kernel (Gemm, MatMul with constant weights): y[n, o] = sum_k W[o, k] x[n, k] + b[o]
// with int8 per-output-channel weights, int32 bias, TFLite requantization, output clamp and optional epilogue.
// Contract: the backend lays weights out as [C_out, K] (transB resolved, alpha/beta folded); input is [N, K...] flattened.

import { epilogueFn, preActivationZeroPoint } from './activations.js';
import { allocCodes, ceilDiv, channelVector, constantInput, cyclesPerVector, stagedWork, field, kernelError, laneVectors, numel, outTensor, qdtypeOf, scalar } from './common.js';
import { conv2dParams, int8OutputStage, type ConvWeightsInput } from './conv2d.js';
import { OUTPUT_STAGE_FIELDS, writeChannel, type OutputClamp } from './output-stage.js';
import type { BindContext, Invocation, KernelDef, KernelWork, ParamValues, QTensor, QuantParams, Target } from './types.js';
import { fullyConnectedInt8Wasm } from './wasm/conv-int8.js';

/** Same table as conv2d with weights [C_out, K]. */
export function fullyConnectedParams(w: ConvWeightsInput, inQ: QuantParams, outQ: QuantParams, clamp: OutputClamp = {}): ParamValues {
  return conv2dParams(w, inQ, outQ, clamp);
}

/** d times alpha, as doubles (a plain loop: Float64Array.from with a map function costs ~1 s on a 1.3M-entry matrix). */
function scaled(d: Float32Array, alpha: number): Float64Array {
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = alpha * d[i]!;
  return out;
}

/** [K, N] row-major -> [N, K], times alpha. */
function transposed(d: Float32Array, k: number, n: number, alpha: number): Float64Array {
  const out = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[j * k + i] = alpha * d[i * n + j]!;
  return out;
}

/** Gemm (transA = 0) and MatMul with a constant 2-D right operand: weights laid out [C_out, K], alpha/beta folded. */
function bindFullyConnected(c: BindContext): ParamValues {
  const w = constantInput(c, 1, 'weight matrix');
  if (w.dims.length !== 2) c.fail(`weight matrix of shape [${w.dims.join(',')}] is not 2-D`);
  const isGemm = c.node.op === 'Gemm';
  if (isGemm && c.num('transA') !== 0) c.fail('Gemm with transA = 1 has no fully_connected lowering');
  const transB = isGemm && c.num('transB') === 1;
  const alpha = isGemm ? c.num('alpha') : 1;
  const [r, k] = [w.dims[0]!, w.dims[1]!];
  const cOut = transB ? r : k;
  const weights = transB ? scaled(w.values, alpha) : transposed(w.values, r, k, alpha);
  const bias = isGemm ? channelVector(c, 2, cOut, c.num('beta'), 'Gemm bias C') : undefined;
  return fullyConnectedParams({ weights, cOut, ...(bias ? { bias } : {}) }, c.inQ[0]!, c.outQ);
}

function fcDims(inv: Invocation): { n: number; k: number; cOut: number } {
  const x = inv.inputs[0]!.shape;
  const o = inv.outputs[0]!.shape;
  const n = x[0] ?? 1;
  const k = numel(x) / n;
  const cOut = numel(o) / n;
  if (!Number.isInteger(k) || !Number.isInteger(cOut)) throw kernelError(inv, `shapes [${x.join(',')}] -> [${o.join(',')}] do not share a batch dimension`);
  return { n, k, cOut };
}

/** The kernel's run(): int8 through the WebAssembly SIMD module when its preconditions hold, else runFcScalar. */
function runFc(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues): QTensor[] {
  const o = inv.outputs[0]!;
  if (qdtypeOf(o) === 'int8' && inputs[0]!.data instanceof Int8Array) {
    const { n, k, cOut } = fcDims(inv);
    const wts = field<Int8Array>(inv, params, 'weights');
    if (wts.length === cOut * k && inputs[0]!.data.length === n * k) {
      const fast = fullyConnectedInt8Wasm(n, k, cOut, inputs[0]!, wts, int8OutputStage(inv, params, epilogueParams));
      if (fast) return [outTensor(o, fast)];
    }
  }
  return runFcScalar(inv, inputs, params, epilogueParams);
}

/** fully_connected in plain JS: the reference the wasm path is tested against. */
export function runFcScalar(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues): QTensor[] {
  const { n, k, cOut } = fcDims(inv);
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  const wts = field<Int8Array>(inv, params, 'weights');
  if (wts.length !== cOut * k) throw kernelError(inv, `weights hold ${wts.length} codes, expected ${cOut}x${k}`);
  const bias = field<Int32Array>(inv, params, 'bias');
  const mult = field<Int32Array>(inv, params, 'multiplier');
  const shift = field<Int32Array>(inv, params, 'shift');
  const lo = scalar(inv, params, 'out_min');
  const hi = scalar(inv, params, 'out_max');
  const zp = preActivationZeroPoint(inv, epilogueParams);
  const epi = epilogueFn(inv, epilogueParams);
  const out = allocCodes(qdtypeOf(o), n * cOut);
  const xz = new Int32Array(k);
  const acc = new Float64Array(1);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < k; i++) xz[i] = x.data[b * k + i]! - x.zeroPoint;
    for (let oc = 0; oc < cOut; oc++) {
      let s = 0;
      const wb = oc * k;
      for (let i = 0; i < k; i++) s += wts[wb + i]! * xz[i]!;
      acc[0] = s;
      writeChannel(acc, 1, out, b * cOut + oc, 1, bias[oc]!, mult[oc]!, shift[oc]!, zp, lo, hi, oc, epi);
    }
  }
  return [outTensor(o, out)];
}

/** Lanes across output channels (rounded up), MAC depth across K (rounded up), per batch row. */
export function fcMacCycles(n: number, k: number, cOut: number, target: Target, dtype: 'int8' | 'int16'): number {
  const lanes = target.vectorLanes[dtype];
  const depth = target.macsPerCycle[dtype] / lanes;
  return n * ceilDiv(cOut, lanes) * ceilDiv(k, depth);
}

function fcWork(inv: Invocation, target: Target): KernelWork {
  const { n, k, cOut } = fcDims(inv);
  const dtype = qdtypeOf(inv.inputs[0]!);
  const outVectors = laneVectors([n, cOut], target.vectorLanes[dtype]);
  const outputStageCycles = outVectors * cyclesPerVector(target, inv.kernel, FULLY_CONNECTED.defaultCyclesPerVector);
  return stagedWork(inv, target, {
    macs: n * k * cOut, computeCycles: fcMacCycles(n, k, cOut, target, dtype) + outputStageCycles, outputStageCycles, outVectors,
  });
}

export const FULLY_CONNECTED: KernelDef = {
  name: 'fully_connected',
  ops: ['Gemm', 'MatMul'],
  role: 'compute',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'matrix-vector product per batch row with per-channel requantization and optional activation epilogue',
  paramFields: [
    { name: 'weights', dtype: 'int8', count: 'C_out*K', doc: 'symmetric per-output-channel weight codes, [C_out, K]' },
    ...OUTPUT_STAGE_FIELDS,
  ],
  bind: bindFullyConnected,
  run: runFc,
  work: fcWork,
  defaultCyclesPerVector: 1,
};
