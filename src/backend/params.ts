// Stage: backend emission. Serialises the fixed-point parameter tables of a schedule into params.bin.
// Contract: layout exactly as kernels/artifacts.ts and docs/formats.md; deterministic bytes for equal input; parseParamsBin reads it back equal.

import {
  DTYPE_CODES, ELEM_BYTES, KIND_CODES, PARAMS_ALIGN, PARAMS_CRC_BYTES, PARAMS_HEADER_BYTES, PARAMS_MAGIC,
  PARAMS_RECORD_BYTES, PARAMS_VERSION, QDTYPE_CODES, crc32,
} from '../../kernels/artifacts.js';
import type { ParamArray, ParamRecord } from '../../kernels/artifacts.js';
import type { ElemType, ParamRef, QDType } from '../../kernels/types.js';
import { DspcError } from '../ir/errors.js';

/** One table to store: a field of one invocation's kernel (or of its epilogue activation); the record minus its placement. */
export type ParamTable = Pick<ParamRecord, 'kind' | 'kernel' | 'field' | 'node' | 'invocation' | 'dtype' | 'data'>;

export interface ParamsImage {
  bytes: Uint8Array;
  /** One reference per input table, same order. */
  refs: ParamRef[];
  crc32: number;
}

const align = (n: number): number => Math.ceil(n / PARAMS_ALIGN) * PARAMS_ALIGN;

/** Interns strings into a NUL-terminated UTF-8 table; offset 0 is the empty string. */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  add(s: string): number {
    const known = this.offsets.get(s);
    if (known !== undefined) return known;
    const enc = new TextEncoder().encode(s);
    if (enc.includes(0)) throw new DspcError('E_ARTIFACT', `name ${JSON.stringify(s)} contains a NUL byte and cannot be stored in params.bin`);
    const off = this.size;
    this.chunks.push(enc, new Uint8Array(1));
    this.size += enc.length + 1;
    this.offsets.set(s, off);
    return off;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

function checkArray(t: ParamTable): void {
  const ok: Record<ElemType, (a: ParamArray) => boolean> = {
    int8: (a) => a instanceof Int8Array, uint8: (a) => a instanceof Uint8Array, int16: (a) => a instanceof Int16Array,
    int32: (a) => a instanceof Int32Array, float32: (a) => a instanceof Float32Array,
  };
  if (!ok[t.dtype](t.data)) {
    throw new DspcError('E_ARTIFACT', `parameter field '${t.field}' of ${t.kernel} is declared ${t.dtype} but holds a ${t.data.constructor.name}`, { node: t.node });
  }
}

/** Lay out and serialise params.bin: header | record table | string table | aligned records | CRC32. */
export function encodeParamsBin(targetId: string, modelId: string, dtype: QDType, tables: readonly ParamTable[]): ParamsImage {
  const strings = new StringTable();
  const targetStr = strings.add(targetId);
  const modelStr = strings.add(modelId);
  const names = tables.map((t) => {
    checkArray(t);
    return { kernel: strings.add(t.kernel), field: strings.add(t.field), node: strings.add(t.node) };
  });
  const strBytes = strings.bytes();
  const tableOffset = PARAMS_HEADER_BYTES;
  const stringsOffset = align(tableOffset + tables.length * PARAMS_RECORD_BYTES);
  const dataOffset = align(stringsOffset + strBytes.length);
  let cursor = dataOffset;
  const offsets = tables.map((t) => {
    const off = cursor;
    cursor = align(cursor + t.data.length * ELEM_BYTES[t.dtype]);
    return off;
  });
  const dataBytes = cursor - dataOffset;
  const fileBytes = cursor + PARAMS_CRC_BYTES;
  if (fileBytes > 0xffffffff) throw new DspcError('E_LIMIT', `parameter tables need ${fileBytes} bytes, more than params.bin's 4 GiB offsets allow`);

  const out = new Uint8Array(fileBytes);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(PARAMS_MAGIC), 0);
  const header: [number, number, 16 | 32 | 8][] = [
    [4, PARAMS_VERSION, 16], [6, PARAMS_HEADER_BYTES, 16], [8, fileBytes, 32], [12, tables.length, 32],
    [16, tableOffset, 32], [20, PARAMS_RECORD_BYTES, 32], [24, stringsOffset, 32], [28, strBytes.length, 32],
    [32, dataOffset, 32], [36, dataBytes, 32], [40, PARAMS_ALIGN, 32], [44, targetStr, 32], [48, modelStr, 32],
    [52, QDTYPE_CODES[dtype], 8],
  ];
  for (const [off, v, bits] of header) put(dv, off, v, bits);
  const refs: ParamRef[] = tables.map((t, i) => {
    const e = tableOffset + i * PARAMS_RECORD_BYTES;
    const bytes = t.data.length * ELEM_BYTES[t.dtype];
    const n = names[i]!;
    const entry: [number, number, 16 | 32 | 8][] = [
      [0, n.kernel, 32], [4, n.field, 32], [8, n.node, 32], [12, t.invocation, 32], [16, DTYPE_CODES[t.dtype], 8],
      [17, KIND_CODES[t.kind], 8], [18, 0, 16], [20, t.data.length, 32], [24, offsets[i]!, 32], [28, bytes, 32],
    ];
    for (const [off, v, bits] of entry) put(dv, e + off, v, bits);
    writeArray(dv, offsets[i]!, t.data);
    return { name: t.field, record: i, offset: offsets[i]!, bytes, dtype: t.dtype, count: t.data.length };
  });
  out.set(strBytes, stringsOffset);
  const crc = crc32(out.subarray(0, fileBytes - PARAMS_CRC_BYTES));
  dv.setUint32(fileBytes - PARAMS_CRC_BYTES, crc, true);
  return { bytes: out, refs, crc32: crc };
}

function put(dv: DataView, off: number, v: number, bits: 8 | 16 | 32): void {
  if (bits === 8) dv.setUint8(off, v);
  else if (bits === 16) dv.setUint16(off, v, true);
  else dv.setUint32(off, v, true);
}

/** Little-endian element writes, independent of host byte order. */
function writeArray(dv: DataView, off: number, a: ParamArray): void {
  if (a instanceof Int8Array || a instanceof Uint8Array) {
    new Uint8Array(dv.buffer, off, a.length).set(new Uint8Array(a.buffer, a.byteOffset, a.length));
  } else if (a instanceof Int16Array) {
    for (let i = 0; i < a.length; i++) dv.setInt16(off + 2 * i, a[i]!, true);
  } else if (a instanceof Int32Array) {
    for (let i = 0; i < a.length; i++) dv.setInt32(off + 4 * i, a[i]!, true);
  } else {
    for (let i = 0; i < a.length; i++) dv.setFloat32(off + 4 * i, a[i]!, true);
  }
}
