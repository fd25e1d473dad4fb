// Stage: IR core. Typed constant / runtime tensors shared by the IR, interpreter, frontend and backend.
// Contract: a Tensor is immutable by convention: dims are static, data length equals the product of dims.

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  /** Row-major data; int64 is a BigInt64Array so exported models round-trip exactly; bool is Uint8Array. */
  readonly data: TensorData;
}

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides of a shape. */
/** Whether two shapes are equal, axis by axis. */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

export function allocData(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int16': return new Int16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
  }
}

export function makeTensor(dtype: DType, dims: readonly number[], data?: TensorData): Tensor {
  const n = numel(dims);
  const d = data ?? allocData(dtype, n);
  if (d.length !== n) throw new RangeError(`tensor data length ${d.length} does not match shape [${dims.join(',')}]`);
  return { dtype, dims: [...dims], data: d };
}

export function floatTensor(dims: readonly number[], values?: ArrayLike<number>): Tensor {
  const data = new Float32Array(numel(dims));
  if (values) data.set(values);
  return { dtype: 'float32', dims: [...dims], data };
}

/** Integer view of any tensor as plain numbers (for shapes, axes, indices). */
export function toNumbers(t: Tensor): number[] {
  const out = new Array<number>(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]);
  return out;
}

/** Float view of any numeric tensor (copies unless already float32). */
export function toFloat32(t: Tensor): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]);
  return out;
}

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}
