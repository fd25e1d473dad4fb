// Export contract: import -> export -> import prints the same IR for every shared model, exports are byte-deterministic,
// and exported zoo/chains (and conformance) models run in ONNX Runtime with the stored reference outputs.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { exportOnnx, importOnnxBytes, importOnnxFile } from '../../src/frontend/index.js';
import { printGraph } from '../../src/ir/print.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { cases, importOptions, testData, type Case } from './helpers.js';

const ALL = [...cases('zoo'), ...cases('chains'), ...cases('conformance')];

describe('import -> export -> import gives the same printed IR', () => {
  it.each(ALL.map((c) => [`${c.set}/${c.name}`, c]))('%s', (_n, c) => {
    const g1 = importOnnxFile(c.model, importOptions(c));
    const bytes = exportOnnx(g1);
    const g2 = importOnnxBytes(bytes, `${c.name}.exported.onnx`);
    expect(printGraph(g2)).toBe(printGraph(g1));
    // Deterministic: the same graph exports to the same bytes.
    expect(Buffer.from(exportOnnx(g2)).equals(Buffer.from(bytes))).toBe(true);
  });
});

function ortTensor(t: Tensor): ort.Tensor {
  const type = t.dtype === 'float32' ? 'float32' : t.dtype === 'int8' ? 'int8' : t.dtype === 'uint8' ? 'uint8' : t.dtype === 'int64' ? 'int64' : 'float64';
  return new ort.Tensor(type, t.data as Float32Array, [...t.dims]);
}

function maxAbsDiff(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(Number(a[i]) - Number(b[i])));
  return m;
}

/** Tolerances from ../shared/models/README.md (ORT vs torch); conformance outputs are ONNX's own (1e-5 abs). */
const ATOL: Readonly<Record<string, number>> = { zoo: 1e-4, chains: 1e-5, conformance: 1e-5 };

async function runExported(c: Case): Promise<number> {
  const g = importOnnxFile(c.model, importOptions(c));
  const session = await ort.InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'disabled' });
  try {
    const { inputs, outputs } = testData(c);
    const runtime = new Set(g.inputs.map((i) => i.name));
    const feeds: Record<string, ort.Tensor> = {};
    // Old backend-test .pb files may carry no name: then they are positional over the graph inputs/outputs.
    inputs.forEach((t, k) => {
      if (runtime.has(t.name)) feeds[t.name] = ortTensor(t.tensor);
      else if (!t.name) feeds[g.inputs[k]!.name] = ortTensor(t.tensor);
    });
    const got = await session.run(feeds);
    let worst = 0;
    for (const [k, o] of outputs.entries()) {
      const r = got[o.name || g.outputs[k]!.name];
      expect(r, `output ${o.name}`).toBeDefined();
      expect([...r!.dims]).toEqual([...o.tensor.dims]);
      worst = Math.max(worst, maxAbsDiff(r!.data as Float32Array, o.tensor.data as Float32Array));
    }
    return worst;
  } finally {
    await session.release();
  }
}

describe('exported models run in ONNX Runtime with the reference outputs', () => {
  it.each(ALL.map((c) => [`${c.set}/${c.name}`, c]))('%s', async (_n, c) => {
    expect(await runExported(c)).toBeLessThanOrEqual(ATOL[c.set]!);
  });
});
