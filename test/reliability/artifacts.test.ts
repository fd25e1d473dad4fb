// Reliability (issue 7 item 5): a damaged params.bin or schedule.json (CRC, version, every offset bound, bad JSON,
// bad indices, offsets beyond params.bin) is rejected on load by `dspc simulate` and `dspc inspect <dir>` with one
// line and exit 2, never read out of bounds; plus a seeded fuzzer over both files (CRC fixed up so the deeper checks run).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../kernels/artifacts.js';
import { compile, inspectArtifacts, simulate } from '../../src/pipeline.js';
import { DspcError } from '../../src/ir/errors.js';
import { classify } from './fuzz/run-case.js';
import { Rng } from './fuzz/rng.js';
import { MODELS, dspc, expectBadInput, tmpDir } from './helpers.js';

const base = tmpDir('artifacts');
const ref = path.join(base, 'ref');
const other = path.join(base, 'other');
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

beforeAll(async () => {
  await compile(path.join(MODELS, 'chains/chain_relu_relu/model.onnx'), { out: ref });
  await compile(path.join(MODELS, 'chains/chain_relu_leakyrelu/model.onnx'), { out: other });
}, 120_000);

let serial = 0;
/** A copy of the reference directory with one file replaced. */
function damaged(file: string, bytes: Uint8Array | string): string {
  const dir = path.join(base, `case-${serial++}`);
  fs.cpSync(ref, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), bytes);
  return dir;
}

function params(): Buffer {
  return fs.readFileSync(path.join(ref, 'params.bin'));
}

/** Edit params.bin through a DataView; `fixCrc` recomputes the trailing CRC so the checks after it are reached. */
function editParams(edit: (dv: DataView, b: Buffer) => void, fixCrc = true): Buffer {
  const b = Buffer.from(params());
  edit(new DataView(b.buffer, b.byteOffset, b.length), b);
  if (fixCrc) b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
  return b;
}

interface Sched {
  version: number;
  params: { bytes: number; crc32: number };
  memories: { size: number }[];
  buffers: { bytes: number; offset: number }[];
  invocations: { index: number; inputs: { buffer: number; shape: number[] }[]; params: { offset: number; record: number }[] }[];
}

function editSchedule(edit: (s: Sched) => void): string {
  const s = JSON.parse(fs.readFileSync(path.join(ref, 'schedule.json'), 'utf8')) as Sched;
  edit(s);
  return JSON.stringify(s, null, 2);
}

// Header fields (docs/formats.md): version u16 @4, fileBytes @8, recordCount @12, tableOffset @16, stringsOffset @24,
// stringsBytes @28, dataOffset @32, dataBytes @36; record entries of 32 bytes from tableOffset: kernelStr @0,
// dtypeCode @16, count @20, offset @24, bytes @28.
const rec0 = (dv: DataView): number => dv.getUint32(16, true);

