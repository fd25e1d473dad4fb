// Stage: reliability tests (fuzzer support). Format-blind byte mutations: bit flips, truncation, splicing two models,
// duplicated and deleted byte ranges, boundary bytes.
// Contract: pure functions of (bytes, rng[, donor]); never modify their input; return bytes plus a one-line description.

import type { Rng } from './rng.js';
import type { Mutated } from './mutate-wire.js';

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A short range, mostly small (a field or two), sometimes large. */
function span(rng: Rng, len: number): [number, number] {
  const start = rng.int(len + 1);
  const max = len - start;
  const n = Math.min(max, rng.chance(0.8) ? rng.range(1, 16) : rng.int(max + 1));
  return [start, start + n];
}

function bitflip(b: Uint8Array, rng: Rng): Mutated {
  const out = b.slice();
  const k = rng.range(1, 8);
  const at: number[] = [];
  for (let i = 0; i < k && out.length; i++) {
    const p = rng.int(out.length);
    out[p]! ^= 1 << rng.int(8);
    at.push(p);
  }
  return { bytes: out, what: `bytes: flip ${k} bit(s) at ${at.slice(0, 4).join(',')}` };
}

function truncate(b: Uint8Array, rng: Rng): Mutated {
  const n = rng.chance(0.3) ? b.length - rng.range(1, Math.min(16, Math.max(1, b.length))) : rng.int(b.length);
  return { bytes: b.slice(0, Math.max(0, n)), what: `bytes: truncate to ${Math.max(0, n)} of ${b.length}` };
}

function splice(b: Uint8Array, rng: Rng, donor: Uint8Array): Mutated {
  const cut = rng.int(b.length + 1);
  const from = rng.int(donor.length + 1);
  return { bytes: concat(b.subarray(0, cut), donor.subarray(from)), what: `bytes: splice at ${cut} with donor from ${from}` };
}

function duplicate(b: Uint8Array, rng: Rng): Mutated {
  const [s, e] = span(rng, b.length);
  const at = rng.int(b.length + 1);
  const copy = b.slice(s, e);
  return { bytes: concat(b.subarray(0, at), copy, b.subarray(at)), what: `bytes: duplicate [${s},${e}) at ${at}` };
}

function remove(b: Uint8Array, rng: Rng): Mutated {
  const [s, e] = span(rng, b.length);
  return { bytes: concat(b.subarray(0, s), b.subarray(e)), what: `bytes: delete [${s},${e})` };
}

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x08, 0x0a, 0x12];

function overwrite(b: Uint8Array, rng: Rng): Mutated {
  const out = b.slice();
  const [s, e] = span(rng, out.length);
  const v = rng.pick(BOUNDARY);
  out.fill(v, s, Math.min(e, s + 8));
  return { bytes: out, what: `bytes: fill [${s},${Math.min(e, s + 8)}) with 0x${v.toString(16)}` };
}

export function mutateBytes(b: Uint8Array, rng: Rng, donor: Uint8Array): Mutated {
  switch (rng.weighted([10, 6, 6, 5, 5, 3])) {
    case 0: return bitflip(b, rng);
    case 1: return truncate(b, rng);
    case 2: return splice(b, rng, donor);
    case 3: return duplicate(b, rng);
    case 4: return remove(b, rng);
    default: return overwrite(b, rng);
  }
}
