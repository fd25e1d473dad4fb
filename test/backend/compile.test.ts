// Test: backend end to end on the shared chains models: every preset, artifacts valid, params.bin/params.h equal, deterministic.
// Contract: the emitted program (run through the kernels' references by test/backend/harness.ts) tracks the float reference.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget, presetNames } from '../../kernels/target.js';
import { artifactFiles, compileGraph, loadCalibrationDir, parseParamsBin, validateSchedule } from '../../src/backend/index.js';
import { importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import { interpret } from '../../src/ir/interpret.js';
import { runArtifacts, sqnr } from './harness.js';

const CHAINS = new URL('../../../shared/models/chains/', import.meta.url).pathname;
const models = readdirSync(CHAINS).filter((f) => !f.endsWith('.json')).sort();
const load = (m: string) => importOnnxFile(join(CHAINS, m, 'model.onnx'));

function hasGcc(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('compile chains models', () => {
  it('has the shared models', () => expect(models.length).toBeGreaterThanOrEqual(14));

  for (const preset of presetNames()) {
    it(`every chains model compiles for ${preset} with valid, consistent artifacts`, () => {
      const target = loadTarget(preset);
      const allowed = new Set(target.kernels.map((k) => k.name));
      for (const m of models) {
        const a = compileGraph(load(m), target, { modelId: m });
        const pf = parseParamsBin(a.paramsBin, `${m}/params.bin`);
        const s = validateSchedule(JSON.parse(JSON.stringify(a.schedule)), `${m}/schedule.json`, pf);
        expect(pf.targetId).toBe(target.id);
        expect(s.invocations.length).toBe(a.report.kernels.after);
        for (const inv of s.invocations) {
          expect(allowed.has(inv.kernel)).toBe(true);
          if (inv.epilogue) expect(target.kernels.find((k) => k.name === inv.kernel)!.epilogue).toContain(inv.epilogue.kernel);
        }
        // Every table of the lowering reads back equal.
        expect(pf.records.map((r) => [r.kernel, r.field, r.node, r.invocation, r.dtype, Array.from(r.data)]))
          .toEqual(a.lowering.tables.map((t) => [t.kernel, t.field, t.node, t.invocation, t.dtype, Array.from(t.data)]));
        expect(a.report.memory.peakBytes).toBeGreaterThan(0);
        expect(a.report.memory.levels[0]!.name).toBe(target.memories[0]!.name);
      }
    });
  }

  it('the int8 and int16 programs track the float reference when calibrated on the test input', () => {
    const target = loadTarget('generic-dsp');
    for (const m of models) {
      const g = load(m);
      const dir = join(CHAINS, m, 'test_data_set_0');
      const calibration = loadCalibrationDir(dir, g);
      expect(calibration.info).toMatchObject({ source: 'files', samples: 1, files: ['input_0.pb'] });
      const inputs = new Map([[g.inputs[0]!.name, readTensorPb(join(dir, 'input_0.pb')).tensor]]);
      const ref = interpret(g, inputs).get(g.outputs[0]!.name)!.data as Float32Array;
      for (const dtype of ['int8', 'int16'] as const) {
        const a = compileGraph(g, target, { dtype, calibration });
        const got = runArtifacts(JSON.parse(JSON.stringify(a.schedule)), a.paramsBin, inputs).get(g.outputs[0]!.name)!.data as Float32Array;
        // int8 weights in both modes (16x8), so int16 gains over int8 mostly on weight-free models.
        expect(sqnr(ref, got), `${m} ${dtype}`).toBeGreaterThan(dtype === 'int8' ? 20 : 25);
      }
    }
  });

  it('compiles twice to byte-identical artifacts', () => {
    const target = loadTarget('generic-dsp');
    for (const m of ['chain_6blocks_mixed', 'chain_prelu_prelu']) {
      for (const dtype of ['int8', 'int16'] as const) {
        const a = artifactFiles(compileGraph(load(m), target, { dtype }));
        const b = artifactFiles(compileGraph(load(m), target, { dtype }));
        expect(Object.keys(a)).toEqual(['schedule.json', 'params.bin', 'params.h', 'report.json']);
        for (const k of Object.keys(a)) expect(b[k], k).toEqual(a[k]);
      }
    }
  });

  it.runIf(hasGcc())('params.h compiles as C99 and holds the same tables as params.bin', () => {
    const a = compileGraph(load('chain_6blocks_mixed'), loadTarget('generic-dsp'), { dtype: 'int16' });
    const dir = mkdtempSync(join(tmpdir(), 'dspc-h-'));
    writeFileSync(join(dir, 'params.h'), a.paramsH);
    writeFileSync(join(dir, 'main.c'), [
      '#include <stdio.h>', '#include "params.h"',
      'static long long sum(const dspc_record_t *r) { long long s = 0; for (uint32_t i = 0; i < r->count; i++) {',
      '  switch (r->dtype) { case 1: s += ((const int8_t *)r->data)[i]; break; case 2: s += ((const uint8_t *)r->data)[i]; break;',
      '  case 3: s += ((const int16_t *)r->data)[i]; break; case 4: s += ((const int32_t *)r->data)[i]; break; } } return s; }',
      'int main(void) { for (int i = 0; i < DSPC_PARAMS_RECORDS; i++) printf("%u %u %lld\\n", dspc_records[i].offset, dspc_records[i].count, sum(&dspc_records[i]));',
      '  printf("%u %u\\n", (unsigned)DSPC_PARAMS_BIN_BYTES, (unsigned)DSPC_PARAMS_CRC32); return 0; }',
    ].join('\n'));
    execFileSync('gcc', ['-std=c99', '-Wall', '-Werror', '-o', join(dir, 'main'), join(dir, 'main.c')]);
    const lines = execFileSync(join(dir, 'main'), { encoding: 'utf8' }).trim().split('\n');
    const pf = parseParamsBin(a.paramsBin, 'params.bin');
    const want = pf.records.map((r) => `${r.offset} ${r.count} ${Array.from(r.data as ArrayLike<number>).reduce((s, v) => s + v, 0)}`);
    expect(lines).toEqual([...want, `${a.paramsBin.length} ${pf.crc32}`]);
  });
});
