// Tests: kernel library / targets. Preset loading, the op view handed to fusion, and every validation error.
// Why: targets are user-supplied data; each bad field must produce an E_TARGET error naming the file and the field.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DspcError } from '../../src/ir/errors.js';
import { KERNELS, kernelFor } from '../../kernels/index.js';
import { DEFAULT_TARGET, activationKernelOps, listTargets, loadTarget, presetNames, validateTarget, type Target } from '../../kernels/target.js';

const dir = mkdtempSync(join(tmpdir(), 'dspc-target-'));
let n = 0;
function writeTarget(mutate: (t: Record<string, unknown>) => void): string {
  const t = JSON.parse(JSON.stringify(loadTarget('generic-dsp'))) as Record<string, unknown>;
  mutate(t);
  const f = join(dir, `t${n++}.json`);
  writeFileSync(f, JSON.stringify(t));
  return f;
}

function expectTargetError(file: string, ...fragments: string[]): void {
  let err: unknown;
  try {
    loadTarget(file);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DspcError);
  const e = err as DspcError;
  expect(e.code).toBe('E_TARGET');
  expect(e.file).toBe(file);
  for (const f of fragments) expect(e.message).toContain(f);
}

type K = { name: string; cyclesPerVector?: number; epilogue?: string[] };
const kernelsOf = (t: Record<string, unknown>): K[] => t['kernels'] as K[];

describe('presets', () => {
  it('has the four required presets, default first', () => {
    expect(presetNames()).toEqual(expect.arrayContaining(['generic-dsp', 'ethos-u55-128', 'hifi5', 'vision-p6']));
    const all = listTargets();
    expect(all[0]!.id).toBe(DEFAULT_TARGET);
    for (const t of all) expect(presetNames()).toContain(t.id);
  });

  it('carries the issue-4 figures', () => {
    const u55 = loadTarget('ethos-u55-128');
    expect(u55.macsPerCycle.int8).toBe(128);
    expect(u55.clockHz).toBe(500e6);
    expect(u55.memories[0]!.bytesPerCycle * u55.clockHz).toBe(4e9); // SRAM 4 GB/s
    expect(u55.memories[1]!.bytesPerCycle * u55.clockHz).toBe(0.5e9); // flash 0.5 GB/s
    expect(loadTarget('hifi5').macsPerCycle).toEqual({ int8: 32, int16: 16 });
    expect(loadTarget('vision-p6').macsPerCycle).toEqual({ int8: 256, int16: 64 });
    expect(loadTarget('vision-p6').vectorLanes.int8 * 8).toBe(512);
  });

  it('generic-dsp offers Relu, LeakyRelu, PRelu, Clip, Sigmoid and Tanh, cheapest first', () => {
    const ops = activationKernelOps(loadTarget('generic-dsp'));
    expect(ops.slice(0, 6)).toEqual(['Relu', 'Clip', 'LeakyRelu', 'PRelu', 'Sigmoid', 'Tanh']);
  });

  it('ethos-u55 prices PRelu as a multi-pass decomposition, after every LUT activation', () => {
    const ops = activationKernelOps(loadTarget('ethos-u55-128'));
    expect(ops[ops.length - 1]).toBe('PRelu');
    expect(loadTarget('ethos-u55-128').kernels.find((k) => k.name === 'conv2d')!.epilogue).not.toContain('prelu');
  });

  it('every op of the zoo and chains models maps to a kernel on every preset', () => {
    // Ops after import (Constant/Shape/Gather/Div fold to constants, Identity/Dropout are views).
    const ops = ['Conv', 'Gemm', 'Relu', 'Clip', 'MaxPool', 'GlobalAveragePool', 'Flatten', 'Add', 'Mul', 'HardSigmoid',
      'Identity', 'Concat', 'Reshape', 'Slice', 'Transpose', 'ReduceMean', 'LeakyRelu', 'PRelu', 'Sigmoid'];
    for (const t of listTargets()) for (const op of ops) expect(kernelFor(op, t)?.name, `${t.id} ${op}`).toBeDefined();
  });

  it('accepts a path to a preset file as well as its name', () => {
    expect(loadTarget(join(process.cwd(), 'targets', 'hifi5.json')).id).toBe('hifi5');
  });
});

