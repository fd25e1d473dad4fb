// Stage: kernel library support. The shared machinery of activation kernels: the piecewise-linear fixed-point core
// (Relu, LeakyRelu, PRelu, Clip), per-element runners and the activation work formula.
// Contract: one integer formula per table, used by run(), epilogues and the backend's exhaustive fusion verdict alike.

import { multiplyByQuantizedMultiplierSingleRounding as rescale, qRange, quantizeMultiplier, quantizeValue } from './fixedpoint.js';
import { allocCodes, channelStride, field, cyclesPerVector, int32, laneVectors, outTensor, paramBytesOf, qdtypeOf, tensorBytes } from './common.js';
import type { ActivationDef, BindContext, Invocation, KernelDef, KernelWork, ParamField, ParamValues, QTensor, QuantParams, Target } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Piecewise-linear normal form: y = clamp(out_zp + (d >= 0 ? M_pos(d) : M_neg[c](d)), out_min, out_max), d = x - in_zp
// where M(d) = d * multiplier * 2^(shift-31) rounded ONCE (single rounding: the nearest code to d * ratio, so a
// fused chain is never further from float than the unfused one), ratio = slope * inScale / outScale.
// ---------------------------------------------------------------------------------------------------------------

export const PW_FIELDS_HEAD: readonly ParamField[] = [
  { name: 'in_zp', dtype: 'int32', count: '1', doc: 'input zero point' },
  { name: 'out_zp', dtype: 'int32', count: '1', doc: 'output zero point' },
  { name: 'pos_multiplier', dtype: 'int32', count: '1', doc: 'Q31 multiplier of inScale/outScale (x >= in_zp)' },
  { name: 'pos_shift', dtype: 'int32', count: '1', doc: 'shift of pos_multiplier (positive = left)' },
];
export const PW_FIELDS_CLAMP: readonly ParamField[] = [
  { name: 'out_min', dtype: 'int32', count: '1', doc: 'lowest output code (quantized lower bound, at least qmin)' },
  { name: 'out_max', dtype: 'int32', count: '1', doc: 'highest output code (quantized upper bound, at most qmax)' },
];

/** Table of the normal form. `negSlopes` empty = Relu (negative side is 0). */
export function piecewiseParams(negSlopes: ArrayLike<number>, lo: number, hi: number, inQ: QuantParams, outQ: QuantParams): ParamValues {
  const ratio = inQ.scale / outQ.scale;
  const pos = quantizeMultiplier(ratio);
  const p: ParamValues = {
    in_zp: int32(inQ.zeroPoint),
    out_zp: int32(outQ.zeroPoint),
    pos_multiplier: int32(pos.multiplier),
    pos_shift: int32(pos.shift),
  };
  if (negSlopes.length > 0) {
    const nm = new Int32Array(negSlopes.length);
    const ns = new Int32Array(negSlopes.length);
    for (let c = 0; c < negSlopes.length; c++) {
      const slope = negSlopes[c]!;
      if (!Number.isFinite(slope)) throw new RangeError(`activation slope ${slope} is not finite`);
      const q = quantizeMultiplier(slope * ratio);
      nm[c] = q.multiplier;
      ns[c] = q.shift;
    }
    p['neg_multiplier'] = nm;
    p['neg_shift'] = ns;
  }
  const { qmin, qmax } = qRange(outQ.dtype);
  p['out_min'] = int32(Math.max(qmin, quantizeValue(lo, outQ.scale, outQ.zeroPoint, outQ.dtype)));
  p['out_max'] = int32(Math.min(qmax, quantizeValue(hi, outQ.scale, outQ.zeroPoint, outQ.dtype)));
  return p;
}

