// Stage: reliability tests (fuzzer support). A tolerant protobuf wire-format codec that knows the ONNX message tree,
// so mutations can add, drop, duplicate or graft fields at any depth and still emit valid wire format (lengths fixed up).
// Contract: parseMessage never throws on hostile bytes (returns null); encodeMessage(parseMessage(b)) === b for any
// canonical input; the codec is test-only and deliberately independent of onnx-proto's decoder under test.

import type { Rng } from './rng.js';

/** 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32; 3/4/6/7 are invalid and only ever written by mutations. */
export type WireType = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface Field {
  no: number;
  wt: WireType;
  /** varint: the value; other wire types: the payload bytes (without the length prefix). */
  value: bigint | Uint8Array;
  /** Parsed payload when the schema says the field is a sub-message and it parsed. */
  msg?: Msg;
  /** Declared length minus real length (a corrupt length prefix); 0 or absent for honest fields. */
  lenDelta?: number;
}

export interface Msg {
  type: MsgType;
  fields: Field[];
}

export type MsgType =
  | 'Model' | 'Graph' | 'Node' | 'Attribute' | 'Tensor' | 'ValueInfo' | 'Type' | 'TypeTensor' | 'Shape' | 'Dim'
  | 'OpsetId' | 'Entry';

/** Sub-message fields per message type (onnx.proto field numbers). */
export const SUBMESSAGES: Readonly<Record<MsgType, Readonly<Record<number, MsgType>>>> = {
  Model: { 7: 'Graph', 8: 'OpsetId', 14: 'Entry' },
  Graph: { 1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo' },
  Node: { 5: 'Attribute' },
  Attribute: { 5: 'Tensor', 6: 'Graph', 10: 'Tensor', 11: 'Graph', 14: 'Type' },
  Tensor: { 13: 'Entry' },
  ValueInfo: { 2: 'Type' },
  Type: { 1: 'TypeTensor' },
  TypeTensor: { 2: 'Shape' },
  Shape: { 1: 'Dim' },
  Dim: {},
  OpsetId: {},
  Entry: {},
};

/** Scalar and repeated-scalar fields per message type with their natural wire type (2 for strings, bytes, packed). */
export const SCALARS: Readonly<Record<MsgType, Readonly<Record<number, WireType>>>> = {
  Model: { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2 },
  Graph: { 2: 2, 10: 2 },
  Node: { 1: 2, 2: 2, 3: 2, 4: 2, 6: 2, 7: 2 },
  Attribute: { 1: 2, 2: 5, 3: 0, 4: 2, 7: 2, 8: 2, 9: 2, 13: 2, 20: 0, 21: 2 },
  Tensor: { 1: 2, 2: 0, 4: 2, 5: 2, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2, 11: 2, 12: 2, 14: 0 },
  ValueInfo: { 1: 2, 3: 2 },
  Type: { 6: 2 },
  TypeTensor: { 1: 0 },
  Shape: {},
  Dim: { 1: 0, 2: 2, 3: 2 },
  OpsetId: { 1: 2, 2: 0 },
  Entry: { 1: 2, 2: 2 },
};

const MAX_DEPTH = 48;

function readVarint(b: Uint8Array, pos: number): [bigint, number] | null {
  let v = 0n;
  for (let shift = 0n, i = pos; i < b.length && shift < 70n; shift += 7n, i++) {
    const byte = b[i]!;
    v |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [BigInt.asUintN(64, v), i + 1];
  }
  return null;
}

/** Parse bytes as message `type`; null when they are not well-formed wire format. */
export function parseMessage(b: Uint8Array, type: MsgType, depth = 0): Msg | null {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const tag = readVarint(b, pos);
    if (!tag) return null;
    pos = tag[1];
    const no = Number(tag[0] >> 3n);
    const wt = Number(tag[0] & 7n) as WireType;
    if (no < 1 || no > 2 ** 29 - 1) return null;
    if (wt === 0) {
      const v = readVarint(b, pos);
      if (!v) return null;
      fields.push({ no, wt, value: v[0] });
      pos = v[1];
    } else if (wt === 1 || wt === 5) {
      const n = wt === 1 ? 8 : 4;
      if (pos + n > b.length) return null;
      fields.push({ no, wt, value: b.subarray(pos, pos + n) });
      pos += n;
    } else if (wt === 2) {
      const len = readVarint(b, pos);
      if (!len || len[0] > BigInt(b.length - len[1])) return null;
      const start = len[1];
      const end = start + Number(len[0]);
      const payload = b.subarray(start, end);
      const f: Field = { no, wt, value: payload };
      const sub = SUBMESSAGES[type][no];
      if (sub && depth < MAX_DEPTH) {
        const m = parseMessage(payload, sub, depth + 1);
        if (m) f.msg = m;
      }
      fields.push(f);
      pos = end;
    } else {
      return null; // groups (3/4) and reserved types never occur in ONNX files
    }
  }
  return { type, fields };
}

export function varintBytes(v: bigint): Uint8Array {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) byte |= 0x80;
    out.push(byte);
  } while (x > 0n);
  return Uint8Array.from(out);
}

