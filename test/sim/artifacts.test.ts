// Tests: simulator loader. Damaged or inconsistent artifacts are rejected with E_ARTIFACT naming the file; random damage never crashes.
// Contract: artifacts come from the real backend (compileGraph + writeArtifacts) of a shared chains model, then get corrupted on purpose.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactFiles, compileGraph, writeArtifacts } from '../../src/backend/index.js';
import { importOnnxFile } from '../../src/frontend/index.js';
import { DspcError } from '../../src/ir/errors.js';
import { dspcErrorOf } from '../dspc-error.js';
import { validateSchedule } from '../../kernels/artifacts.js';
import { KERNELS } from '../../kernels/index.js';
import { loadTarget, TARGETS_DIR } from '../../kernels/target.js';
import { defaultInputs, loadProgram, programFromArtifacts, runProgram } from '../../src/sim/index.js';

const MODEL = '../shared/models/chains/chain_relu_leakyrelu/model.onnx';
let root: string;
let good: string;
let scheduleText: string;
let paramsBin: Uint8Array;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dspc-sim-art-'));
  good = join(root, 'good');
  const g = importOnnxFile(MODEL);
  const a = compileGraph(g, loadTarget('generic-dsp'), { modelId: 'chain-test' });
  writeArtifacts(good, artifactFiles(a), { force: false, modelId: 'chain-test' });
  scheduleText = readFileSync(join(good, 'schedule.json'), 'utf8');
  paramsBin = new Uint8Array(readFileSync(join(good, 'params.bin')));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the good directory with one file replaced. */
function variant(name: string, file: 'schedule.json' | 'params.bin', content: string | Uint8Array): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  writeArtifacts(dir, { 'schedule.json': scheduleText, 'params.bin': paramsBin, [file]: content }, { force: true, modelId: 'x' });
  return dir;
}

