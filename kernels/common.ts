// Stage: kernel library support. Helpers every kernel file shares: shapes, code buffers, work/cost building blocks.
// Contract: pure functions; cost helpers implement the shared terms of docs/cost-model.md exactly once.

import { DspcError } from '../src/ir/errors.js';
import type { BindContext, ElemType, Invocation, KernelWork, ParamValues, QDType, QTensor, QuantParams, Target, TensorRef } from './types.js';

export const ELEM_BYTES: Readonly<Record<ElemType, number>> = { int8: 1, uint8: 1, int16: 2, int32: 4, float32: 4 };

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Program dtype of a tensor reference (int8 unless it says int16). */
export function qdtypeOf(t: TensorRef): QDType {
  return t.dtype === 'int16' ? 'int16' : 'int8';
}

export function qdtypeOfData(t: QTensor): QDType {
  return t.data instanceof Int16Array ? 'int16' : 'int8';
}

export function allocCodes(dtype: QDType, n: number): Int8Array | Int16Array {
  return dtype === 'int8' ? new Int8Array(n) : new Int16Array(n);
}

export function kernelError(inv: Invocation, problem: string): DspcError {
  return new DspcError('E_KERNEL', `kernel ${inv.kernel}: ${problem}`, { node: inv.node });
}

/** A required parameter field, typed; a missing field is a kernel error naming it. */
export function field<T extends ParamValues[string]>(inv: Invocation | string, params: ParamValues, name: string): T {
  const v = params[name];
  if (v === undefined) {
    const who = typeof inv === 'string' ? inv : `${inv.kernel} (node ${inv.node})`;
    throw new DspcError('E_KERNEL', `parameter table of ${who} lacks field '${name}'`);
  }
  return v as T;
}

/** First element of a scalar int32 field. */
export function scalar(who: Invocation | string, params: ParamValues, name: string): number {
  return field<Int32Array>(who, params, name)[0]!;
}

export function int32(...values: number[]): Int32Array {
  return Int32Array.from(values);
}