describe('validation errors', () => {
  it('unknown preset lists the presets', () => {
    expect(() => loadTarget('ethos-u99')).toThrow(/unknown target 'ethos-u99'.*generic-dsp/);
  });
  it('missing file', () => expectTargetError(join(dir, 'nope.json'), 'cannot read'));
  it('not JSON', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{ "id": ');
    expectTargetError(f, 'not valid JSON');
  });
  it('missing field', () => expectTargetError(writeTarget((t) => delete t['clockHz']), "missing field 'clockHz'"));
  it('unknown field', () => expectTargetError(writeTarget((t) => (t['clock'] = 1)), "unknown field 'clock'"));
  it('wrong type', () => expectTargetError(writeTarget((t) => (t['clockHz'] = 'fast')), 'clockHz'));
  it('non-positive clock', () => expectTargetError(writeTarget((t) => (t['clockHz'] = 0)), 'clockHz'));
  it('missing dtype', () => expectTargetError(writeTarget((t) => ((t['vectorLanes'] as Record<string, number>) = { int8: 8 } as never)), 'vectorLanes', 'int16'));
  it('bad memory entry', () => expectTargetError(writeTarget((t) => ((t['memories'] as object[])[0] = { name: 'sram' })), 'memories.0', 'sizeBytes'));
  it('duplicate memory', () => expectTargetError(writeTarget((t) => ((t['memories'] as { name: string }[])[1]!.name = 'sram')), 'memories[1].name', 'duplicate'));
  it('memories not fastest first', () => expectTargetError(writeTarget((t) => (t['memories'] as object[]).reverse()), 'memories[1].bytesPerCycle', 'fastest first'));
  it('param memory unknown', () => expectTargetError(writeTarget((t) => ((t['paramMemory'] as { memory: string }).memory = 'rom')), 'paramMemory.memory', "'rom'"));
  it('MACs not a multiple of lanes', () => expectTargetError(writeTarget((t) => ((t['macsPerCycle'] as Record<string, number>)['int8'] = 40)), 'macsPerCycle.int8'));
  it('unknown kernel', () => expectTargetError(writeTarget((t) => kernelsOf(t).push({ name: 'fft' })), "unknown kernel 'fft'"));
  it('duplicate kernel', () => expectTargetError(writeTarget((t) => kernelsOf(t).push({ name: 'conv2d' })), "'conv2d' listed twice"));
  it('activation without cost', () => expectTargetError(writeTarget((t) => delete kernelsOf(t).find((k) => k.name === 'tanh')!.cyclesPerVector), 'cyclesPerVector', "'tanh'"));
  it('activations not cheapest first', () => expectTargetError(writeTarget((t) => (kernelsOf(t).find((k) => k.name === 'relu')!.cyclesPerVector = 9)), 'cheapest first', "'clip'"));
  it('epilogue names a kernel the target lacks', () => {
    const f = writeTarget((t) => {
      t['kernels'] = kernelsOf(t).filter((k) => k.name !== 'prelu');
    });
    expectTargetError(f, 'kernels[0].epilogue[3]', "'prelu'", 'not a kernel of this target');
  });
  it('epilogue names a non-activation kernel', () => expectTargetError(writeTarget((t) => kernelsOf(t)[0]!.epilogue!.push('add')), "'add' is not an activation kernel"));
  it('activation with an epilogue', () => expectTargetError(writeTarget((t) => (kernelsOf(t).find((k) => k.name === 'relu')!.epilogue = ['clip'])), "activation kernel 'relu' cannot have an epilogue"));
  it('validateTarget on an object names the given file', () => {
    expect(() => validateTarget({}, 'inline.json')).toThrow(/^inline\.json: invalid target description/);
  });
});

describe('registry', () => {
  it('every kernel name is unique and every activation kernel has an ActivationDef', () => {
    for (const k of KERNELS.values()) expect((k.role === 'activation') === (k.activation !== undefined)).toBe(true);
  });
  it('kernelFor respects the target', () => {
    const t: Target = { ...loadTarget('generic-dsp') };
    t.kernels = t.kernels.filter((k) => k.name !== 'prelu');
    expect(kernelFor('PRelu', t)).toBeUndefined();
    expect(kernelFor('PRelu')?.name).toBe('prelu');
  });
});
