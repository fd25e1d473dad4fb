// Test: backend artifact loader. validateSchedule rejects every inconsistent field of schedule.json with E_ARTIFACT naming the path.
// Contract: buffer indices, tensor sizes, memory bounds and parameter references are all checked against params.bin.
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../kernels/target.js';
import { compileGraph, parseParamsBin, validateSchedule } from '../../src/backend/index.js';
import { DspcError } from '../../src/ir/errors.js';
import { convChain } from './util.js';

const a = compileGraph(convChain([{ op: 'Relu' }, { op: 'Sigmoid' }]), loadTarget('generic-dsp'));
const pf = parseParamsBin(a.paramsBin, 'params.bin');
// Mutations poke arbitrary JSON paths, exactly what an untyped damaged file would hold.
type J = Record<string, any>;

function rejects(mutate: (s: J) => void, pattern: RegExp): void {
  const s = JSON.parse(JSON.stringify(a.schedule)) as J;
  mutate(s);
  try {
    validateSchedule(s, 'out/schedule.json', pf);
  } catch (e) {
    expect(e).toBeInstanceOf(DspcError);
    expect((e as DspcError).code).toBe('E_ARTIFACT');
    expect((e as DspcError).message).toMatch(/^out\/schedule\.json: schedule\.json /);
    expect((e as DspcError).message).toMatch(pattern);
    return;
  }
  throw new Error(`accepted a bad schedule (${pattern})`);
}

describe('validateSchedule', () => {
  it('accepts what the backend wrote', () => {
    expect(validateSchedule(JSON.parse(JSON.stringify(a.schedule)), 'schedule.json', pf).invocations).toHaveLength(2);
  });

  it('rejects wrong format, version and types', () => {
    rejects((s) => { s.version = 99; }, /version: 99 is not supported/);
    rejects((s) => { s.format = 'x'; }, /format/);
    rejects((s) => { s.dtype = 'int4'; }, /dtype: must be one of/);
    rejects((s) => { s.invocations = {}; }, /invocations: must be an array/);
  });

  it('rejects out-of-range buffers, oversized tensors and memory overflow', () => {
    rejects((s) => { s.invocations[0].outputs[0].buffer = 99; }, /invocations\[0\]\.outputs\[0\]\.buffer: must be an integer/);
    rejects((s) => { s.invocations[1].inputs[0].shape = [1, 4, 80, 80]; }, /needs \d+ bytes but buffer/);
    rejects((s) => { s.buffers[0].offset = s.memories[0].size; }, /exceeds memory 'sram'/);
    rejects((s) => { s.buffers[0].memory = 'l9'; }, /unknown memory level 'l9'/);
    rejects((s) => { s.inputs[0].scale = -1; }, /inputs\[0\]\.scale: must be positive/);
  });

  it('rejects parameter references that do not match params.bin', () => {
    rejects((s) => { s.invocations[0].params[0].record = 999; }, /params\[0\]\.record/);
    rejects((s) => { s.invocations[0].params[0].offset += 16; }, /does not match params\.bin record 0/);
    rejects((s) => { s.invocations[0].params[0].offset = a.paramsBin.length; }, /outside params\.bin/);
    rejects((s) => { s.params.crc32 = (s.params.crc32 + 1) >>> 0; }, /different compiles/);
    rejects((s) => { s.invocations[0].epilogue.params[0].record = 0; }, /epilogue\.params\[0\]: does not match/);
  });
});
