// Stage: frontend (ONNX). ONNX TensorProto <-> IR Tensor: raw_data, typed fields and external data; .pb file I/O.
// Contract: raw_data is copied at most once (a typed view when aligned); every malformed tensor is a DspcError naming file and tensor.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DspcError } from '../../ir/errors.js';
import { DTYPE_BYTES, allocData, type DType, type Tensor, type TensorData } from '../../ir/tensor.js';
import { HOST_LITTLE_ENDIAN, ONNX_DTYPE, dtypeFromOnnx, int64ToBigInt, int64ToNumber, onnx, onnxDtypeName } from './proto.js';
import type { OnnxTypes } from './proto.js';
import { DEFAULT_MAX_TENSOR_BYTES, MAX_TENSOR_ELEMENTS, formatBytes } from './limits.js';

/** Where a tensor came from, for error messages and external data. */
export interface TensorSite {
  file: string;
  /** Directory external data paths are relative to (undefined: external data is refused). */
  baseDir?: string;
  /** Node whose attribute holds the tensor, if any. */
  node?: string;
  /** Running byte budget for external data (shared across one model). */
  budget?: { remaining: number };
  /** Largest tensor accepted, checked from the declared shape before any data is read (default 1 GiB). */
  maxTensorBytes?: number;
}

/** Validated static dims of a TensorProto (non-negative, element count within limits). */
export function tensorDims(tp: OnnxTypes.ITensorProto, what: string, site: TensorSite): number[] {
  const dims = (tp.dims ?? []).map((d) => int64ToNumber(d));
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new DspcError('E_ATTR', `${what} has invalid dimension ${d} in shape [${dims.join(',')}]`, site);
    }
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS) {
    throw new DspcError('E_LIMIT', `${what} has ${n} elements (shape [${dims.join(',')}]), more than the limit of 2^31-1`, site);
  }
  return dims;
}

/** Decode one TensorProto message (already parsed) into an IR tensor. */
export function tensorFromProto(tp: OnnxTypes.ITensorProto, site: TensorSite): Tensor {
  const name = tp.name ?? '';
  const what = `tensor '${name}'`;
  const onnxType = tp.dataType ?? 0;
  const dtype = dtypeFromOnnx(onnxType);
  if (!dtype) throw new DspcError('E_UNSUPPORTED', `${what} has element type ${onnxDtypeName(onnxType)}, which dspc does not support`, site);
  const dims = tensorDims(tp, what, site);
  let n = 1;
  for (const d of dims) n *= d;
  const max = site.maxTensorBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  if (n * DTYPE_BYTES[dtype] > max) {
    throw new DspcError('E_LIMIT', `${what} [${dims.join(',')}] needs ${n * DTYPE_BYTES[dtype]} bytes, more than the tensor limit of ${formatBytes(max)}`, site);
  }
  if (tp.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const bytes = readExternal(tp, what, n * DTYPE_BYTES[dtype], site);
    return { dtype, dims, data: fromRaw(bytes, dtype, n, what, site) };
  }
  if (tp.rawData && tp.rawData.length > 0) return { dtype, dims, data: fromRaw(tp.rawData, dtype, n, what, site) };
  return { dtype, dims, data: fromTyped(tp, dtype, n, what, site) };
}

/** raw_data (little-endian) to typed data: a view when aligned on a little-endian host, else exactly one copy. */
function fromRaw(raw: Uint8Array, dtype: DType, n: number, what: string, site: TensorSite): TensorData {
  const size = DTYPE_BYTES[dtype];
  if (raw.length !== n * size) {
    throw new DspcError('E_FILE', `${what}: raw_data has ${raw.length} bytes but shape and ${dtype} need ${n * size}`, site);
  }
  if (size === 1) {
    const view = dtype === 'int8' ? new Int8Array(raw.buffer, raw.byteOffset, n) : new Uint8Array(raw.buffer, raw.byteOffset, n);
    return dtype === 'bool' ? view.map((v) => (v !== 0 ? 1 : 0)) : view;
  }
  if (HOST_LITTLE_ENDIAN && raw.byteOffset % size === 0) return typedView(dtype, raw.buffer, raw.byteOffset, n);
  const out = allocData(dtype, n);
  new Uint8Array(out.buffer).set(raw);
  if (!HOST_LITTLE_ENDIAN) swapBytes(new Uint8Array(out.buffer), size);
  return out;
}

function typedView(dtype: DType, buf: ArrayBufferLike, off: number, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(buf, off, n);
    case 'float64': return new Float64Array(buf, off, n);
    case 'int64': return new BigInt64Array(buf, off, n);
    case 'int32': return new Int32Array(buf, off, n);
    case 'int16': return new Int16Array(buf, off, n);
    case 'int8': return new Int8Array(buf, off, n);
    case 'uint8': case 'bool': return new Uint8Array(buf, off, n);
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  for (let i = 0; i < b.length; i += size) b.subarray(i, i + size).reverse();
}

/** Typed repeated fields: float_data, int32_data (also int16/int8/uint8/bool), int64_data, double_data. */
function fromTyped(tp: OnnxTypes.ITensorProto, dtype: DType, n: number, what: string, site: TensorSite): TensorData {
  const src = typedSource(tp, dtype);
  if (src.values.length !== n) {
    throw new DspcError('E_FILE', `${what}: ${src.field} has ${src.values.length} values but shape [${(tp.dims ?? []).join(',')}] needs ${n}`, site);
  }
  const out = allocData(dtype, n);
  if (out instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) out[i] = int64ToBigInt(src.values[i]!);
  } else {
    for (let i = 0; i < n; i++) out[i] = dtype === 'bool' ? (int64ToNumber(src.values[i]) !== 0 ? 1 : 0) : int64ToNumber(src.values[i]);
  }
  return out;
}

