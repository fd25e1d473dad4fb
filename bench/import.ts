// Stage: benchmark (issue 2). Import+verify time of every zoo model vs ONNX Runtime session creation, side by side in one run.
// Contract: runImportBench() prints one table (rounds interleaved, samples pooled): ms per call, ratio ours/ORT; goal for MobileNetV2: ratio <= 0.5.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../kernels/target.js';
import { isMain, loadLine, mean, measure as measureFor, median, rme } from './common.js';
import * as ort from 'onnxruntime-node';
import { importOnnxFile } from '../src/frontend/index.js';

/**
 * Rounds: every model is measured (dspc, then ORT, alternating which goes first) once per round and the samples of
 * all rounds pooled, so a drift of the host's speed within the run falls on both sides of each ratio alike.
 */
const ROUNDS = 3;

const measure = (name: string, fn: () => unknown, deferred: boolean): Promise<number[]> =>
  measureFor(name, fn, deferred, 1, 5).then((b) => b.stats.sample.map((sec) => sec * 1e3));

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
  const models = zooModels();
  const ours = new Map<string, number[][]>(models.map((m) => [m.name, []]));
  const theirs = new Map<string, number[][]>(models.map((m) => [m.name, []]));
  for (const m of models) {
    importOnnxFile(m.file); // warm-up (JIT, file cache), also fails fast on a broken model
    await ortCreate(m.file);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const m of models) {
      const a = (): Promise<number[]> => measure(`dspc ${m.name}`, () => { importOnnxFile(m.file); }, false);
      const b = (): Promise<number[]> => measure(`ort ${m.name}`, () => ortCreate(m.file), true);
      if (round % 2 === 0) {
        ours.get(m.name)!.push(await a());
        theirs.get(m.name)!.push(await b());
      } else {
        theirs.get(m.name)!.push(await b());
        ours.get(m.name)!.push(await a());
      }
    }
  }
  const rows: string[][] = [['model', 'size MB', 'dspc import+verify ms', 'ORT create ms', 'ratio (means)', 'ratio (medians)', 'by round', 'rme %', 'samples']];
  for (const m of models) {
    const a = ours.get(m.name)!, b = theirs.get(m.name)!;
    const pa = a.flat(), pb = b.flat();
    const byRound = a.map((xs, i) => (mean(xs) / mean(b[i]!)).toFixed(2)).join('/');
    rows.push([m.name, (m.bytes / 2 ** 20).toFixed(1), mean(pa).toFixed(2), mean(pb).toFixed(2), (mean(pa) / mean(pb)).toFixed(3),
      (median(pa) / median(pb)).toFixed(3), byRound, `${rme(pa).toFixed(1)}/${rme(pb).toFixed(1)}`, `${pa.length}/${pb.length}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  console.log(`ratio = dspc import+verify / ONNX Runtime InferenceSession.create (graphOptimizationLevel all), ${ROUNDS} interleaved rounds pooled; goal MobileNetV2 <= 0.5`);
  console.log(loadLine());
}

// Direct run: `node dist/bench/import.js` (bench/run.ts wires `npm run bench -- import`).
if (isMain(import.meta.url)) {
  runImportBench().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
