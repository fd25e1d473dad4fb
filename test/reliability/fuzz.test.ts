// Reliability (issue 7 item 1): a few hundred seeded fuzz cases plus fast-check properties over protobuf fields.
// Every case must end ok or as a typed DspcError naming the file and the problem; never a crash, never a hang.
// The 10,000-case run with a killing watchdog is `npm run bench -- fuzz` (bench/fuzz.ts).

import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runPool, type PoolReport } from '../../bench/fuzz.js';
import { makeCase, type FuzzCase } from './fuzz/cases.js';
import { listCorpus, loadSource, type Source } from './fuzz/corpus.js';
import { runCase, type Outcome, type Verdict } from './fuzz/run-case.js';
import { allMessages, encodeMessage, parseMessage, varintBytes, type Field, type WireType } from './fuzz/wire.js';

const SEED = 20260601;
const CASES = 300;
/** In-process watchdog: a case slower than this counts as hung (vitest's test timeout is the outer watchdog). */
const LIMIT_MS = 5000;

// Zoo models are large; tiny_cnn (420 kB) stands in for them in the quick run.
const corpus = listCorpus().filter((s) => s.set !== 'zoo' || s.name === 'tiny_cnn');

function describeFailure(c: FuzzCase, o: Outcome): string {
  return `#${c.index} ${o.verdict} at ${o.stage} (${c.source.set}/${c.source.name}; ${c.steps.join(' | ')}): ${o.message}`;
}

describe('seeded mutation fuzzing of the ONNX front end', () => {
  it(`${CASES} mutated models: ok or a clear typed rejection, none crashed, unclear or hung`, () => {
    const counts: Record<Verdict, number> = { ok: 0, rejected: 0, unclear: 0, crashed: 0, hung: 0 };
    const kinds = new Set<string>();
    const failures: string[] = [];
    let interpreted = 0;
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(corpus, SEED, i);
      // every fourth case that imports also goes through passes, quantisation and lowering (in memory)
      const o = runCase(c, { limitMs: LIMIT_MS, pipeline: i % 4 === 0 });
      counts[o.verdict]++;
      if (o.interpreted) interpreted++;
      for (const s of c.steps) kinds.add(s.split(':')[0]!);
      if (o.verdict !== 'ok' && o.verdict !== 'rejected') failures.push(describeFailure(c, o));
    }
    expect(failures).toEqual([]);
    // The run must exercise all three mutation families and reach every stage, or it proves nothing.
    expect([...kinds].sort()).toEqual(['bytes', 'model', 'wire']);
    expect(counts.ok).toBeGreaterThan(CASES * 0.1);
    expect(counts.rejected).toBeGreaterThan(CASES * 0.5);
    expect(interpreted).toBeGreaterThan(CASES * 0.1);
  });

  it('a case is fully determined by (seed, index)', () => {
    const a = makeCase(corpus, SEED, 17);
    const b = makeCase(corpus, SEED, 17);
    expect(b.steps).toEqual(a.steps);
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    expect(Buffer.from(makeCase(corpus, SEED, 18).bytes).equals(Buffer.from(a.bytes))).toBe(false);
  });

  it('the wire codec re-encodes every seed model byte for byte (so mutations change only what they say)', () => {
    for (const s of corpus.filter((c) => c.set === 'chains')) {
      const b = loadSource(s);
      const m = parseMessage(b, 'Model');
      expect(m, s.name).not.toBeNull();
      expect(Buffer.from(encodeMessage(m!)).equals(Buffer.from(b)), s.name).toBe(true);
    }
  });
});

// ---- fast-check: random fields and real-field values -------------------------------------------------------------

const small = corpus.filter((s) => s.set === 'chains' || s.name.startsWith('node/test_'));

function caseFrom(source: Source, bytes: Uint8Array, what: string): FuzzCase {
  return { seed: 0, index: 0, source, label: 'fc-case.onnx', steps: [what], bytes };
}

function expectHandled(c: FuzzCase): void {
  const o = runCase(c, { limitMs: LIMIT_MS, maxInterpretWork: 2e6 });
  expect(o.verdict === 'ok' || o.verdict === 'rejected', describeFailure(c, o)).toBe(true);
}

const fieldArb = fc.record({
  no: fc.oneof(fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 2 ** 29 - 1 })),
  wt: fc.constantFrom<WireType>(0, 1, 2, 5),
  varint: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  payload: fc.uint8Array({ maxLength: 48 }),
});