function typedSource(tp: OnnxTypes.ITensorProto, dtype: DType): { field: string; values: ReadonlyArray<number | import('./proto.js').LongLike> } {
  switch (dtype) {
    case 'float32': return { field: 'float_data', values: tp.floatData ?? [] };
    case 'float64': return { field: 'double_data', values: tp.doubleData ?? [] };
    case 'int64': return { field: 'int64_data', values: (tp.int64Data ?? []) as ReadonlyArray<number | import('./proto.js').LongLike> };
    default: return { field: 'int32_data', values: tp.int32Data ?? [] };
  }
}

/** External data: location/offset/length relative to the model's directory; paths escaping it are refused. */
function readExternal(tp: OnnxTypes.ITensorProto, what: string, need: number, site: TensorSite): Uint8Array {
  const kv = new Map((tp.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new DspcError('E_FILE', `${what}: external data without a 'location'`, site);
  const offsetText = kv.get('offset') ?? '0';
  const lengthText = kv.get('length') ?? String(need);
  const offset = /^\d+$/.test(offsetText) ? Number(offsetText) : NaN;
  const length = /^\d+$/.test(lengthText) ? Number(lengthText) : NaN;
  if (!Number.isSafeInteger(offset)) throw new DspcError('E_FILE', `${what}: external data has invalid offset '${offsetText}'`, site);
  if (!Number.isSafeInteger(length)) throw new DspcError('E_FILE', `${what}: external data has invalid length '${lengthText}'`, site);
  if (length !== need) throw new DspcError('E_FILE', `${what}: external data length ${length} but shape needs ${need} bytes`, site);
  if (site.baseDir === undefined) {
    throw new DspcError('E_FILE', `${what}: external data '${location}' cannot be resolved: the model was given as bytes without a base directory`, site);
  }
  const base = path.resolve(site.baseDir);
  const full = path.resolve(base, location);
  if (path.isAbsolute(location) || (full !== base && !full.startsWith(base + path.sep))) {
    throw new DspcError('E_FILE', `${what}: external data path '${location}' escapes the model directory`, site);
  }
  if (site.budget) {
    if (length > site.budget.remaining) throw new DspcError('E_LIMIT', `${what}: external data exceeds the model size limit`, site);
    site.budget.remaining -= length;
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO or device named as external data must not block the import forever.
    fd = fs.openSync(full, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    throw new DspcError('E_FILE', `${what}: external data file '${location}' not found next to the model (looked for ${full})`, site);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new DspcError('E_FILE', `${what}: external data '${location}' is not a regular file`, site);
    const size = st.size;
    if (offset + length > size) {
      throw new DspcError('E_FILE', `${what}: external data file '${location}' has ${size} bytes, needs ${offset + length}`, site);
    }
    const out = new Uint8Array(length);
    let got = 0;
    try {
      while (got < length) {
        const k = fs.readSync(fd, out, got, length - got, offset + got);
        if (k <= 0) break;
        got += k;
      }
    } catch (e) {
      throw new DspcError('E_FILE', `${what}: cannot read external data file '${location}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, site);
    }
    if (got !== length) throw new DspcError('E_FILE', `${what}: short read from external data file '${location}'`, site);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Build the TensorProto message of a tensor (raw_data, little-endian). */
export function tensorToProto(name: string, t: Tensor): OnnxTypes.TensorProto {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  let bytes = raw;
  if (!HOST_LITTLE_ENDIAN && DTYPE_BYTES[t.dtype] > 1) {
    bytes = raw.slice();
    swapBytes(bytes, DTYPE_BYTES[t.dtype]);
  }
  return onnx.TensorProto.create({ name, dims: [...t.dims], dataType: ONNX_DTYPE[t.dtype], rawData: bytes });
}

/** Decode a serialized TensorProto (.pb). */
export function decodeTensorProto(bytes: Uint8Array, file: string): { name: string; tensor: Tensor } {
  if (bytes.length === 0) throw new DspcError('E_FILE', 'empty file (expected a serialized ONNX TensorProto)', { file });
  let tp: OnnxTypes.TensorProto;
  try {
    tp = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new DspcError('E_PARSE', `not a valid ONNX TensorProto (${(e as Error).message})`, { file });
  }
  if (!tp.dataType) throw new DspcError('E_PARSE', 'not an ONNX TensorProto (no data_type)', { file });
  return { name: tp.name ?? '', tensor: tensorFromProto(tp, { file, baseDir: path.dirname(file) }) };
}

export function encodeTensorProto(name: string, t: Tensor): Uint8Array {
  return onnx.TensorProto.encode(tensorToProto(name, t)).finish();
}

export function readTensorPb(file: string): { name: string; tensor: Tensor } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new DspcError('E_FILE', `cannot read tensor file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  return decodeTensorProto(bytes, file);
}

/** Write atomically: a temporary file in the same directory renamed into place, so no half-written .pb remains. */
export function writeTensorPb(file: string, name: string, t: Tensor): void {
  const bytes = encodeTensorProto(name, t);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* already gone */ }
    throw new DspcError('E_IO', `cannot write tensor file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}