/** The normal form on one code (see module comment). Missing neg_* fields mean "0 on the negative side". */
export function piecewiseApply(code: number, channel: number, p: ParamValues): number {
  const d = code - p['in_zp']![0]!;
  let y: number;
  if (d >= 0) {
    y = rescale(d, p['pos_multiplier']![0]!, p['pos_shift']![0]!);
  } else {
    const nm = p['neg_multiplier'];
    if (nm === undefined) y = 0;
    else {
      const c = nm.length === 1 ? 0 : channel;
      y = rescale(d, nm[c]!, p['neg_shift']![c]!);
    }
  }
  y += p['out_zp']![0]!;
  const lo = p['out_min']![0]!;
  const hi = p['out_max']![0]!;
  // max with lo first, then min with hi: lo > hi gives hi everywhere, as min(max(x, lo), hi) does.
  const z = y < lo ? lo : y;
  return z > hi ? hi : z;
}

export const PIECEWISE: ActivationDef = {
  applyCode: piecewiseApply,
  channels: (p) => p['neg_multiplier']?.length ?? 1,
};

// ---------------------------------------------------------------------------------------------------------------
// Running an activation over a tensor, and its cost
// ---------------------------------------------------------------------------------------------------------------

/**
 * Per-channel code->code tables (int8: 256 entries per distinct channel) so the int8 inner loop is one load;
 * int16 calls applyCode per element.
 */
export function mapCodes(
  src: Int8Array | Int16Array | Int32Array | Uint8Array,
  shape: readonly number[],
  act: ActivationDef,
  params: ParamValues,
  out: Int8Array | Int16Array,
): void {
  const { channels, inner } = channelStride(shape);
  const distinct = act.channels(params);
  if (distinct > 1 && distinct !== channels) {
    throw new RangeError(`activation table has ${distinct} channels but the tensor has ${channels}`);
  }
  const planes = src.length / (channels * inner) || 0;
  if (src instanceof Int8Array) {
    const tables = new Int16Array(256 * distinct);
    for (let c = 0; c < distinct; c++) for (let x = -128; x < 128; x++) tables[c * 256 + x + 128] = act.applyCode(x, c, params);
    let i = 0;
    for (let n = 0; n < planes; n++) {
      for (let c = 0; c < channels; c++) {
        const t = (distinct === 1 ? 0 : c) * 256 + 128;
        for (let e = 0; e < inner; e++, i++) out[i] = tables[t + src[i]!]!;
      }
    }
    return;
  }
  let i = 0;
  for (let n = 0; n < planes; n++) {
    for (let c = 0; c < channels; c++) {
      const ch = distinct === 1 ? 0 : c;
      for (let e = 0; e < inner; e++, i++) out[i] = act.applyCode(src[i]!, ch, params);
    }
  }
}

/** run() of any activation kernel: elementwise over input 0. */
export function runActivation(inv: Invocation, inputs: QTensor[], params: ParamValues, act: ActivationDef): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  const out = allocCodes(qdtypeOf(o), x.data.length);
  mapCodes(x.data, x.shape, act, params, out);
  return [outTensor(o, out)];
}

/** Standalone activation: lane vectors of the output times the target's cycles per vector. */
export function activationWork(inv: Invocation, target: Target, defaultCpv: number): KernelWork {
  const o = inv.outputs[0]!;
  const vectors = laneVectors(o.shape, target.vectorLanes[qdtypeOf(o)]);
  return {
    macs: 0,
    computeCycles: vectors * cyclesPerVector(target, inv.kernel, defaultCpv),
    inputBytes: inv.inputs.map(tensorBytes),
    outputBytes: inv.outputs.map(tensorBytes),
    paramBytes: paramBytesOf(inv),
  };
}

/** Assemble an activation KernelDef from its parts (every activation kernel file calls this once). */
export function activationKernel(spec: {
  name: string;
  ops: readonly string[];
  summary: string;
  paramFields: readonly ParamField[];
  activation: ActivationDef;
  bind: (c: BindContext) => ParamValues;
  defaultCyclesPerVector: number;
}): KernelDef {
  return {
    ...spec,
    role: 'activation',
    inputs: { min: 1, max: 1 },
    outputs: { min: 1, max: 1 },
    run: (inv, inputs, params) => {
      for (const f of spec.paramFields) field(inv, params, f.name); // a missing field is named, not a TypeError
      return runActivation(inv, inputs, params, spec.activation);
    },
    work: (inv, target) => activationWork(inv, target, spec.defaultCyclesPerVector),
  };
}
