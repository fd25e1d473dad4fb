// Stage: benchmark (issue 5). Bit-accurate int8 simulation of MobileNetV2 vs ONNX Runtime float inference, one run, side by side.
// Contract: runSimBench() prints ms per inference, MAC/s and the ratio sim/ORT (goal <= 20x), plus where the simulator's time goes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../kernels/target.js';
import { isMain, measure as measureFor } from './common.js';
import * as ort from 'onnxruntime-node';
import { readTensorPb } from '../src/frontend/index.js';
import { compile } from '../src/pipeline.js';
import { errorStats, estimate, programFromArtifacts, runProgram } from '../src/sim/index.js';
import type { Program } from '../src/sim/index.js';
import type { Tensor } from '../src/ir/tensor.js';



/** Milliseconds per kernel name over one run (where the simulator's time goes). */
const measure = (name: string, fn: () => unknown, deferred: boolean) => measureFor(name, fn, deferred, 4);

function profile(p: Program, inputs: Map<string, Tensor>): [string, number, number][] {
  const ms = new Map<string, { ms: number; n: number }>();
  runProgram(p, inputs, {
    onInvocation: (inv, t) => {
      const e = ms.get(inv.kernel) ?? { ms: 0, n: 0 };
      e.ms += t;
      e.n++;
      ms.set(inv.kernel, e);
    },
  });
  return [...ms].map(([k, e]): [string, number, number] => [k, e.n, e.ms]).sort((a, b) => b[2] - a[2]);
}

/**
 * Compile to a Program (what `dspc simulate` loads from disk), keeping nothing else of the compile alive: a large
 * old generation left over from compiling would slow every garbage collection the timed runs trigger.
 */
async function compileProgram(model: string): Promise<Program> {
  const a = (await compile(model, { target: 'generic-dsp', dtype: 'int8' })).artifacts;
  return programFromArtifacts({ schedule: JSON.parse(JSON.stringify(a.schedule)) as unknown, paramsBin: a.paramsBin, report: a.report });
}

export async function runSimBench(): Promise<void> {
  const dir = path.resolve(packageRoot(), '../shared/models/zoo/mobilenet_v2');
  const model = path.join(dir, 'model.onnx');
  const { name, tensor } = readTensorPb(path.join(dir, 'test_data_set_0/input_0.pb'));
  const expected = readTensorPb(path.join(dir, 'test_data_set_0/output_0.pb')).tensor;

  const program = await compileProgram(model);
  (globalThis as { gc?: () => void }).gc?.(); // the compile's graphs are garbage now; collect them before timing
  const macs = estimate(program).macs;
  const inputs = new Map([[program.schedule.inputs[0]!.name, tensor]]);

  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', tensor.data as Float32Array, [...tensor.dims]) };

  // Warm-up (JIT, ORT arenas) and a correctness check of both against the stored torch output.
  const simOut = [...runProgram(program, inputs).values()][0]!;
  const ortOut = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
  const simErr = errorStats(expected.data as Float32Array, simOut.data as Float32Array);
  const ortErr = errorStats(expected.data as Float32Array, ortOut);

  const sim = await measure('dspc bit-accurate int8', () => { runProgram(program, inputs); }, false);
  const rt = await measure('onnxruntime float32 1 thread', () => session.run(feeds), true);
  await session.release();

  const simMs = sim.stats.mean * 1e3;
  const ortMs = rt.stats.mean * 1e3;
  const rows = [
    ['engine', 'ms/inference', 'MMAC/s', 'rme %', 'samples', 'SQNR vs torch dB'],
    ['dspc simulate (int8, bit-accurate)', simMs.toFixed(1), (macs / sim.stats.mean / 1e6).toFixed(0), sim.stats.rme.toFixed(1), String(sim.stats.sample.length), simErr.sqnrDb.toFixed(1)],
    ['onnxruntime-node (float32, 1 thread)', ortMs.toFixed(2), (macs / rt.stats.mean / 1e6).toFixed(0), rt.stats.rme.toFixed(1), String(rt.stats.sample.length), ortErr.sqnrDb.toFixed(1)],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  console.log(`MobileNetV2 (${name}), ${(macs / 1e6).toFixed(1)} MMAC, ${program.schedule.invocations.length} invocations on ${program.target.id}`);
  console.log(`ratio = simulation / ONNX Runtime = ${(simMs / ortMs).toFixed(1)}x (goal <= 20x)`);
  const prof = profile(program, inputs);
  console.log('simulator time by kernel (one run): ' + prof.map(([k, n, ms]) => `${k} x${n} ${ms.toFixed(1)} ms`).join(', '));
}

// Direct run: `node dist/bench/sim.js` (bench/run.ts wires `npm run bench -- sim`).
if (isMain(import.meta.url)) {
  runSimBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
