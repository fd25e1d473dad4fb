// Stage: kernel library support. The emitted-artifact format contract: schedule.json types and the params.bin layout.
// Contract: the backend writes exactly this, the simulator and `dspc inspect` read it back through these loaders; any inconsistency is E_ARTIFACT.

import { createRequire } from 'node:module';
import type { Parser as ParserClass } from 'binary-parser' with { 'resolution-mode': 'require' };
import CRC32 from 'crc-32';
import { DspcError } from '../src/ir/errors.js';
import { KERNELS } from './index.js';
import type { Arity, BufferDecl, ElemType, Invocation, KernelDef, QDType, TensorRef } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// params.bin constants (byte layout documented in docs/formats.md; change PARAMS_VERSION with any layout change)
// ---------------------------------------------------------------------------------------------------------------

export const PARAMS_MAGIC = 'DSPC';
export const PARAMS_VERSION = 1;
/** Fixed header size in bytes. */
export const PARAMS_HEADER_BYTES = 64;
/** Size of one record-table entry in bytes. */
export const PARAMS_RECORD_BYTES = 32;
/** Every region and every record payload starts at a multiple of this (SIMD loads, DMA bursts). */
export const PARAMS_ALIGN = 16;
/** Trailing CRC32 (IEEE, as zlib) of every byte before it. */
export const PARAMS_CRC_BYTES = 4;

/** Element type codes stored in record entries. */
export const DTYPE_CODES: Readonly<Record<ElemType, number>> = { int8: 1, uint8: 2, int16: 3, int32: 4, float32: 5 };
export const ELEM_BYTES: Readonly<Record<ElemType, number>> = { int8: 1, uint8: 1, int16: 2, int32: 4, float32: 4 };
/** Program dtype codes stored in the header. */
export const QDTYPE_CODES: Readonly<Record<QDType, number>> = { int8: 1, int16: 2 };

/** Which table a record belongs to: the invocation's own kernel, or the activation folded into its epilogue. */
export type RecordKind = 'kernel' | 'epilogue';
export const KIND_CODES: Readonly<Record<RecordKind, number>> = { kernel: 0, epilogue: 1 };

export type ParamArray = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;

/** One record of params.bin, decoded. */
export interface ParamRecord {
  index: number;
  kind: RecordKind;
  kernel: string;
  /** Field name from the kernel's ParamField layout. */
  field: string;
  /** IR node the table belongs to (the epilogue's activation node for kind 'epilogue'). */
  node: string;
  /** Index of the schedule invocation using it. */
  invocation: number;
  dtype: ElemType;
  count: number;
  /** Absolute byte offset in the file (multiple of PARAMS_ALIGN). */
  offset: number;
  bytes: number;
  data: ParamArray;
}

export interface ParamsFile {
  version: number;
  targetId: string;
  modelId: string;
  dtype: QDType;
  fileBytes: number;
  crc32: number;
  records: ParamRecord[];
}

/** Header fields as stored (all little-endian). */
export interface ParamsHeader {
  magic: number[];
  version: number;
  headerBytes: number;
  fileBytes: number;
  recordCount: number;
  tableOffset: number;
  recordBytes: number;
  stringsOffset: number;
  stringsBytes: number;
  dataOffset: number;
  dataBytes: number;
  alignment: number;
  targetStr: number;
  modelStr: number;
  dtypeCode: number;
}

// ---------------------------------------------------------------------------------------------------------------
// schedule.json types
// ---------------------------------------------------------------------------------------------------------------

export const SCHEDULE_FORMAT = 'dspc-schedule';
export const SCHEDULE_VERSION = 1;

/** A graph input or output: where the host writes/reads it and how to (de)quantize it. */
export interface IOTensor extends TensorRef {
  name: string;
}

/** Use of one memory level by the activation buffers of the program. */
export interface MemoryUse {
  name: string;
  /** Capacity of the level in bytes. */
  size: number;
  /** Bytes of activation buffers placed there (sum of placed buffer extents). */
  used: number;
}

