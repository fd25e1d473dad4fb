// Test: backend on the shared zoo models (slower file): every model compiles for every preset with valid artifacts.
// Contract: one calibration per model (compiles share it through the backend's memo); artifacts validate and respect the target.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTargets } from '../../kernels/target.js';
import { compileGraph, parseParamsBin, validateSchedule } from '../../src/backend/index.js';
import { importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import { interpret } from '../../src/ir/interpret.js';
import { runArtifacts, sqnr } from './harness.js';

const ZOO = new URL('../../../shared/models/zoo/', import.meta.url).pathname;
const models = readdirSync(ZOO).filter((f) => !f.endsWith('.json')).sort();
const targets = listTargets();

describe('compile zoo models', () => {
  it('has the shared zoo', () => expect(models.length).toBeGreaterThanOrEqual(6));

  for (const m of models) {
    it(`${m} compiles for every preset`, () => {
      const g = importOnnxFile(join(ZOO, m, 'model.onnx'));
      for (const t of targets) {
        const a = compileGraph(g, t, { modelId: m });
        const pf = parseParamsBin(a.paramsBin, `${m}/params.bin`);
        const s = validateSchedule(JSON.parse(JSON.stringify(a.schedule)), `${m}/schedule.json`, pf);
        const listed = new Set(t.kernels.map((k) => k.name));
        for (const inv of s.invocations) expect(listed.has(inv.kernel), `${m} on ${t.id}: ${inv.kernel}`).toBe(true);
        expect(a.report.calibration.source).toBe('random');
        expect(a.report.memory.peakBytes).toBeGreaterThan(0);
        // Whatever does not fit on chip is placed in a later level, never dropped.
        expect(a.report.memory.levels.reduce((s2, l) => s2 + l.used, 0)).toBeGreaterThanOrEqual(a.report.memory.allocatedBytes);
      }
    });
  }

  it('tiny_cnn int8 tracks the float reference (SQNR > 30 dB on the stored input)', () => {
    const g = importOnnxFile(join(ZOO, 'tiny_cnn', 'model.onnx'));
    const inputs = new Map([[g.inputs[0]!.name, readTensorPb(join(ZOO, 'tiny_cnn', 'test_data_set_0', 'input_0.pb')).tensor]]);
    const out = g.outputs[0]!.name;
    const ref = interpret(g, inputs).get(out)!.data as Float32Array;
    const a = compileGraph(g, targets[0]!);
    const got = runArtifacts(JSON.parse(JSON.stringify(a.schedule)), a.paramsBin, inputs).get(out)!.data as Float32Array;
    expect(sqnr(ref, got)).toBeGreaterThan(30);
  });
});
