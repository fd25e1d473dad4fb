// Stage: benchmark (issue 2). Import+verify time of every zoo model vs ONNX Runtime session creation, one run, side by side.
// Contract: runImportBench() prints a table (ms per call, ratio ours/ORT); goal for MobileNetV2: ratio <= 0.5.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../kernels/target.js';
import { isMain, measure as measureFor } from './common.js';
import * as ort from 'onnxruntime-node';
import { importOnnxFile } from '../src/frontend/index.js';


const measure = (name: string, fn: () => unknown, deferred: boolean) => measureFor(name, fn, deferred, 2);

function zooModels(): { name: string; file: string; bytes: number }[] {
  const zoo = path.resolve(packageRoot(), '../shared/models/zoo');
  const manifest = JSON.parse(fs.readFileSync(path.join(zoo, 'manifest.json'), 'utf8')) as { cases: { name: string }[] };
  return manifest.cases.map((c) => {
    const file = path.join(zoo, c.name, 'model.onnx');
    return { name: c.name, file, bytes: fs.statSync(file).size };
  });
}


async function ortCreate(file: string): Promise<void> {
  const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all' });
  await s.release();
}

export async function runImportBench(): Promise<void> {
  const rows: string[][] = [['model', 'size MB', 'dspc import+verify ms', 'ORT create ms', 'ratio', 'rme %']];
  for (const m of zooModels()) {
    importOnnxFile(m.file); // warm-up (JIT, file cache), also fails fast on a broken model
    await ortCreate(m.file);
    const ours = await measure(`dspc ${m.name}`, () => { importOnnxFile(m.file); }, false);
    const theirs = await measure(`ort ${m.name}`, () => ortCreate(m.file), true);
    const a = ours.stats.mean * 1e3;
    const b = theirs.stats.mean * 1e3;
    rows.push([m.name, (m.bytes / 2 ** 20).toFixed(1), a.toFixed(2), b.toFixed(2), (a / b).toFixed(3),
      `${ours.stats.rme.toFixed(1)}/${theirs.stats.rme.toFixed(1)}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  console.log('ratio = dspc import+verify / ONNX Runtime InferenceSession.create (graphOptimizationLevel all); goal MobileNetV2 <= 0.5');
}

// Direct run: `node dist/bench/import.js` (bench/run.ts wires `npm run bench -- import`).
if (isMain(import.meta.url)) {
  runImportBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
