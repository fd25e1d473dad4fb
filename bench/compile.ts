// Stage: benchmark. `dspc compile` of MobileNetV2 (int8, default calibration) with and without simulation vs ONNX Runtime, side by side in one run.
// Contract: runCompileBench() prints wall seconds, peak RSS and the ratio to ORT session creation plus eight inferences (goal <= 8x; compile <= 1.0 s, with --simulate <= 1.5 s).

import * as path from 'node:path';
import { packageRoot } from '../kernels/target.js';
import { isMain, loadLine, mean } from './common.js';
import * as ort from 'onnxruntime-node';
import { compile } from '../src/pipeline.js';

const ROUNDS = 3;

async function ortCreateAndRun(file: string): Promise<number> {
  const t0 = performance.now();
  const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all' });
  const inp = s.inputNames[0]!;
  const feeds = { [inp]: new ort.Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]) };
  for (let i = 0; i < 8; i++) await s.run(feeds);
  await s.release();
  return performance.now() - t0;
}

async function dspcCompile(file: string, simulate: boolean): Promise<number> {
  const t0 = performance.now();
  await compile(file, { target: 'generic-dsp', dtype: 'int8', simulate, functional: simulate });
  return performance.now() - t0;
}

export async function runCompileBench(): Promise<void> {
  const model = path.resolve(packageRoot(), '../shared/models/zoo/mobilenet_v2/model.onnx');
  await ortCreateAndRun(model); // warm-up
  await dspcCompile(model, false);
  const ortMs: number[] = [], plain: number[] = [], sim: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ortMs.push(await ortCreateAndRun(model));
    plain.push(await dspcCompile(model, false));
    sim.push(await dspcCompile(model, true));
  }
  const o = mean(ortMs), p = mean(plain), s = mean(sim);
  console.log(`MobileNetV2, ${ROUNDS} interleaved rounds: ORT create + 8 inferences ${o.toFixed(0)} ms; dspc compile ${(p / 1e3).toFixed(2)} s ` +
    `(${(p / o).toFixed(1)}x ORT, goal <= 8x and <= 1.0 s); with simulation ${(s / 1e3).toFixed(2)} s (goal <= 1.5 s)`);
  console.log(`  rounds (ORT ms / compile s / simulate s): ${ortMs.map((x, i) => `${x.toFixed(0)}/${(plain[i]! / 1e3).toFixed(2)}/${(sim[i]! / 1e3).toFixed(2)}`).join(', ')}`);
  console.log(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (includes ORT; a single \`dspc compile --simulate --timings\` gives the compile's own)`);
  console.log(loadLine());
}

// Direct run: `node dist/bench/compile.js` (bench/run.ts wires `npm run bench -- compile`).
if (isMain(import.meta.url)) {
  runCompileBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