const CASES: [string, () => string, RegExp][] = [
  ['params.bin: one payload byte flipped', () => damaged('params.bin', editParams((_dv, b) => { b[b.length - 40]! ^= 0x10; }, false)), /params\.bin is corrupt: CRC32 mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)/],
  ['params.bin: truncated', () => damaged('params.bin', params().subarray(0, params().length - 100)), /params\.bin is \d+ bytes but its header says \d+ \(truncated or padded file\)/],
  ['params.bin: empty', () => damaged('params.bin', new Uint8Array()), /params\.bin is truncated: 0 bytes, the header alone needs 68/],
  ['params.bin: wrong magic', () => damaged('params.bin', editParams((_dv, b) => b.write('NOPE', 0))), /not a dspc params\.bin: magic is "NOPE", expected "DSPC"/],
  ['params.bin: version 2', () => damaged('params.bin', editParams((dv) => dv.setUint16(4, 2, true))), /params\.bin version 2 is not supported \(this build reads version 1\)/],
  ['params.bin: record table beyond the file', () => damaged('params.bin', editParams((dv) => dv.setUint32(16, 0x7ffffff0, true))), /record table \[\d+, \d+\) lies outside the file body/],
  ['params.bin: record count beyond the table', () => damaged('params.bin', editParams((dv) => dv.setUint32(12, 0x10000000, true))), /record table \[\d+, \d+\) lies outside the file body/],
  ['params.bin: string table misaligned', () => damaged('params.bin', editParams((dv) => dv.setUint32(24, dv.getUint32(24, true) + 4, true))), /string table offset \d+ is not 16-byte aligned/],
  ['params.bin: data region longer than the file', () => damaged('params.bin', editParams((dv) => dv.setUint32(36, dv.getUint32(36, true) + 64, true))), /data region \[\d+, \d+\) lies outside the file body/],
  ['params.bin: record offset beyond the data region', () => damaged('params.bin', editParams((dv) => dv.setUint32(rec0(dv) + 24, 0xfffffff0, true))), /record 0: bytes \[\d+, \d+\) lie outside the data region/],
  ['params.bin: record byte count disagreeing with its count', () => damaged('params.bin', editParams((dv) => dv.setUint32(rec0(dv) + 20, dv.getUint32(rec0(dv) + 20, true) + 1, true))), /record 0: \d+ bytes do not hold \d+ x \w+/],
  ['params.bin: record name outside the string table', () => damaged('params.bin', editParams((dv) => dv.setUint32(rec0(dv), 0xffffff, true))), /record 0 kernel name: string offset 16777215 is outside the string table/],
  ['params.bin: unknown element type', () => damaged('params.bin', editParams((dv) => dv.setUint8(rec0(dv) + 16, 99))), /record 0: unknown dtype code 99/],
  ['params.bin: from another compile', () => damaged('params.bin', fs.readFileSync(path.join(other, 'params.bin'))), /schedule\.json params: describes a params\.bin of .* \(files from different compiles\?\)/],
  ['schedule.json: not JSON', () => damaged('schedule.json', fs.readFileSync(path.join(ref, 'schedule.json'), 'utf8').slice(0, 300)), /schedule\.json: not valid JSON/],
  ['schedule.json: version 99', () => damaged('schedule.json', editSchedule((s) => { s.version = 99; })), /schedule\.json version: 99 is not supported \(this build reads 1\)/],
  ['schedule.json: buffer index out of range', () => damaged('schedule.json', editSchedule((s) => { s.invocations[0]!.inputs[0]!.buffer = 9999; })), /invocations\[0\]\.inputs\[0\]\.buffer: must be an integer in \[0, \d+\]/],
  ['schedule.json: parameter offset beyond params.bin', () => damaged('schedule.json', editSchedule((s) => { s.invocations[0]!.params[0]!.offset = s.params.bytes + 16; })), /invocations\[0\]\.params\[0\]: bytes \[\d+, \d+\) lie outside params\.bin/],
  ['schedule.json: parameter record out of range', () => damaged('schedule.json', editSchedule((s) => { s.invocations[0]!.params[0]!.record = 4096; })), /invocations\[0\]\.params\[0\]\.record: must be an integer in \[0, \d+\]/],
  ['schedule.json: buffer beyond its memory', () => damaged('schedule.json', editSchedule((s) => { s.buffers[0]!.offset = s.memories[0]!.size; })), /buffers\[0\]: \[\d+, \d+\) exceeds memory/],
  ['schedule.json: zero-sized shape', () => damaged('schedule.json', editSchedule((s) => { s.invocations[0]!.inputs[0]!.shape[0] = 0; })), /invocations\[0\]\.inputs\[0\]\.shape\[0\]: must be an integer in \[1, /],
  ['schedule.json: invocations out of order', () => damaged('schedule.json', editSchedule((s) => { s.invocations[0]!.index = 3; })), /invocations\[0\]\.index: is 3, expected 0/],
  ['schedule.json: missing', () => { const d = damaged('params.bin', params()); fs.rmSync(path.join(d, 'schedule.json')); return d; }, /missing schedule\.json: not a dspc output directory/],
];

describe('damaged artifacts are refused on load (library)', () => {
  it.each(CASES)('%s', (_n, make, problem) => {
    const dir = make();
    for (const load of [() => inspectArtifacts(dir), () => simulate(dir)]) {
      let err: unknown;
      try {
        load();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DspcError);
      expect((err as DspcError).code).toBe('E_ARTIFACT');
      expect((err as DspcError).message).toMatch(problem);
      expect((err as DspcError).message.startsWith(dir)).toBe(true);
    }
  });
});

describe('damaged artifacts through the CLI', () => {
  it('`dspc inspect <dir>` and `dspc simulate <dir>`: exit 2, one line naming the file and problem, no stack trace', async () => {
    const dirs = CASES.map(([name, make, problem]) => ({ name, dir: make(), problem }));
    const runs = await Promise.all(dirs.flatMap(({ name, dir, problem }) => (['inspect', 'simulate'] as const).map(async (cmd) => (
      { name: `${cmd}: ${name}`, dir, problem, r: await dspc([cmd, dir]) }))));
    for (const { name, dir, problem, r } of runs) {
      const line = expectBadInput(r, name);
      expect(line.startsWith(`dspc: ${dir}`), `${name}: ${line}`).toBe(true);
      expect(line, name).toMatch(problem);
    }
  });
});