export interface Schedule {
  format: typeof SCHEDULE_FORMAT;
  version: number;
  /** Identity of the compiled model (the output-directory marker; see writeArtifacts). */
  modelId: string;
  /** Graph name. */
  model: string;
  /** Target name as loaded. */
  target: string;
  dtype: QDType;
  /** Whether activation-chain fusion ran (false for --no-fuse). */
  fused: boolean;
  params: { file: string; bytes: number; crc32: number; records: number };
  memories: MemoryUse[];
  buffers: BufferDecl[];
  inputs: IOTensor[];
  outputs: IOTensor[];
  invocations: Invocation[];
}

// ---------------------------------------------------------------------------------------------------------------
// CRC
// ---------------------------------------------------------------------------------------------------------------

/** CRC32 (IEEE 802.3 polynomial, zlib/PNG convention) as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array): number {
  return CRC32.buf(bytes) >>> 0;
}

// ---------------------------------------------------------------------------------------------------------------
// params.bin loader (binary-parser)
// ---------------------------------------------------------------------------------------------------------------

// binary-parser's ESM entry ships no type declarations; its CommonJS entry does, so load that one.
const { Parser } = createRequire(import.meta.url)('binary-parser') as { Parser: typeof ParserClass };

const headerParser = new Parser()
  .endianness('little')
  .array('magic', { type: 'uint8', length: 4 })
  .uint16('version')
  .uint16('headerBytes')
  .uint32('fileBytes')
  .uint32('recordCount')
  .uint32('tableOffset')
  .uint32('recordBytes')
  .uint32('stringsOffset')
  .uint32('stringsBytes')
  .uint32('dataOffset')
  .uint32('dataBytes')
  .uint32('alignment')
  .uint32('targetStr')
  .uint32('modelStr')
  .uint8('dtypeCode');

interface RawRecord {
  kernelStr: number;
  fieldStr: number;
  nodeStr: number;
  invocation: number;
  dtypeCode: number;
  kindCode: number;
  reserved: number;
  count: number;
  offset: number;
  bytes: number;
}

const recordParser = new Parser()
  .endianness('little')
  .uint32('kernelStr')
  .uint32('fieldStr')
  .uint32('nodeStr')
  .uint32('invocation')
  .uint8('dtypeCode')
  .uint8('kindCode')
  .uint16('reserved')
  .uint32('count')
  .uint32('offset')
  .uint32('bytes');

const tableParser = new Parser().array('records', { type: recordParser, readUntil: 'eof' });

const crcParser = new Parser().endianness('little').uint32('crc');

function invert<K extends string>(codes: Readonly<Record<K, number>>): Map<number, K> {
  return new Map(Object.entries(codes).map(([k, v]) => [v as number, k as K]));
}
const DTYPE_BY_CODE = invert(DTYPE_CODES);
const QDTYPE_BY_CODE = invert(QDTYPE_CODES);
const KIND_BY_CODE = invert(KIND_CODES);

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(file: string, problem: string): never {
  throw new DspcError('E_ARTIFACT', problem, { file });
}

/**
 * Parse and validate params.bin. Checks size, magic, version, CRC, then every region and record offset/length
 * against the file size before reading anything from it, so a damaged file never causes an out-of-bounds read.
 */
export function parseParamsBin(bytes: Uint8Array, file: string): ParamsFile {
  const minBytes = PARAMS_HEADER_BYTES + PARAMS_CRC_BYTES;
  if (bytes.length < minBytes) fail(file, `params.bin is truncated: ${bytes.length} bytes, the header alone needs ${minBytes}`);
  const h = headerParser.parse(bytes.subarray(0, PARAMS_HEADER_BYTES)) as ParamsHeader;
  const magic = String.fromCharCode(...h.magic);
  if (magic !== PARAMS_MAGIC) fail(file, `not a dspc params.bin: magic is ${JSON.stringify(magic)}, expected "${PARAMS_MAGIC}"`);
  if (h.version !== PARAMS_VERSION) fail(file, `params.bin version ${h.version} is not supported (this build reads version ${PARAMS_VERSION})`);
  if (h.fileBytes !== bytes.length) fail(file, `params.bin is ${bytes.length} bytes but its header says ${h.fileBytes} (truncated or padded file)`);
  const stored = (crcParser.parse(bytes.subarray(bytes.length - PARAMS_CRC_BYTES)) as { crc: number }).crc;
  const actual = crc32(bytes.subarray(0, bytes.length - PARAMS_CRC_BYTES));
  if (stored !== actual) fail(file, `params.bin is corrupt: CRC32 mismatch (stored 0x${hex(stored)}, computed 0x${hex(actual)})`);
  checkHeader(h, file);
  const strings = bytes.subarray(h.stringsOffset, h.stringsOffset + h.stringsBytes);
  const str = (off: number, what: string): string => readString(strings, off, file, what);
  const dtype = QDTYPE_BY_CODE.get(h.dtypeCode) ?? fail(file, `unknown program dtype code ${h.dtypeCode}`);
  const table = bytes.subarray(h.tableOffset, h.tableOffset + h.recordCount * PARAMS_RECORD_BYTES);
  const raw = h.recordCount === 0 ? [] : (tableParser.parse(table) as { records: RawRecord[] }).records;
  if (raw.length !== h.recordCount) fail(file, `record table holds ${raw.length} entries, header says ${h.recordCount}`);
  const records = raw.map((r, i) => decodeRecord(bytes, h, r, i, str, file));
  return { version: h.version, targetId: str(h.targetStr, 'target id'), modelId: str(h.modelStr, 'model id'), dtype,
    fileBytes: h.fileBytes, crc32: stored, records };
}