function makeField(f: { no: number; wt: WireType; varint: bigint; payload: Uint8Array }): Field {
  if (f.wt === 0) return { no: f.no, wt: 0, value: f.varint };
  if (f.wt === 2) return { no: f.no, wt: 2, value: f.payload };
  const n = f.wt === 1 ? 8 : 4;
  const fixed = new Uint8Array(n);
  fixed.set(f.payload.subarray(0, n));
  return { no: f.no, wt: f.wt, value: fixed };
}

describe('fast-check: protobuf-level properties', () => {
  it('a random well-formed field inserted into any message of a model is handled', () => {
    fc.assert(fc.property(fc.nat(small.length - 1), fc.nat(), fc.nat(), fieldArb, (si, mi, pos, spec) => {
      const source = small[si]!;
      const root = parseMessage(loadSource(source), 'Model')!;
      const msgs = allMessages(root);
      const m = msgs[mi % msgs.length]!;
      const f = makeField(spec);
      m.fields.splice(pos % (m.fields.length + 1), 0, f);
      expectHandled(caseFrom(source, encodeMessage(root), `insert ${m.type}.${f.no}/wt${f.wt}`));
    }), { seed: SEED, numRuns: 150 });
  });

  it('any real varint field (dims, data_type, attribute type and value, opset, elem_type...) set to any 64-bit value is handled', () => {
    fc.assert(fc.property(fc.nat(small.length - 1), fc.nat(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), (si, k, v) => {
      const source = small[si]!;
      const root = parseMessage(loadSource(source), 'Model')!;
      const sites = allMessages(root).flatMap((m) => m.fields.filter((f) => f.wt === 0).map((f) => ({ m, f })));
      const { m, f } = sites[k % sites.length]!;
      f.value = v;
      expectHandled(caseFrom(source, encodeMessage(root), `set ${m.type}.${f.no} = ${v}`));
    }), { seed: SEED, numRuns: 150 });
  });

  it('any packed int64 list (dims, ints attributes, int64_data) rewritten with arbitrary values is handled', () => {
    fc.assert(fc.property(fc.nat(small.length - 1), fc.nat(), fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 6 }), (si, k, vals) => {
      const source = small[si]!;
      const root = parseMessage(loadSource(source), 'Model')!;
      const sites = allMessages(root).flatMap((m) => m.fields
        .filter((f) => f.wt === 2 && !f.msg && ((m.type === 'Tensor' && (f.no === 1 || f.no === 7)) || (m.type === 'Attribute' && f.no === 8)))
        .map((f) => ({ m, f })));
      if (!sites.length) return;
      const { m, f } = sites[k % sites.length]!;
      f.value = Uint8Array.from(vals.flatMap((v) => [...varintBytes(v)]));
      expectHandled(caseFrom(source, encodeMessage(root), `packed ${m.type}.${f.no} = [${vals.join(',')}]`));
    }), { seed: SEED, numRuns: 150 });
  });

  it('raw_data of any initializer cut or grown to any length is handled', () => {
    fc.assert(fc.property(fc.nat(small.length - 1), fc.nat(), fc.integer({ min: -64, max: 64 }), (si, k, delta) => {
      const source = small[si]!;
      const root = parseMessage(loadSource(source), 'Model')!;
      const raws = allMessages(root).filter((m) => m.type === 'Tensor').flatMap((m) => m.fields.filter((f) => f.no === 9 && f.wt === 2));
      if (!raws.length) return;
      const f = raws[k % raws.length]!;
      const b = f.value as Uint8Array;
      f.value = delta <= 0 ? b.subarray(0, Math.max(0, b.length + delta)) : Uint8Array.from([...b, ...new Uint8Array(delta)]);
      expectHandled(caseFrom(source, encodeMessage(root), `raw_data ${delta >= 0 ? '+' : ''}${delta} bytes`));
    }), { seed: SEED, numRuns: 100 });
  });
});

// ---- the watchdog of the 10,000-case bench -------------------------------------------------------------------------

describe('worker pool watchdog (bench/fuzz.ts)', () => {
  it('kills a task stuck in an endless loop, survives a dying worker, and finishes every other task', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', ({ index }) => {
        if (index === 2) for (;;) {}
        if (index === 4) throw new Error('boom');
        parentPort.postMessage({ index, result: index * 10 });
      });`;
    const reports: PoolReport<number>[] = [];
    await runPool<number>({
      total: 7, concurrency: 2, timeoutMs: () => 1500,
      spawn: () => new Worker(code, { eval: true }),
      onReport: (r) => reports.push(r),
    });
    reports.sort((a, b) => a.index - b.index);
    expect(reports.map((r) => ('result' in r ? r.result : r.failure))).toEqual([0, 10, 'timeout', 30, 'died', 50, 60]);
    const died = reports[4]!;
    expect('detail' in died && died.detail).toMatch(/boom/);
  });
});
