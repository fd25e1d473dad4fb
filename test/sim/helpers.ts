// Test helper: simulator. Small builders of invocations/buffers for cost-formula tests, and artifact directories for functional tests.
// Contract: builders produce schedule-shaped data exactly as the backend would (param sizes from the kernels' layouts); nothing here is simulated.

import type { BufferDecl, ElemType, Invocation, ParamRef, QDType, TensorRef } from '../../kernels/types.js';
import { ELEM_BYTES } from '../../kernels/artifacts.js';

let record = 0;

/** One parameter field reference of `count` elements (offsets are irrelevant to the cost model). */
export function pref(name: string, dtype: ElemType, count: number): ParamRef {
  return { name, record: record++, offset: 0, bytes: count * ELEM_BYTES[dtype], dtype, count };
}

export function tref(buffer: number, shape: number[], dtype: QDType = 'int8'): TensorRef {
  return { buffer, shape, dtype, scale: 0.05, zeroPoint: 0 };
}

/** Output-stage fields of conv/fc: bias, multiplier, shift per channel, out_min/out_max. */
function outputStage(cOut: number): ParamRef[] {
  return [pref('bias', 'int32', cOut), pref('multiplier', 'int32', cOut), pref('shift', 'int32', cOut), pref('out_min', 'int32', 1), pref('out_max', 'int32', 1)];
}

/** Parameter fields of a piecewise activation table (relu: 6 scalars; leaky_relu/clip: 8; prelu: 6 + 2*C). */
export function activationParams(kernel: string, channels = 1): ParamRef[] {
  const head = [pref('in_zp', 'int32', 1), pref('out_zp', 'int32', 1), pref('pos_multiplier', 'int32', 1), pref('pos_shift', 'int32', 1)];
  const clamp = [pref('out_min', 'int32', 1), pref('out_max', 'int32', 1)];
  if (kernel === 'relu') return [...head, ...clamp];
  const n = kernel === 'prelu' ? channels : 1;
  return [...head, pref('neg_multiplier', 'int32', n), pref('neg_shift', 'int32', n), ...clamp];
}

export interface ConvSpec {
  n?: number;
  c: number;
  oc: number;
  h: number;
  w: number;
  k: number;
  pad?: number;
  stride?: number;
  group?: number;
  dtype?: QDType;
  /** Activation kernel folded into the epilogue. */
  epilogue?: string;
}

/** A conv2d invocation reading buffer 0 and writing buffer 1. */
export function convInvocation(s: ConvSpec): Invocation {
  const pad = s.pad ?? 0;
  const stride = s.stride ?? 1;
  const group = s.group ?? 1;
  const n = s.n ?? 1;
  const oh = Math.floor((s.h + 2 * pad - s.k) / stride) + 1;
  const ow = Math.floor((s.w + 2 * pad - s.k) / stride) + 1;
  const inv: Invocation = {
    index: 0, kernel: 'conv2d', node: 'conv', origin: ['conv'],
    inputs: [tref(0, [n, s.c, s.h, s.w], s.dtype)], outputs: [tref(1, [n, s.oc, oh, ow], s.dtype)],
    attrs: { kernel_shape: [s.k, s.k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [1, 1], group },
    params: [pref('weights', 'int8', s.oc * (s.c / group) * s.k * s.k), ...outputStage(s.oc)],
  };
  if (s.epilogue) inv.epilogue = { kernel: s.epilogue, node: 'act', attrs: {}, params: activationParams(s.epilogue, s.oc) };
  return inv;
}

/** A standalone activation invocation over `shape`, buffer 0 -> buffer 1. */
export function activationInvocation(kernel: string, shape: number[], dtype: QDType = 'int8'): Invocation {
  return {
    index: 0, kernel, node: kernel, origin: [kernel], inputs: [tref(0, shape, dtype)], outputs: [tref(1, shape, dtype)],
    attrs: {}, params: activationParams(kernel, shape[1] ?? 1),
  };
}

/** Buffers 0..count-1, each large enough (cost does not read sizes), all in one memory level. */
export function buffers(memory: string, count = 2): BufferDecl[] {
  return Array.from({ length: count }, (_, id) => ({ id, name: `b${id}`, bytes: 1 << 20, memory, offset: 0 }));
}

/** Renumber invocations as a schedule (index = position) and chain buffers: invocation i reads i, writes i+1. */
export function chain(invs: Invocation[]): Invocation[] {
  return invs.map((inv, i) => ({
    ...inv, index: i,
    inputs: inv.inputs.map((t) => ({ ...t, buffer: i })),
    outputs: inv.outputs.map((t) => ({ ...t, buffer: i + 1 })),
  }));
}