function checkHeader(h: ParamsHeader, file: string): void {
  if (h.headerBytes !== PARAMS_HEADER_BYTES) fail(file, `header size ${h.headerBytes} is not ${PARAMS_HEADER_BYTES}`);
  if (h.recordBytes !== PARAMS_RECORD_BYTES) fail(file, `record entry size ${h.recordBytes} is not ${PARAMS_RECORD_BYTES}`);
  if (h.alignment !== PARAMS_ALIGN) fail(file, `alignment ${h.alignment} is not ${PARAMS_ALIGN}`);
  const end = h.fileBytes - PARAMS_CRC_BYTES;
  const regions: [string, number, number][] = [
    ['record table', h.tableOffset, h.recordCount * PARAMS_RECORD_BYTES],
    ['string table', h.stringsOffset, h.stringsBytes],
    ['data region', h.dataOffset, h.dataBytes],
  ];
  let prevEnd = PARAMS_HEADER_BYTES;
  for (const [name, off, len] of regions) {
    if (off % PARAMS_ALIGN !== 0) fail(file, `${name} offset ${off} is not ${PARAMS_ALIGN}-byte aligned`);
    if (off < prevEnd || off + len > end) fail(file, `${name} [${off}, ${off + len}) lies outside the file body [${prevEnd}, ${end})`);
    prevEnd = off + len;
  }
  if (h.dataOffset + h.dataBytes !== end) fail(file, `data region ends at ${h.dataOffset + h.dataBytes}, expected ${end} (before the CRC)`);
}

function decodeRecord(bytes: Uint8Array, h: ParamsHeader, r: RawRecord, i: number,
  str: (off: number, what: string) => string, file: string): ParamRecord {
  const where = `record ${i}`;
  const dtype = DTYPE_BY_CODE.get(r.dtypeCode) ?? fail(file, `${where}: unknown dtype code ${r.dtypeCode}`);
  const kind = KIND_BY_CODE.get(r.kindCode) ?? fail(file, `${where}: unknown kind code ${r.kindCode}`);
  if (r.bytes !== r.count * ELEM_BYTES[dtype]) fail(file, `${where}: ${r.bytes} bytes do not hold ${r.count} x ${dtype}`);
  if (r.offset % PARAMS_ALIGN !== 0) fail(file, `${where}: offset ${r.offset} is not ${PARAMS_ALIGN}-byte aligned`);
  if (r.offset < h.dataOffset || r.offset + r.bytes > h.dataOffset + h.dataBytes) {
    fail(file, `${where}: bytes [${r.offset}, ${r.offset + r.bytes}) lie outside the data region [${h.dataOffset}, ${h.dataOffset + h.dataBytes})`);
  }
  return {
    index: i, kind, dtype, count: r.count, offset: r.offset, bytes: r.bytes, invocation: r.invocation,
    kernel: str(r.kernelStr, `${where} kernel name`), field: str(r.fieldStr, `${where} field name`),
    node: str(r.nodeStr, `${where} node name`), data: typedCopy(bytes, r.offset, r.count, dtype),
  };
}