/** Byte chunks of one message; concatenated only once at the top (zoo models hold tens of MB of raw_data). */
function chunks(m: Msg, out: Uint8Array[]): number {
  let size = 0;
  const push = (c: Uint8Array): void => {
    out.push(c);
    size += c.length;
  };
  for (const f of m.fields) {
    push(varintBytes((BigInt(f.no) << 3n) | BigInt(f.wt)));
    if (f.wt === 0) {
      push(varintBytes(f.value as bigint));
    } else if (f.wt === 2) {
      const inner: Uint8Array[] = [];
      let n: number;
      if (f.msg) {
        n = chunks(f.msg, inner);
      } else {
        inner.push(f.value as Uint8Array);
        n = (f.value as Uint8Array).length;
      }
      push(varintBytes(BigInt(Math.max(0, n + (f.lenDelta ?? 0)))));
      for (const c of inner) push(c);
    } else if (f.value instanceof Uint8Array) {
      push(f.value);
    } else {
      push(varintBytes(f.value));
    }
  }
  return size;
}

export function encodeMessage(m: Msg): Uint8Array {
  const parts: Uint8Array[] = [];
  const n = chunks(m, parts);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Every message in the tree (the root first), for picking a mutation site. */
export function allMessages(root: Msg): Msg[] {
  const out: Msg[] = [];
  const walk = (m: Msg): void => {
    out.push(m);
    for (const f of m.fields) if (f.msg) walk(f.msg);
  };
  walk(root);
  return out;
}

// ---- values a mutation writes -----------------------------------------------------------------------------------

/** Boundary varints: sizes around powers of two, int32/int64 limits, negatives as 10-byte two's complement. */
export const INTERESTING_VARINTS: readonly bigint[] = [
  0n, 1n, 2n, 3n, 7n, 8n, 15n, 16n, 17n, 31n, 127n, 128n, 255n, 256n, 1023n, 4096n, 32767n, 32768n, 65535n, 65536n,
  2n ** 30n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n, 2n ** 63n - 1n,
  -1n, -2n, -(2n ** 31n), -(2n ** 63n),
];

const FLOAT_BITS: readonly number[] = [0x7fc00000, 0x7f800000, 0xff800000, 0x80000000, 0x7f7fffff, 0x00000001, 0x3f800000, 0xbf800000];

export function randomVarint(rng: Rng): bigint {
  if (rng.chance(0.6)) return rng.pick(INTERESTING_VARINTS);
  return BigInt(rng.int(2 ** Math.min(31, rng.range(1, 31))));
}

function fixed(rng: Rng, n: 4 | 8): Uint8Array {
  const out = rng.bytes(n);
  if (n === 4 && rng.chance(0.5)) new DataView(out.buffer).setUint32(0, rng.pick(FLOAT_BITS), true);
  if (n === 8 && rng.chance(0.3)) new DataView(out.buffer).setFloat64(0, rng.pick([NaN, Infinity, -Infinity, -0, 1e308]), true);
  return out;
}

/** A payload for wire type 2: random bytes, a name already used in the model, or a packed list of varints. */
function lengthPayload(rng: Rng, names: readonly string[]): Uint8Array {
  const k = rng.int(4);
  if (k === 0 && names.length) return new TextEncoder().encode(rng.pick(names));
  if (k === 1) {
    const parts = Array.from({ length: rng.int(6) }, () => varintBytes(randomVarint(rng)));
    return Uint8Array.from(parts.flatMap((p) => [...p]));
  }
  return rng.bytes(rng.int(k === 2 ? 40 : 9));
}

/** A random field: a real field number of this message type (any wire type) or a random number. */
export function randomField(rng: Rng, type: MsgType, names: readonly string[]): Field {
  const known = [...Object.keys(SCALARS[type]), ...Object.keys(SUBMESSAGES[type])].map(Number);
  let no: number;
  if (known.length && rng.chance(0.6)) no = rng.pick(known);
  else no = rng.chance(0.5) ? rng.range(1, 32) : rng.range(1, 2 ** 29 - 1);
  const natural = SCALARS[type][no] ?? (SUBMESSAGES[type][no] ? 2 : undefined);
  const wt: WireType = natural !== undefined && rng.chance(0.7) ? natural : rng.pick([0, 1, 2, 5] as const);
  if (wt === 0) return { no, wt, value: randomVarint(rng) };
  if (wt === 1 || wt === 5) return { no, wt, value: fixed(rng, wt === 1 ? 8 : 4) };
  return { no, wt, value: lengthPayload(rng, names) };
}

/** Strings of the model (node and value names), so mutated references point at things that exist. */
export function stringsOf(root: Msg): string[] {
  const out = new Set<string>();
  const dec = new TextDecoder('utf-8', { fatal: false });
  for (const m of allMessages(root)) {
    if (m.type !== 'Node' && m.type !== 'ValueInfo' && m.type !== 'Tensor') continue;
    for (const f of m.fields) {
      const isName = (m.type === 'Node' && f.no <= 3) || ((m.type === 'ValueInfo' || m.type === 'Tensor') && f.no === (m.type === 'Tensor' ? 8 : 1));
      if (isName && f.value instanceof Uint8Array && f.value.length < 200) out.add(dec.decode(f.value));
      if (out.size > 400) return [...out];
    }
  }
  return [...out];
}