/** Value-preserving kernels move codes, so their output must share the input's quantization. */
export function requireSameQuant(inv: Invocation, a: { scale: number; zeroPoint: number }, b: TensorRef): void {
  if (a.scale !== b.scale || a.zeroPoint !== b.zeroPoint) {
    throw kernelError(inv, `output quantization (scale ${b.scale}, zero point ${b.zeroPoint}) must equal the input's (scale ${a.scale}, zero point ${a.zeroPoint}) for a value-preserving kernel`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// bind() building blocks: how kernels read an IR node's constants
// ---------------------------------------------------------------------------------------------------------------

/** Constant input i the kernel needs (weights, ...); a runtime value there cannot be lowered (E_KERNEL). */
export function constantInput(c: BindContext, i: number, what: string): { dims: readonly number[]; values: Float32Array } {
  return c.constant(i) ?? c.fail(`${what} (input ${i}) must be a constant for this kernel`);
}

/**
 * Optional bias-like constant at input i broadcast to `n` entries ([n], [1,n], [1] or scalar), times `scale`;
 * `what` names it in the error when it is computed at run time.
 */
export function channelVector(c: BindContext, i: number, n: number, scale: number, what: string): Float64Array | undefined {
  const t = c.constant(i);
  if (!t) {
    if (c.node.inputs[i]) c.fail(`${what} must be a constant`);
    return undefined;
  }
  const d = t.values;
  if (d.length !== 1 && d.length !== n) c.fail(`bias of shape [${t.dims.join(',')}] does not broadcast to ${n} output channels`);
  return Float64Array.from({ length: n }, (_, k) => scale * d[d.length === 1 ? 0 : k]!);
}

/** Quantization of both operands of a binary elementwise kernel, which takes two runtime tensors (no constant operand). */
export function runtimePair(c: BindContext): [QuantParams, QuantParams] {
  const op = c.node.op;
  if (c.inQ.length !== 2) c.fail(`${op} with a constant operand is not supported by the ${op.toLowerCase()} kernel (both operands must be runtime tensors)`);
  return [c.inQ[0]!, c.inQ[1]!];
}

export function outTensor(ref: TensorRef, data: Int8Array | Int16Array | Int32Array | Uint8Array): QTensor {
  return { data, shape: [...ref.shape], scale: ref.scale, zeroPoint: ref.zeroPoint };
}

// ---------------------------------------------------------------------------------------------------------------
// Work building blocks (docs/cost-model.md)
// ---------------------------------------------------------------------------------------------------------------

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/**
 * Lane vectors needed to cover a tensor when lanes run along the channel axis (axis 1 of NCHW, the last axis of
 * rank-1 tensors): numel / C * ceil(C / lanes). Channel counts are rounded up to the lane width.
 */
export function laneVectors(shape: readonly number[], lanes: number): number {
  if (shape.length === 0) return 1;
  const c = shape.length === 1 ? shape[0]! : shape[1]!;
  if (c === 0) return 0;
  return (numel(shape) / c) * ceilDiv(c, lanes);
}

/** Cycles per vector of a kernel on a target: the target's figure if it gives one, else the kernel's default. */
export function cyclesPerVector(target: Target, kernel: string, fallback: number): number {
  return target.kernels.find((k) => k.name === kernel)?.cyclesPerVector ?? fallback;
}

export function tensorBytes(t: TensorRef): number {
  return numel(t.shape) * ELEM_BYTES[t.dtype];
}

/** Bytes of every parameter field of the invocation and of its epilogue. */
export function paramBytesOf(inv: Invocation): number {
  let b = 0;
  for (const p of inv.params) b += p.bytes;
  for (const p of inv.epilogue?.params ?? []) b += p.bytes;
  return b;
}

/**
 * Epilogue term for kernels that write outputs through a requantizing output stage: the activation's cost over the
 * output vectors (the simulator takes max(outputStage, epilogue), never the sum). Validation guarantees the target
 * gives every activation kernel a cyclesPerVector.
 */
export function epilogueCycles(inv: Invocation, target: Target, outVectors: number): number | undefined {
  if (!inv.epilogue) return undefined;
  return outVectors * cyclesPerVector(target, inv.epilogue.kernel, 1);
}

/** Work of a kernel whose outputs leave through a requantizing output stage that may apply an epilogue activation. */
export function stagedWork(
  inv: Invocation, target: Target,
  w: { macs: number; computeCycles: number; outputStageCycles: number; outVectors: number },
): KernelWork {
  const work: KernelWork = {
    macs: w.macs,
    computeCycles: w.computeCycles,
    inputBytes: inv.inputs.map(tensorBytes),
    outputBytes: inv.outputs.map(tensorBytes),
    paramBytes: paramBytesOf(inv),
    outputStageCycles: w.outputStageCycles,
  };
  const epi = epilogueCycles(inv, target, w.outVectors);
  if (epi !== undefined) work.epilogueCycles = epi;
  return work;
}

/** Work of a kernel whose compute is `vectors * cyclesPerVector` over its first output (elementwise-style). */
export function streamWork(inv: Invocation, target: Target, cyclesPerVec: number, extra: Partial<KernelWork> = {}): KernelWork {
  const out = inv.outputs[0]!;
  const lanes = target.vectorLanes[qdtypeOf(out)];
  const vectors = inv.outputs.reduce((s, o) => s + laneVectors(o.shape, lanes), 0);
  return {
    macs: 0,
    computeCycles: vectors * cyclesPerVec,
    inputBytes: inv.inputs.map(tensorBytes),
    outputBytes: inv.outputs.map(tensorBytes),
    paramBytes: paramBytesOf(inv),
    ...extra,
  };
}

/** Channel index of flat element i of an NCHW-like tensor (axis 1; 0 for rank < 2). */
export function channelStride(shape: readonly number[]): { channels: number; inner: number } {
  if (shape.length < 2) return { channels: 1, inner: numel(shape) };
  return { channels: shape[1]!, inner: numel(shape.slice(2)) };
}