function readString(strings: Uint8Array, off: number, file: string, what: string): string {
  if (off >= strings.length) fail(file, `${what}: string offset ${off} is outside the string table (${strings.length} bytes)`);
  const end = strings.indexOf(0, off);
  if (end < 0) fail(file, `${what}: string at ${off} is not NUL-terminated inside the string table`);
  return new TextDecoder('utf-8', { fatal: false }).decode(strings.subarray(off, end));
}

/** Copy a little-endian array out of the file (a fresh, aligned buffer; callers may keep it). */
function typedCopy(bytes: Uint8Array, offset: number, count: number, dtype: ElemType): ParamArray {
  const n = count * ELEM_BYTES[dtype];
  if (HOST_LE) {
    // new Uint8Array(view) copies: Buffer.slice would return a view of Node's pooled memory, not a copy.
    const buf = new Uint8Array(bytes.subarray(offset, offset + n)).buffer;
    switch (dtype) {
      case 'int8': return new Int8Array(buf);
      case 'uint8': return new Uint8Array(buf);
      case 'int16': return new Int16Array(buf);
      case 'int32': return new Int32Array(buf);
      case 'float32': return new Float32Array(buf);
    }
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, n);
  switch (dtype) {
    case 'int8': return Int8Array.from({ length: count }, (_, i) => dv.getInt8(i));
    case 'uint8': return Uint8Array.from({ length: count }, (_, i) => dv.getUint8(i));
    case 'int16': return Int16Array.from({ length: count }, (_, i) => dv.getInt16(2 * i, true));
    case 'int32': return Int32Array.from({ length: count }, (_, i) => dv.getInt32(4 * i, true));
    case 'float32': return Float32Array.from({ length: count }, (_, i) => dv.getFloat32(4 * i, true));
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------------------------------
// schedule.json validation
// ---------------------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** Cursor that names the JSON path of whatever it rejects. */
class Check {
  constructor(readonly file: string) {}
  fail(path: string, problem: string): never {
    fail(this.file, `schedule.json ${path}: ${problem}`);
  }
  obj(v: unknown, path: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be an object');
    return v as Json;
  }
  arr(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'must be an array');
    return v;
  }
  str(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'must be a string');
    return v;
  }
  int(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `must be an integer in [${min}, ${max}]`);
    return v;
  }
  num(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'must be a finite number');
    return v;
  }
  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(path, `must be one of ${allowed.join(', ')}`);
    return v as T;
  }
}

const ELEM_TYPES = Object.keys(ELEM_BYTES) as ElemType[];

/** A JSON value as the message shows it; an absent key reads 'missing', not 'undefined'. */
function shown(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v);
}

/**
 * Validate a parsed schedule.json: format and version, every buffer index, every tensor fitting its buffer, every
 * buffer inside its memory level, every invocation against its library kernel (known name, input/output counts
 * within its arity, parameter names equal to its paramFields; epilogues name activation kernels), and every
 * parameter reference inside params.bin (and equal to the record it names
 * when the parsed params file is given). Returns the same object, typed.
 */
export function validateSchedule(json: unknown, file: string, params?: ParamsFile): Schedule {
  const c = new Check(file);
  const s = c.obj(json, '(root)');
  if (s.format !== SCHEDULE_FORMAT) c.fail('format', `is ${shown(s.format)}, expected "${SCHEDULE_FORMAT}"`);
  if (s.version !== SCHEDULE_VERSION) c.fail('version', `${shown(s.version)} is not supported (this build reads ${SCHEDULE_VERSION})`);
  for (const k of ['modelId', 'model', 'target']) c.str(s[k], k);
  c.oneOf(s.dtype, 'dtype', ['int8', 'int16'] as const);
  if (typeof s.fused !== 'boolean') c.fail('fused', 'must be a boolean');
  const p = c.obj(s.params, 'params');
  c.str(p.file, 'params.file');
  const pBytes = c.int(p.bytes, 'params.bytes');
  const pCrc = c.int(p.crc32, 'params.crc32', 0, 0xffffffff);
  const pRecords = c.int(p.records, 'params.records');
  if (params) {
    if (params.fileBytes !== pBytes || params.crc32 !== pCrc || params.records.length !== pRecords) {
      c.fail('params', `describes a params.bin of ${pBytes} bytes, CRC 0x${hex(pCrc)}, ${pRecords} records, but the file has ` +
        `${params.fileBytes} bytes, CRC 0x${hex(params.crc32)}, ${params.records.length} records (files from different compiles?)`);
    }
  }
  const memSize = new Map<string, number>();
  c.arr(s.memories, 'memories').forEach((m, i) => {
    const mo = c.obj(m, `memories[${i}]`);
    const size = c.int(mo.size, `memories[${i}].size`);
    c.int(mo.used, `memories[${i}].used`, 0, size);
    memSize.set(c.str(mo.name, `memories[${i}].name`), size);
  });
  const bufBytes = checkBuffers(c, s.buffers, memSize);
  const ctx: RefCtx = { c, bufBytes, pBytes, pRecords, params };
  for (const k of ['inputs', 'outputs']) {
    c.arr(s[k], k).forEach((t, i) => {
      c.str(c.obj(t, `${k}[${i}]`).name, `${k}[${i}].name`);
      checkTensorRef(ctx, t, `${k}[${i}]`);
    });
  }
  c.arr(s.invocations, 'invocations').forEach((inv, i) => checkInvocation(ctx, inv, i));
  return json as Schedule;
}

