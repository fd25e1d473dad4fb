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
 * asserted 3 dB below what was measured (fused = unfused in every case). The goal is 30 dB; four of the
 * random-weight networks miss it, and no int8 program can reach it on two of them. Measured (scripts in the
 * quantization report, generic-dsp, default calibration):
 * - Not a kernel, table or fusion error: test/backend/precision.test.ts pins every invocation within 1 LSB of the
 *   ideal requantized result, and a float fake-quant model with the program's scales and int8 weights reproduces the
 *   program's SQNR (MobileNetV2 14.4, ResNet18 28.7, ShuffleNet 15.7 dB).
 * - The networks amplify small perturbations: Gaussian noise at 40 dB SQNR on the input alone (float otherwise)
 *   leaves MobileNetV2 at 18.1 dB, ShuffleNet 20.4, MobileNetV3-small 32.1, ResNet18 36.3. Quantizing only the
 *   input to int8 (everything else float) caps MobileNetV2 at 17.4 dB and ShuffleNet at 19.7: below 30 dB for any
 *   int8 program. The int16 program of MobileNetV3-small reaches 27.7 dB (int8 weights: 27.5 alone).
 * - Every one of the ~60-130 requantized activations adds noise at the int8 floor (37-42 dB per tensor for these
 *   near-Gaussian activations); no single layer stands out. MSE-optimal (histogram) ranges, per-channel MSE weight
 *   clipping and empirical bias correction were tried: pooled over 4-6 inputs none moved any model by more than
 *   ~1 dB, in either direction, so none was kept.
 * - A single input's SQNR varies by about +-2 dB with the input (MobileNetV3-small: 15.1 to 19.1 over six seeded
 *   inputs, seeds 12345-12350), hence the 3 dB margin.
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
