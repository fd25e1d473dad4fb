// Tests: simulator functional mode on every zoo model (generic-dsp, int8): SQNR against the float reference, fused vs unfused identity.
// Contract: real compile to a directory, then simulateDir reads only that directory; thresholds are measured values minus a margin.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorPb } from '../../src/frontend/index.js';
import { compile } from '../../src/pipeline.js';
import { simulateDir } from '../../src/sim/index.js';

const ZOO = '../shared/models/zoo';
const MODELS = readdirSync(ZOO).filter((f) => !f.endsWith('.json')).sort();

/**
 * SQNR (dB) of the int8 program's output against the float interpreter on the compile's stored default input,
 * asserted 3 dB below what was measured (fused = unfused in every case). The goal is 30 dB; the three deep
 * random-weight networks miss it. Not a kernel or fusion error: every MobileNetV2 invocation run alone on the
 * interpreter's input of its layer reaches 35-40 dB, and the error grows layer by layer (37.8 dB after the first
 * conv, 14.5 dB at the classifier). Not activation resolution or calibration either: the int16 program reaches only
 * 17.1 dB, and calibrating on the very input simulated still gives 14.5 dB. Both share int8 per-channel weights,
 * whose quantization error compounds through 52 convolutions of an untrained network.
 */
const MEASURED: Record<string, number> = {
  mobilenet_v2: 14.5,
  mobilenet_v3_small: 15.1,
  resnet18: 28.7,
  shufflenet_v2_x0_5: 15.9,
  squeezenet1_1: 38.2,
  tiny_cnn: 36.8,
};
const MARGIN_DB = 3;

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'dspc-sim-zoo-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('zoo models, int8 on generic-dsp', () => {
  it('has a measured threshold for every zoo model', () => {
    expect(Object.keys(MEASURED).sort()).toEqual(MODELS);
  });

  it.each(MODELS)('%s: fused and unfused agree with the float reference, bit for bit with each other when merges are exact', async (m) => {
    const out = join(root, m);
    await compile(join(ZOO, m, 'model.onnx'), { out, target: 'generic-dsp', dtype: 'int8' });
    const s = simulateDir(out, { readTensor: readTensorPb });
    const f = s.report.functional!;
    expect(f.input).toBe('reference');
    for (const o of f.outputs) {
      expect(o.fused!.sqnrDb).toBeGreaterThanOrEqual(MEASURED[m]! - MARGIN_DB);
      expect(o.unfused!.sqnrDb).toBeGreaterThanOrEqual(MEASURED[m]! - MARGIN_DB);
    }
    if (f.allMergesBitExact) expect(f.identical).toBe(true);
    // where the time goes: every invocation is accounted for and says what bounds it
    const r = s.report;
    expect(r.kernels.reduce((a, k) => a + k.cycles, 0)).toBe(r.cycles.fused);
    expect(Object.values(r.byKernel).reduce((a, k) => a + k.cycles, 0)).toBe(r.cycles.fused);
    expect(r.cycles.fused).toBeLessThanOrEqual(r.cycles.unfused!);
    expect(r.kernels.every((k) => ['compute', 'memory', 'dma', 'launch', 'free'].includes(k.bound))).toBe(true);
    expect(r.macs).toBeGreaterThan(1e7);
  });
});