interface RefCtx {
  c: Check;
  bufBytes: number[];
  pBytes: number;
  pRecords: number;
  params: ParamsFile | undefined;
}

function checkBuffers(c: Check, v: unknown, memSize: Map<string, number>): number[] {
  return c.arr(v, 'buffers').map((b, i) => {
    const path = `buffers[${i}]`;
    const bo = c.obj(b, path);
    if (bo.id !== i) c.fail(`${path}.id`, `is ${shown(bo.id)}, expected ${i} (ids are positions)`);
    c.str(bo.name, `${path}.name`);
    const bytes = c.int(bo.bytes, `${path}.bytes`, 1);
    const mem = c.str(bo.memory, `${path}.memory`);
    const size = memSize.get(mem) ?? c.fail(`${path}.memory`, `names unknown memory level '${mem}'`);
    const off = c.int(bo.offset, `${path}.offset`);
    if (off + bytes > size) c.fail(path, `[${off}, ${off + bytes}) exceeds memory '${mem}' of ${size} bytes`);
    return bytes;
  });
}

function checkTensorRef(ctx: RefCtx, v: unknown, path: string): void {
  const { c } = ctx;
  const t = c.obj(v, path);
  const buf = c.int(t.buffer, `${path}.buffer`, 0, ctx.bufBytes.length - 1);
  const shape = c.arr(t.shape, `${path}.shape`).map((d, i) => c.int(d, `${path}.shape[${i}]`, 1));
  const dtype = c.oneOf(t.dtype, `${path}.dtype`, ELEM_TYPES);
  if (!(c.num(t.scale, `${path}.scale`) > 0)) c.fail(`${path}.scale`, 'must be positive');
  c.int(t.zeroPoint, `${path}.zeroPoint`, -(2 ** 31), 2 ** 31 - 1);
  const bytes = shape.reduce((a, b) => a * b, 1) * ELEM_BYTES[dtype];
  if (bytes > ctx.bufBytes[buf]!) c.fail(path, `needs ${bytes} bytes but buffer ${buf} holds ${ctx.bufBytes[buf]}`);
}

function checkParamRef(ctx: RefCtx, v: unknown, path: string, invocation: number, kind: RecordKind): void {
  const { c } = ctx;
  const r = c.obj(v, path);
  c.str(r.name, `${path}.name`);
  const rec = c.int(r.record, `${path}.record`, 0, ctx.pRecords - 1);
  const off = c.int(r.offset, `${path}.offset`);
  const bytes = c.int(r.bytes, `${path}.bytes`);
  const dtype = c.oneOf(r.dtype, `${path}.dtype`, ELEM_TYPES);
  const count = c.int(r.count, `${path}.count`);
  if (off + bytes > ctx.pBytes) c.fail(path, `bytes [${off}, ${off + bytes}) lie outside params.bin (${ctx.pBytes} bytes)`);
  if (bytes !== count * ELEM_BYTES[dtype]) c.fail(path, `${bytes} bytes do not hold ${count} x ${dtype}`);
  const pr = ctx.params?.records[rec];
  if (pr && (pr.offset !== off || pr.bytes !== bytes || pr.dtype !== dtype || pr.count !== count ||
      pr.field !== r.name || pr.invocation !== invocation || pr.kind !== kind)) {
    c.fail(path, `does not match params.bin record ${rec} (${pr.kind} ${pr.field} of invocation ${pr.invocation}, ` +
      `${pr.count} x ${pr.dtype} at ${pr.offset})`);
  }
}