/** Parsed JSON edited in place by path; `any` because the edits deliberately break the schedule's type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function mutateSchedule(edit: (s: Json) => void): string {
  const s = JSON.parse(scheduleText) as Json;
  edit(s);
  return JSON.stringify(s);
}

describe('loadProgram', () => {
  it('loads and runs the good artifacts', () => {
    const p = loadProgram(good);
    expect(p.schedule.invocations.length).toBeGreaterThan(3);
    expect(p.target.id).toBe('generic-dsp');
    const out = runProgram(p, defaultInputs(p.schedule.inputs));
    expect([...out.values()][0]!.dims).toEqual([1, 10]);
  });

  it('rejects one corrupted byte of params.bin (CRC), naming the file', () => {
    const bad = paramsBin.slice();
    bad[bad.length >> 1] ^= 0x40;
    const e = dspcErrorOf(() => loadProgram(variant('crc', 'params.bin', bad)));
    expect(e.code).toBe('E_ARTIFACT');
    expect(e.file).toMatch(/params\.bin$/);
    expect(e.message).toMatch(/CRC32 mismatch/);
  });

  it('rejects a truncated params.bin', () => {
    const e = dspcErrorOf(() => loadProgram(variant('trunc', 'params.bin', paramsBin.subarray(0, 100))));
    expect([e.code, e.message]).toEqual(['E_ARTIFACT', expect.stringMatching(/truncated|header says/)]);
  });

  it('rejects a truncated or non-JSON schedule.json, naming the file', () => {
    const e = dspcErrorOf(() => loadProgram(variant('json', 'schedule.json', scheduleText.slice(0, scheduleText.length / 2))));
    expect(e.code).toBe('E_ARTIFACT');
    expect(e.file).toMatch(/schedule\.json$/);
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('rejects a buffer index out of range', () => {
    const text = mutateSchedule((s) => { s.invocations[1].inputs[0].buffer = 999; });
    const e = dspcErrorOf(() => loadProgram(variant('buf', 'schedule.json', text)));
    expect([e.code, e.file?.endsWith('schedule.json')]).toEqual(['E_ARTIFACT', true]);
    expect(e.message).toMatch(/invocations\[1\]\.inputs\[0\]\.buffer/);
  });

  it('rejects a parameter reference outside params.bin', () => {
    const text = mutateSchedule((s) => { s.invocations[0].params[0].offset = paramsBin.length; });
    const e = dspcErrorOf(() => loadProgram(variant('poff', 'schedule.json', text)));
    expect(e.code).toBe('E_ARTIFACT');
    expect(e.message).toMatch(/invocations\[0\]\.params\[0\]/);
  });

  it('rejects an unknown kernel and a schedule from another compile', () => {
    const k = dspcErrorOf(() => loadProgram(variant('kern', 'schedule.json', mutateSchedule((s) => { s.invocations[0].kernel = 'fft'; }))));
    expect([k.code, k.message]).toEqual(['E_ARTIFACT', expect.stringMatching(/unknown kernel 'fft'/)]);
    const m = dspcErrorOf(() => loadProgram(variant('crc2', 'schedule.json', mutateSchedule((s) => { s.params.crc32 = (s.params.crc32 + 1) >>> 0; }))));
    expect([m.code, m.message]).toEqual(['E_ARTIFACT', expect.stringMatching(/different compiles/)]);
  });

  it('rejects a buffer placed beyond the target memory', () => {
    const text = mutateSchedule((s) => {
      s.memories[0].size = 1 << 30;
      s.buffers[0].offset = (1 << 30) - s.buffers[0].bytes;
    });
    const e = dspcErrorOf(() => loadProgram(variant('mem', 'schedule.json', text)));
    expect([e.code, e.message]).toEqual(['E_ARTIFACT', expect.stringMatching(/exceeds memory 'sram' of target 'generic-dsp'/)]);
  });

  it('rejects a missing file', () => {
    const dir = join(root, 'missing');
    writeArtifacts(dir, { 'schedule.json': scheduleText }, { force: true, modelId: 'x' });
    const e = dspcErrorOf(() => loadProgram(dir));
    expect([e.code, e.message]).toEqual(['E_ARTIFACT', expect.stringMatching(/missing params\.bin/)]);
  });

  it('a geometry that disagrees with the tensors fails at run time with a typed error naming the node', () => {
    const text = mutateSchedule((s) => { s.invocations[0].attrs.kernel_shape = [5, 5]; });
    const p = loadProgram(variant('geom', 'schedule.json', text));
    const e = dspcErrorOf(() => runProgram(p, defaultInputs(p.schedule.inputs)));
    expect(e.node).toBe(p.schedule.invocations[0]!.node);
  });
});

// Fuzzer finds (G1): a schedule whose invocation disagrees with its kernel's declared arity or parameter fields used to
// load, then crash inside the kernel with a TypeError; the loader now rejects it naming the invocation and the problem.
describe('invocations are checked against their kernel', () => {
  const epi = (s: Json): number => s.invocations.findIndex((inv: Json) => inv.epilogue !== undefined);
  const loadErr = (name: string, edit: (s: Json) => void): DspcError => {
    const e = dspcErrorOf(() => loadProgram(variant(name, 'schedule.json', mutateSchedule(edit))));
    expect([e.code, e.file?.endsWith('schedule.json')]).toEqual(['E_ARTIFACT', true]);
    return e;
  };
  /** validateSchedule without params.bin: field names are then checked on their own, not via the record cross-check. */
  const validateErr = (edit: (s: Json) => void): DspcError => {
    const e = dspcErrorOf(() => validateSchedule(JSON.parse(mutateSchedule(edit)), 'x/schedule.json'));
    expect(e.code).toBe('E_ARTIFACT');
    return e;
  };

  it('every library kernel declares a sane arity; concat inputs and split outputs are variadic', () => {
    for (const k of KERNELS.values()) {
      for (const a of [k.inputs, k.outputs]) {
        expect(Number.isInteger(a.min) && a.min >= 1, k.name).toBe(true);
        expect(a.max >= a.min, k.name).toBe(true);
      }
    }
    expect(KERNELS.get('concat')!.inputs.max).toBe(Infinity);
    expect(KERNELS.get('split')!.outputs.max).toBe(Infinity);
    expect(KERNELS.get('add')!.inputs).toEqual({ min: 2, max: 2 });
    expect(KERNELS.get('conv2d')!.outputs).toEqual({ min: 1, max: 1 });
  });

  it('rejects a missing input and an extra output', () => {
    const a = loadErr('arity-in', (s) => { s.invocations[0].inputs.splice(0, 1); });
    expect(a.message).toMatch(/invocations\[0\]\.inputs: kernel 'conv2d' takes exactly 1 input, found 0/);
    const b = loadErr('arity-out', (s) => { s.invocations[1].outputs.push(s.invocations[1].outputs[0]); });
    expect(b.message).toMatch(/invocations\[1\]\.outputs: kernel '\w+' takes exactly 1 output, found 2/);
  });

  it('rejects a missing, a duplicated and an unknown kernel parameter field', () => {
    const m = loadErr('field-missing', (s) => { s.invocations[0].params.pop(); });
    expect(m.message).toMatch(/invocations\[0\]\.params: kernel 'conv2d' needs field out_max, missing/);
    const d = loadErr('field-dup', (s) => { s.invocations[0].params[1] = s.invocations[0].params[0]; });
    expect(d.message).toMatch(/invocations\[0\]\.params\[1\]\.name: field 'weights' of kernel 'conv2d' appears more than once/);
    const u = validateErr((s) => { s.invocations[0].params[0].name = 'gamma'; });
    expect(u.message).toMatch(/invocations\[0\]\.params\[0\]\.name: 'gamma' is not a field of kernel 'conv2d'/);
  });

  it('checks epilogue parameters against the epilogue kernel (the fuzzer case: last field popped)', () => {
    const m = loadErr('epi-missing', (s) => { s.invocations[epi(s)].epilogue.params.pop(); });
    expect(m.message).toMatch(/invocations\[\d+\]\.epilogue\.params: kernel 'relu' needs field out_max, missing/);
    const x = validateErr((s) => { const inv = s.invocations[epi(s)]; inv.epilogue.params.push({ ...inv.params[0] }); });
    expect(x.message).toMatch(/epilogue\.params\[\d+\]\.name: 'weights' is not a field of kernel 'relu'/);
  });

  it('rejects an epilogue kernel that is unknown or not an activation', () => {
    const u = loadErr('epi-unknown', (s) => { s.invocations[epi(s)].epilogue.kernel = 'softmax'; });
    expect(u.message).toMatch(/epilogue\.kernel: unknown kernel 'softmax'/);
    const n = loadErr('epi-role', (s) => { s.invocations[epi(s)].epilogue.kernel = 'maxpool'; });
    expect(n.message).toMatch(/epilogue\.kernel: 'maxpool' is not an activation kernel/);
  });

  it('the good schedule passes every kernel check with and without params.bin', () => {
    expect(validateSchedule(JSON.parse(scheduleText), 'x/schedule.json').invocations.length).toBeGreaterThan(3);
  });
});

