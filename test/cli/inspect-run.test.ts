// Tests of `dspc inspect` and `dspc run` through the built CLI, against the shared models' manifests and stored outputs.
// Why: these are the first commands a user tries; their counts must agree with the manifest up to documented import folding.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTensorPb } from '../../src/frontend/index.js';
import { toFloat32 } from '../../src/ir/tensor.js';
import { chain, dspc, json, MODELS, tmpDir, zoo } from './helpers.js';

interface ManifestCase { name: string; nodes: number; ops: Record<string, number>; params: number; inputs: Record<string, number[]>; outputs: Record<string, number[]> }
interface InspectJson { nodes: number; ops: Record<string, number>; params: number; macs: number; inputs: Record<string, number[]>; outputs: Record<string, number[]> }

function manifestCase(name: string): ManifestCase {
  const m = JSON.parse(fs.readFileSync(path.join(MODELS, 'zoo/manifest.json'), 'utf8')) as { cases: ManifestCase[] };
  return m.cases.find((c) => c.name === name)!;
}

describe('dspc inspect <model> --json', () => {
  it('mobilenet_v2: the manifest histogram minus the 70 Constant nodes the importer folds into Clip bounds', () => {
    const m = manifestCase('mobilenet_v2');
    const j = json<InspectJson>(dspc(['inspect', zoo('mobilenet_v2'), '--json']));
    // Why: the exporter feeds every Clip (ReLU6) its min/max from Constant nodes; the IR holds them as attributes.
    const expected = { ...m.ops };
    delete expected['Constant'];
    expect(j.ops).toEqual(expected);
    expect(j.nodes).toBe(m.nodes - m.ops['Constant']!);
    expect(j.params).toBe(m.params);
    expect(j.inputs).toEqual(m.inputs);
    expect(j.outputs).toEqual(m.outputs);
    // 300.8M MACs: torchvision's published 300M for MobileNetV2 at 224x224, plus the classifier
    expect(j.macs).toBeGreaterThan(290e6);
    expect(j.macs).toBeLessThan(320e6);
  });

  it.each([
    // Why: Identity nodes re-create de-duplicated initializers; the importer resolves them to the initializer itself.
    ['squeezenet1_1', { Identity: 18 }],
    ['mobilenet_v3_small', { Identity: 5 }],
    ['resnet18', {}],
    ['tiny_cnn', {}],
  ] as const)('%s: manifest histogram minus folded ops %j', (name, folded) => {
    const m = manifestCase(name);
    const j = json<InspectJson>(dspc(['inspect', zoo(name), '--json']));
    const expected: Record<string, number> = { ...m.ops };
    for (const k of Object.keys(folded)) delete expected[k];
    expect(j.ops).toEqual(expected);
    expect(j.nodes).toBe(m.nodes - Object.values(folded as Record<string, number>).reduce((a, b) => a + b, 0));
    expect(j.params).toBe(m.params);
  });

  it('prints an aligned histogram without --json', () => {
    const r = dspc(['inspect', chain('chain_relu_relu').model]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nodes \d+/m);
    expect(r.stdout).toMatch(/^Relu\s+\d+$/m);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colour when stdout is not a terminal
  });
});

describe('dspc run', () => {
  it('writes the output .pb, equal to the stored reference output', () => {
    const c = chain('chain_6blocks_mixed');
    const out = path.join(tmpDir('run'), 'y.pb');
    const r = dspc(['run', c.model, '--input', c.input, '--output', out, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { outputs: { name: string; shape: number[]; file: string }[] };
    expect(summary.outputs[0]!.file).toBe(out);
    const got = readTensorPb(out);
    const want = readTensorPb(c.output);
    expect(got.name).toBe(want.name);
    expect(got.tensor.dims).toEqual(want.tensor.dims);
    const g = toFloat32(got.tensor);
    const w = toFloat32(want.tensor);
    for (let i = 0; i < w.length; i++) expect(Math.abs(g[i]! - w[i]!)).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w[i]!));
  });

  it('refuses an input of the wrong shape with one line and exit 2', () => {
    const r = dspc(['run', chain('chain_relu_relu').model, '--input', path.join(MODELS, 'zoo/tiny_cnn/test_data_set_0/input_0.pb')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dspc: .*input/);
  });
});
