// Stage: reliability tests (fuzzer support). Structure-aware protobuf mutations: random fields (valid wire format with
// random field numbers and wire types) and edits of real fields at any depth of the ONNX message tree.
// Contract: returns new bytes plus a one-line description, or null when the input is not parseable wire format.

import type { Rng } from './rng.js';
import {
  SCALARS, SUBMESSAGES, allMessages, encodeMessage, parseMessage, randomField, randomVarint, stringsOf, varintBytes,
  type Field, type Msg,
} from './wire.js';

export interface Mutated {
  bytes: Uint8Array;
  what: string;
}

type WireOp = (root: Msg, rng: Rng, donor: Msg | null) => string | null;

function label(m: Msg, f: Field): string {
  return `${m.type}.${f.no}/wt${f.wt}`;
}

function pickMsg(root: Msg, rng: Rng, nonEmpty = false): Msg | null {
  const all = allMessages(root).filter((m) => !nonEmpty || m.fields.length > 0);
  return all.length ? rng.pick(all) : null;
}

const insertRandom: WireOp = (root, rng) => {
  const m = pickMsg(root, rng)!;
  const f = randomField(rng, m.type, stringsOf(root));
  m.fields.splice(rng.int(m.fields.length + 1), 0, f);
  return `insert random field ${label(m, f)}`;
};

const deleteField: WireOp = (root, rng) => {
  const m = pickMsg(root, rng, true);
  if (!m) return null;
  const [f] = m.fields.splice(rng.int(m.fields.length), 1);
  return `delete ${label(m, f!)}`;
};

const duplicateField: WireOp = (root, rng) => {
  const m = pickMsg(root, rng, true);
  if (!m) return null;
  const f = rng.pick(m.fields);
  m.fields.splice(rng.int(m.fields.length + 1), 0, { ...f });
  return `duplicate ${label(m, f)}`;
};

/** Overwrite a real varint (dims, data_type, attribute type/i, opset version, elem_type, dim_value...). */
const setVarint: WireOp = (root, rng) => {
  const sites = allMessages(root).flatMap((m) => m.fields.filter((f) => f.wt === 0).map((f) => ({ m, f })));
  if (!sites.length) return null;
  const { m, f } = rng.pick(sites);
  f.value = randomVarint(rng);
  return `set ${label(m, f)} = ${f.value}`;
};

/** Packed int64 dims / int32_data / ints: rewrite one entry of a packed repeated varint field. */
const setPacked: WireOp = (root, rng) => {
  const sites = allMessages(root).flatMap((m) => m.fields
    .filter((f) => f.wt === 2 && !f.msg && ((m.type === 'Tensor' && (f.no === 1 || f.no === 5 || f.no === 7)) || (m.type === 'Attribute' && f.no === 8)))
    .map((f) => ({ m, f })));
  if (!sites.length) return null;
  const { m, f } = rng.pick(sites);
  const vals: bigint[] = [];
  const b = f.value as Uint8Array;
  for (let i = 0, v = 0n, s = 0n; i < b.length; i++) {
    v |= BigInt(b[i]! & 0x7f) << s;
    s += 7n;
    if ((b[i]! & 0x80) === 0) {
      vals.push(v);
      v = 0n;
      s = 0n;
    }
  }
  const k = rng.int(vals.length + 1);
  if (k === vals.length || rng.chance(0.2)) vals.splice(k, 0, randomVarint(rng));
  else vals[k] = randomVarint(rng);
  f.value = Uint8Array.from(vals.flatMap((v) => [...varintBytes(v)]));
  return `packed ${label(m, f)}[${k}] = ${vals[k]}`;
};

/** A length prefix that lies about its payload (the decoder must notice, never read past the buffer). */
const corruptLength: WireOp = (root, rng) => {
  const sites = allMessages(root).flatMap((m) => m.fields.filter((f) => f.wt === 2).map((f) => ({ m, f })));
  if (!sites.length) return null;
  const { m, f } = rng.pick(sites);
  f.lenDelta = rng.pick([-1, 1, -4, 4, 16, 1 << 20, 2 ** 31 - 1, -(1 << 10)]);
  return `length of ${label(m, f)} off by ${f.lenDelta}`;
};

/** Reinterpret a sub-message as a sibling field of another type (an initializer read as a graph input...). */
const renumber: WireOp = (root, rng) => {
  const m = pickMsg(root, rng, true);
  if (!m) return null;
  const f = rng.pick(m.fields);
  const numbers = [...Object.keys(SCALARS[m.type]), ...Object.keys(SUBMESSAGES[m.type])].map(Number);
  if (!numbers.length) return null;
  const was = label(m, f);
  f.no = rng.pick(numbers);
  delete f.msg; // the payload keeps its bytes; the decoder reads them as the new field's type
  if (f.wt === 2 && !(f.value instanceof Uint8Array)) return null;
  return `renumber ${was} -> ${m.type}.${f.no}`;
};

const swapFields: WireOp = (root, rng) => {
  const m = pickMsg(root, rng, true);
  if (!m || m.fields.length < 2) return null;
  const i = rng.int(m.fields.length);
  const j = rng.int(m.fields.length);
  [m.fields[i], m.fields[j]] = [m.fields[j]!, m.fields[i]!];
  return `swap ${m.type} fields ${i} and ${j}`;
};

/** Graft a field of another model into a message of the same type here (nodes, initializers, attributes...). */
const graft: WireOp = (root, rng, donor) => {
  if (!donor) return null;
  const from = pickMsg(donor, rng, true);
  if (!from) return null;
  const f = rng.pick(from.fields);
  const targets = allMessages(root).filter((m) => m.type === from.type);
  if (!targets.length) return null;
  const to = rng.pick(targets);
  to.fields.splice(rng.int(to.fields.length + 1), 0, f);
  return `graft ${label(from, f)} from the donor`;
};

const OPS: readonly [WireOp, number][] = [
  [insertRandom, 5], [deleteField, 3], [duplicateField, 3], [setVarint, 5], [setPacked, 3], [corruptLength, 1],
  [renumber, 2], [swapFields, 2], [graft, 2],
];

export function mutateWire(bytes: Uint8Array, rng: Rng, donorBytes?: Uint8Array): Mutated | null {
  const root = parseMessage(bytes, 'Model');
  if (!root) return null;
  const donor = donorBytes ? parseMessage(donorBytes, 'Model') : null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const op = OPS[rng.weighted(OPS.map(([, w]) => w))]![0];
    const what = op(root, rng, donor);
    if (what) return { bytes: encodeMessage(root), what: `wire: ${what}` };
  }
  return null;
}