// ---- a small fuzzer over both artifact files ----------------------------------------------------------------------

const JSON_VALUES: unknown[] = [-1, 0, 1, 2, 3, 7, 255, 2 ** 31, 2 ** 32, 2 ** 53, 1e308, -1e308, 0.5, -0.5, '', 'x', 'relu', null, true, [], {}, [0], [1, 1, 1, 1]];

type Json = Record<string, unknown> | unknown[];

/** Every container in a JSON tree with its keys, to pick a mutation site uniformly. */
function sites(root: unknown): { parent: Json; key: string | number }[] {
  const out: { parent: Json; key: string | number }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); walk(x); });
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push({ parent: v as Json, key: k }); walk(x); }
  };
  walk(root);
  return out;
}

function mutateJson(text: string, rng: Rng): string {
  const root = JSON.parse(text) as unknown;
  for (let k = rng.range(1, 3); k > 0; k--) {
    const all = sites(root);
    const { parent, key } = rng.pick(all);
    const cur = (parent as Record<string | number, unknown>)[key];
    const op = rng.int(4);
    if (op === 0 && typeof cur === 'number') (parent as Record<string | number, unknown>)[key] = cur + rng.pick([-1, 1, 16, -16, 1000]);
    else if (op === 1 && Array.isArray(parent)) parent.splice(key as number, 1);
    else if (op === 1) delete (parent as Record<string, unknown>)[key as string];
    else if (op === 2 && Array.isArray(parent)) parent.splice(rng.int(parent.length + 1), 0, structuredClone(cur));
    else (parent as Record<string | number, unknown>)[key] = structuredClone(rng.pick(JSON_VALUES));
  }
  return rng.chance(0.05) ? JSON.stringify(root).slice(0, rng.int(text.length)) : JSON.stringify(root);
}

function mutateParams(b: Buffer, rng: Rng): Buffer {
  const out = Buffer.from(b);
  const headerish = rng.chance(0.6);
  for (let k = rng.range(1, 4); k > 0; k--) {
    const at = headerish ? rng.int(Math.min(out.length - 4, 64 + 32 * 8)) & ~3 : rng.int(out.length - 4);
    if (rng.chance(0.5)) out.writeUInt32LE(rng.pick([0, 1, 15, 16, 0xffff, 0x7fffffff, 0xffffffff, out.length, out.length - 4, rng.u32()]) >>> 0, at);
    else out[at] = rng.int(256);
  }
  if (rng.chance(0.9)) out.writeUInt32LE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

/** Cases per run (DSPC_ARTIFACT_FUZZ overrides, for a longer local run). */
const ARTIFACT_CASES = Number(process.env['DSPC_ARTIFACT_FUZZ'] ?? 250);

describe('seeded artifact fuzzing', () => {
  it(`${ARTIFACT_CASES} damaged directories: each loads and simulates, or is refused with a typed error; never a crash or hang`, () => {
    const rng = new Rng(99);
    const sched = fs.readFileSync(path.join(ref, 'schedule.json'), 'utf8');
    const failures: string[] = [];
    const counts = { ok: 0, rejected: 0 };
    for (let i = 0; i < ARTIFACT_CASES; i++) {
      const which = rng.weighted([5, 4, 1]);
      const dir = which === 0 ? damaged('schedule.json', mutateJson(sched, rng))
        : which === 1 ? damaged('params.bin', mutateParams(params(), rng))
          : damaged('unfused.schedule.json', mutateJson(fs.readFileSync(path.join(ref, 'unfused.schedule.json'), 'utf8'), rng));
      const t0 = performance.now();
      try {
        inspectArtifacts(dir);
        simulate(dir);
        counts.ok++;
      } catch (e) {
        const k = classify(e, 'import', dir);
        if (k.verdict === 'rejected') counts.rejected++;
        else failures.push(`case ${i} (${['schedule.json', 'params.bin', 'unfused.schedule.json'][which]}): ${k.verdict}: ${k.message}`);
      }
      const ms = performance.now() - t0;
      if (ms > 5000) failures.push(`case ${i}: took ${ms.toFixed(0)} ms`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(failures).toEqual([]);
    expect(counts.rejected).toBeGreaterThan(ARTIFACT_CASES * 0.4);
  });
});