function checkInvocation(ctx: RefCtx, v: unknown, i: number): void {
  const { c } = ctx;
  const path = `invocations[${i}]`;
  const inv = c.obj(v, path);
  if (inv.index !== i) c.fail(`${path}.index`, `is ${shown(inv.index)}, expected ${i}`);
  const kernel = kernelNamed(c, c.str(inv.kernel, `${path}.kernel`), `${path}.kernel`);
  c.str(inv.node, `${path}.node`);
  c.arr(inv.origin, `${path}.origin`).forEach((o, k) => c.str(o, `${path}.origin[${k}]`));
  for (const k of ['inputs', 'outputs'] as const) {
    const refs = c.arr(inv[k], `${path}.${k}`);
    checkArity(c, kernel, k, refs.length, `${path}.${k}`);
    refs.forEach((t, j) => checkTensorRef(ctx, t, `${path}.${k}[${j}]`));
  }
  c.obj(inv.attrs, `${path}.attrs`);
  const params = c.arr(inv.params, `${path}.params`);
  params.forEach((r, k) => checkParamRef(ctx, r, `${path}.params[${k}]`, i, 'kernel'));
  checkFieldNames(c, kernel, params, `${path}.params`);
  if (inv.epilogue !== undefined) {
    const e = c.obj(inv.epilogue, `${path}.epilogue`);
    const act = kernelNamed(c, c.str(e.kernel, `${path}.epilogue.kernel`), `${path}.epilogue.kernel`);
    if (act.role !== 'activation') c.fail(`${path}.epilogue.kernel`, `'${act.name}' is not an activation kernel (role ${act.role})`);
    c.str(e.node, `${path}.epilogue.node`);
    c.obj(e.attrs, `${path}.epilogue.attrs`);
    const ep = c.arr(e.params, `${path}.epilogue.params`);
    ep.forEach((r, k) => checkParamRef(ctx, r, `${path}.epilogue.params[${k}]`, i, 'epilogue'));
    checkFieldNames(c, act, ep, `${path}.epilogue.params`);
  }
}

/** The library kernel of that name; a schedule naming any other cannot be run. */
function kernelNamed(c: Check, name: string, path: string): KernelDef {
  return KERNELS.get(name) ?? c.fail(path, `unknown kernel '${name}' (this build has ${[...KERNELS.keys()].join(', ')})`);
}

function arityText(a: Arity): string {
  if (a.min === a.max) return `exactly ${a.min}`;
  return a.max === Infinity ? `at least ${a.min}` : `${a.min} to ${a.max}`;
}

/** Tensor counts within the kernel's declared arity (run() indexes them without further checks). */
function checkArity(c: Check, kernel: KernelDef, which: 'inputs' | 'outputs', n: number, path: string): void {
  const a = kernel[which];
  const noun = a.max === 1 ? which.slice(0, -1) : which;
  if (n < a.min || n > a.max) c.fail(path, `kernel '${kernel.name}' takes ${arityText(a)} ${noun}, found ${n}`);
}

/** Parameter references name exactly the kernel's paramFields, each once (a table missing a field cannot run). */
function checkFieldNames(c: Check, kernel: KernelDef, refs: readonly unknown[], path: string): void {
  const declared = kernel.paramFields.map((f) => f.name);
  const seen = new Set<string>();
  refs.forEach((r, k) => {
    const name = (r as { name: string }).name;
    if (!declared.includes(name)) c.fail(`${path}[${k}].name`, `'${name}' is not a field of kernel '${kernel.name}' (fields: ${declared.join(', ') || 'none'})`);
    if (seen.has(name)) c.fail(`${path}[${k}].name`, `field '${name}' of kernel '${kernel.name}' appears more than once`);
    seen.add(name);
  });
  const missing = declared.filter((f) => !seen.has(f));
  if (missing.length > 0) c.fail(path, `kernel '${kernel.name}' needs field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, missing`);
}
