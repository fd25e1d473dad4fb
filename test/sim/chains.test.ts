// Tests: simulator on every shared chains model (generic-dsp, int8): fusion's measured speedup and the functional bit-accurate check.
// Contract: each model goes through the real `dspc compile -o` path (pipeline.compile) and is simulated from the emitted directory only.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTensorPb } from '../../src/frontend/index.js';
import { compile, run } from '../../src/pipeline.js';
import { simulateDir } from '../../src/sim/index.js';
import type { Simulation } from '../../src/sim/index.js';

const CHAINS = '../shared/models/chains';
const MODELS = readdirSync(CHAINS).filter((f) => !f.endsWith('.json')).sort();

/**
 * Models where the fused program is NOT faster, with why. None today: activation kernels requantize with single
 * rounding, so a merged activation is never further from float than its chain and the default verdict accepts
 * every merge. (With double rounding, LeakyRelu+PRelu and PRelu+PRelu merges were rejected on 3 and 35 codes.)
 */
const NO_GAIN: Record<string, string> = {};

/**
 * SQNR (dB) of the fused int8 program against the float interpreter, measured on the compile's stored default input
 * (worst model 32.8 dB besides the exception): asserted at 30 dB, the goal.
 */
const SQNR_GOAL = 30;
const SQNR_EXCEPT: Record<string, { min: number; why: string }> = {
  // Measured 19.7 dB fused and unfused alike (so not fusion): one logit of the final Gemm (-0.498) lies outside the
  // calibrated output range [-0.398, 0.67] and saturates (24 LSB); every other element is within 1-2 LSB.
  chain_relu_flatten_relu_linear: { min: 17, why: 'output saturates: calibrated range misses the default input' },
};

let root: string;
const sims = new Map<string, Simulation>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'dspc-sim-chains-'));
  for (const m of MODELS) {
    const out = join(root, m);
    await compile(join(CHAINS, m, 'model.onnx'), { out, target: 'generic-dsp', dtype: 'int8' });
    sims.set(m, simulateDir(out, { readTensor: readTensorPb }));
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(MODELS)('%s on generic-dsp', (m) => {
  it('fused cycles beat unfused cycles (or the merge was rejected, listed with why); ofIdeal is reported', () => {
    const r = sims.get(m)!.report;
    expect(r.cycles.unfused).not.toBeNull();
    const [u, f, i] = [r.cycles.unfused!, r.cycles.fused, r.cycles.ideal];
    expect(i).toBeLessThanOrEqual(f);
    if (m in NO_GAIN) {
      expect(f).toBe(u);
      expect(r.counts.fused.kernels).toBe(r.counts.unfused!.kernels);
    } else {
      expect(f).toBeLessThan(u);
      expect(r.counts.fused.kernels).toBeLessThan(r.counts.unfused!.kernels);
      expect(r.speedup).toBeCloseTo(u / f, 12);
    }
    expect(r.ofIdeal).toBeTypeOf('number');
    expect(r.ofIdeal!).toBeGreaterThanOrEqual(0);
    expect(r.ofIdeal!).toBeLessThanOrEqual(1);
    expect(r.kernels.reduce((s, k) => s + k.cycles, 0)).toBe(f);
    expect(r.unfusedKernels!.reduce((s, k) => s + k.cycles, 0)).toBe(u);
  });

  it('fused and unfused int8 agree with the float reference; bit for bit when every merge is bit-exact', () => {
    const f = sims.get(m)!.report.functional!;
    expect(f.input).toBe('reference');
    const min = SQNR_EXCEPT[m]?.min ?? SQNR_GOAL;
    for (const o of f.outputs) {
      expect(o.fused!.sqnrDb).toBeGreaterThanOrEqual(min);
      expect(o.unfused!.sqnrDb).toBeGreaterThanOrEqual(min);
    }
    expect(f.allMergesBitExact).not.toBeNull();
    if (f.allMergesBitExact) expect(f.identical).toBe(true);
  });
});

describe('simulateDir inputs', () => {
  it('runs on a given input and compares with a given reference (the model\'s own test data)', () => {
    const m = 'chain_relu_leakyrelu_prelu';
    const x = readTensorPb(join(CHAINS, m, 'test_data_set_0/input_0.pb'));
    const ref = run(join(CHAINS, m, 'model.onnx'), [x]);
    const s = simulateDir(join(root, m), {
      inputs: new Map([[x.name, x.tensor]]), reference: new Map(ref.map((t) => [t.name, t.tensor])),
    });
    const f = s.report.functional!;
    expect(f.input).toBe('given');
    expect(f.sqnrDb!).toBeGreaterThanOrEqual(SQNR_GOAL);
    expect(f.identical).toBe(true);
    expect([...s.outputs!.values()][0]!.dims).toEqual([1, 10]);
  });

  it('without a tensor reader falls back to the seeded default input, deterministically', () => {
    const dir = join(root, 'chain_relu_relu');
    const a = simulateDir(dir, { seed: 7 });
    const b = simulateDir(dir, { seed: 7 });
    const c = simulateDir(dir, { seed: 8 });
    expect(a.report.functional!.input).toBe('default');
    expect(a.report.functional!.sqnrDb).toBeNull();
    const out = (s: Simulation) => Array.from([...s.outputs!.values()][0]!.data as Float32Array);
    expect(out(a)).toEqual(out(b));
    expect(out(a)).not.toEqual(out(c));
  });

  it('cycle-only mode skips the functional run', () => {
    const s = simulateDir(join(root, 'chain_relu_relu'), { functional: false });
    expect(s.outputs).toBeNull();
    expect(s.report.functional).toBeUndefined();
    expect(s.report.cycles.fused).toBeGreaterThan(0);
  });
});