describe('target resolution', () => {
  it('a target override with other memory levels is rejected naming the buffer', () => {
    const e = dspcErrorOf(() => loadProgram(good, { target: 'hifi5' }));
    expect([e.code, e.message]).toEqual(['E_ARTIFACT', expect.stringMatching(/target 'hifi5' has no memory 'sram'/)]);
  });

  it('artifacts of a target file need that file again; with it they load and run', () => {
    const file = join(root, 'my-dsp.json');
    const desc = JSON.parse(readFileSync(join(TARGETS_DIR, 'generic-dsp.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...desc, $schema: undefined, id: 'my-dsp', kernelLaunchCycles: 7 }));
    const t = loadTarget(file);
    const dir = join(root, 'custom');
    const a = compileGraph(importOnnxFile(MODEL), t, { modelId: 'custom' });
    writeArtifacts(dir, artifactFiles(a), { force: true, modelId: 'custom' });
    const e = dspcErrorOf(() => loadProgram(dir));
    expect([e.code, e.message]).toEqual(['E_TARGET', expect.stringMatching(/'my-dsp', which is not a preset/)]);
    const p = loadProgram(dir, { target: file });
    expect(p.target.kernelLaunchCycles).toBe(7);
    expect(runProgram(p, defaultInputs(p.schedule.inputs)).size).toBe(1);
  });
});

describe('random damage never crashes the loader or the executor', () => {
  it('params.bin: every flipped bit, truncation or extension is E_ARTIFACT', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.constantFrom('flip', 'cut', 'grow'), (pos, bit, how) => {
      const i = pos % paramsBin.length;
      const bytes = how === 'flip' ? paramsBin.slice() : how === 'cut' ? paramsBin.slice(0, i) : new Uint8Array([...paramsBin, bit]);
      if (how === 'flip') bytes[i] ^= 1 << bit;
      const e = dspcErrorOf(() => programFromArtifacts({ schedule: JSON.parse(scheduleText), paramsBin: bytes }));
      expect(e.code).toBe('E_ARTIFACT');
    }), { numRuns: 200 });
  });

  it('schedule.json: any number replaced by another value loads and runs, or fails with a DspcError', () => {
    const base = JSON.parse(scheduleText) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, at: (string | number)[]): void => {
      if (typeof v === 'number') paths.push(at);
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
    };
    walk(base, []);
    const value = fc.oneof(fc.integer({ min: -3, max: 70000 }), fc.constantFrom(-1, 0, 0.5, 1e9, 2 ** 40, NaN, 'x', null));
    fc.assert(fc.property(fc.nat(), value, (k, v) => {
      const s = structuredClone(base) as Json;
      const path = paths[k % paths.length]!;
      let o = s;
      for (const p of path.slice(0, -1)) o = o[p];
      o[path.at(-1)!] = v;
      try {
        const p = programFromArtifacts({ schedule: s, paramsBin });
        runProgram(p, defaultInputs(p.schedule.inputs));
      } catch (e) {
        if (!(e instanceof DspcError)) throw new Error(`${path.join('.')} = ${String(v)}: ${(e as Error).stack}`);
      }
    }), { numRuns: 300 });
  });
});
