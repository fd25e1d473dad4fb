// Stage: frontend (ONNX). The generated ONNX protobuf classes (onnx-proto / protobufjs 6) and small helpers around them.
// Contract: the only place that loads onnx-proto; maps ONNX element types to IR dtypes and protobuf 64-bit values to JS.

import onnxProto from 'onnx-proto';
import type { DType } from '../../ir/tensor.js';

export const { onnx } = onnxProto;
// Re-exported type namespace so the rest of the front end can name the generated message types.
export type { onnx as OnnxTypes } from 'onnx-proto';

/** protobufjs decodes int64 fields as `Long` when the long package is present, else as number. */
export interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
}
export type Int64 = number | LongLike;

/** A 64-bit protobuf integer as a JS number (exact up to 2^53; INT64_MAX/MIN become +-9.22e18, fine for clamping). */
export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** A 64-bit protobuf integer as an exact bigint. */
export function int64ToBigInt(v: Int64): bigint {
  if (typeof v === 'number') return BigInt(v);
  const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? big : BigInt.asIntN(64, big);
}

/** ONNX TensorProto.DataType numbers (onnx.proto) for the dtypes the IR has. */
export const ONNX_DTYPE: Readonly<Record<DType, number>> = {
  float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, bool: 9, float64: 11,
};

const ONNX_DTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BFLOAT16',
};

const FROM_ONNX = new Map<number, DType>(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as DType]));

/** The IR dtype of an ONNX element type, or undefined when the IR has none (string, float16, ...). */
export function dtypeFromOnnx(t: number): DType | undefined {
  return FROM_ONNX.get(t);
}

export function onnxDtypeName(t: number): string {
  return ONNX_DTYPE_NAMES[t] ?? `type ${t}`;
}

/** Host endianness: typed-array views over little-endian protobuf bytes are only valid on LE hosts. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
