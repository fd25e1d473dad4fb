// Test support (IR). Loads a shared-model case (model.onnx + test_data_set_0) and compares interpreter outputs to it.
// Contract: inputs bind by name, falling back to position among runtime inputs (ONNX test layout); no case is skipped silently.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importOnnxFile } from '../../src/frontend/onnx/import.js';
import { readTensorPb } from '../../src/frontend/onnx/tensorproto.js';
import type { Graph } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import type { Tensor } from '../../src/ir/tensor.js';

export const MODELS = path.resolve(fileURLToPath(new URL('../../../shared/models', import.meta.url)));

export function caseDirs(set: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, set, 'manifest.json'), 'utf8')) as { cases: { name: string }[] };
  return manifest.cases.map((c) => c.name);
}

function numbered(dir: string, prefix: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10))
    .map((f) => path.join(dir, f));
}

export interface CaseRun {
  graph: Graph;
  got: Map<string, Tensor>;
  expected: { name: string; tensor: Tensor }[];
}

export function runCase(set: string, name: string): CaseRun {
  const dir = path.join(MODELS, set, name);
  const graph = importOnnxFile(path.join(dir, 'model.onnx'));
  const data = path.join(dir, 'test_data_set_0');
  const inputs = new Map<string, Tensor>();
  numbered(data, 'input_').forEach((f, i) => {
    const { name: n, tensor } = readTensorPb(f);
    const byName = graph.inputs.find((v) => v.name === n);
    const target = byName ?? graph.inputs[i];
    if (target) inputs.set(target.name, tensor);
  });
  const got = interpret(graph, inputs);
  const expected = numbered(data, 'output_').map((f, i) => {
    const r = readTensorPb(f);
    // outputs bind by name when the stored name is a graph output, else by position
    return graph.outputs.some((o) => o.name === r.name) ? r : { name: graph.outputs[i]!.name, tensor: r.tensor };
  });
  return { graph, got, expected };
}

export interface Diff { maxAbs: number; worst: string | null }

/** Largest |got - want| and the first element violating |d| <= atol + rtol*|want| (null when all pass). */
export function compare(got: Tensor | undefined, want: Tensor, atol: number, rtol: number): Diff {
  if (!got) return { maxAbs: Infinity, worst: 'output missing' };
  if (got.dims.join() !== want.dims.join()) return { maxAbs: Infinity, worst: `shape [${got.dims}] vs [${want.dims}]` };
  let maxAbs = 0;
  let worst: string | null = null;
  for (let i = 0; i < want.data.length; i++) {
    const w = Number(want.data[i]), g = Number(got.data[i]);
    const d = Math.abs(w - g);
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) && !(Number.isNaN(w) && Number.isNaN(g)) ? Infinity : Math.max(maxAbs, d || 0);
    if (worst === null && !(d <= atol + rtol * Math.abs(w)) && !(Number.isNaN(w) && Number.isNaN(g))) worst = `element ${i}: got ${g}, want ${w}`;
  }
  return { maxAbs, worst };
}
