// Tests of mixed precision (--min-sqnr): precision units, the greedy search, and the mixed program it emits.

import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompileResult } from '../../src/pipeline.js';
import { precisionUnits } from '../../src/backend/index.js';
import { compile } from '../../src/pipeline.js';
import { KERNELS } from '../../kernels/index.js';
import { dspc, expectOneLineError, MODELS } from '../cli/helpers.js';

const MODEL = path.join(MODELS, 'chains/chain_6blocks_mixed/model.onnx');

describe('--min-sqnr', () => {
  let all: CompileResult;
  beforeAll(async () => {
    all = await compile(MODEL, { minSqnr: 300, simulate: true, accuracy: true });
  });

  it('a reachable target raises nothing; an unreachable one raises every unit, in steps, and says so', async () => {
    const easy = await compile(MODEL, { minSqnr: 0 });
    expect(easy.artifacts.report.precision).toMatchObject({ reached: true, steps: [], int16Kernels: [] });
    expect(easy.artifacts.schedule.invocations.every((i) => i.outputs.every((o) => o.dtype === 'int8'))).toBe(true);

    const res = all;
    const p = res.artifacts.report.precision!;
    expect(p.reached).toBe(false);
    expect(p.steps.length).toBeGreaterThan(1);
    expect(p.int16Kernels.length).toBe(res.artifacts.schedule.invocations.length);
    expect(p.cycles.mixed).toBeGreaterThan(p.cycles.int8);
    expect(p.sqnrDb.mixed).toBeGreaterThan(p.sqnrDb.int8);
    // the last step's figures are the final program's
    expect(p.steps[p.steps.length - 1]!.sqnrDb).toBe(p.sqnrDb.mixed);
    expect(res.simulation!.cycles.fused).toBe(p.cycles.mixed);
    // the emitted program runs bit-accurately, and its accuracy report shows int16 outputs
    expect(res.simulation!.functional!.sqnrDb!).toBeGreaterThan(30);
    expect(res.artifacts.report.accuracy!.kernels.every((k) => k.dtype === 'int16')).toBe(true);
  });

  it('units keep every activation kernel and epilogue in one type with its input', async () => {
    const res = all;
    const g = res.artifacts.graph;
    const units = precisionUnits(g, res.target);
    const values = units.flatMap((u) => u.values);
    expect(new Set(values).size).toBe(values.length); // a partition
    for (const inv of res.artifacts.schedule.invocations) {
      if (KERNELS.get(inv.kernel)?.role === 'activation') expect(inv.inputs[0]!.dtype).toBe(inv.outputs[0]!.dtype);
    }
  });

  it('a partial raise leaves int8 and int16 tensors side by side with requantizing boundaries', async () => {
    const int8 = await compile(MODEL, { minSqnr: 0 });
    const target = int8.artifacts.report.precision!.sqnrDb.int8 + 0.5;
    const res = await compile(MODEL, { minSqnr: target, simulate: true });
    const p = res.artifacts.report.precision!;
    const dtypes = new Set(res.artifacts.schedule.invocations.flatMap((i) => [...i.inputs, ...i.outputs].map((t) => t.dtype)));
    if (p.int16Kernels.length < res.artifacts.schedule.invocations.length) expect(dtypes).toEqual(new Set(['int8', 'int16']));
    expect(p.reached).toBe(p.sqnrDb.mixed >= target);
    expect(res.simulation!.functional!.sqnrDb).not.toBeNull();
  });

  it('CLI: a bad value or an int16 program is one line, exit 2', () => {
    expect(expectOneLineError(dspc(['compile', MODEL, '--json', '--min-sqnr', 'lots']))).toMatch(/--min-sqnr must be a number/);
    expect(expectOneLineError(dspc(['compile', MODEL, '--json', '--min-sqnr', '30', '--dtype', 'int16']))).toMatch(/needs --dtype int8/);
  });
});
