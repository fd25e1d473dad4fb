// Tests (passes): the shared chains and zoo models, optimized, exported to ONNX and run in ONNX Runtime.
// Contract: outputs match the stored references; activation counts are the minimum (table below, reason per model).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnx, importOnnxFile, readTensorPb } from '../../src/frontend/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import { isActivation } from '../../src/ir/optable.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { optimizeGraph } from '../../src/passes/index.js';
import { isPiecewiseLinear } from '../../src/passes/params.js';
import { CTX } from './helpers.js';

const MODELS = path.resolve(fileURLToPath(new URL('../../../shared/models', import.meta.url)));

function caseNames(set: string): string[] {
  const m = JSON.parse(fs.readFileSync(path.join(MODELS, set, 'manifest.json'), 'utf8')) as { cases: { name: string }[] };
  return m.cases.map((c) => c.name);
}

function data(set: string, name: string, prefix: 'input' | 'output'): { name: string; tensor: Tensor }[] {
  const dir = path.join(MODELS, set, name, 'test_data_set_0');
  const out: { name: string; tensor: Tensor }[] = [];
  for (let k = 0; fs.existsSync(path.join(dir, `${prefix}_${k}.pb`)); k++) out.push(readTensorPb(path.join(dir, `${prefix}_${k}.pb`)));
  return out;
}

/** Runs a graph exported to ONNX in ONNX Runtime (no ORT graph rewrites: we test our graph) on the stored inputs. */
async function runOrt(g: Graph, set: string, name: string): Promise<Map<string, Float32Array>> {
  const session = await ort.InferenceSession.create(exportOnnx(g), { graphOptimizationLevel: 'disabled' });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    data(set, name, 'input').forEach((t, k) => {
      const key = g.inputs.some((i) => i.name === t.name) ? t.name : g.inputs[k]!.name;
      feeds[key] = new ort.Tensor('float32', t.tensor.data as Float32Array, [...t.tensor.dims]);
    });
    const res = await session.run(feeds);
    return new Map(Object.entries(res).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function worst(got: Float32Array, want: Tensor, atol: number, rtol: number): number {
  const w = want.data as Float32Array;
  expect(got.length).toBe(w.length);
  let bad = 0;
  for (let i = 0; i < w.length; i++) bad = Math.max(bad, Math.abs(got[i]! - w[i]!) - (atol + rtol * Math.abs(w[i]!)));
  return bad;
}

function activations(g: Graph): number {
  return g.nodes.filter((n) => isActivation(n.op)).length;
}

/**
 * The fewest activations generic-dsp's kernels allow, per model, and why no fewer: every chain that computes a
 * non-identity function on its input range needs one kernel; the tests below also check that each remaining
 * activation changes its input on the stored data and that no two mergeable activations are left adjacent.
 */
const MINIMUM: Readonly<Record<string, [after: number, reason: string]>> = {
  chain_relu_relu: [2, 'Relu>Relu is one Relu; the Relu after conv2 stands alone'],
  chain_leakyrelu_leakyrelu: [2, 'LeakyRelu(0.1)>LeakyRelu(0.2) is LeakyRelu(0.02); plus the Relu after conv2'],
  chain_relu_leakyrelu: [2, 'Relu>LeakyRelu is Relu (nothing negative reaches the slope); plus the Relu after conv2'],
  chain_leakyrelu_prelu: [2, 'scalar and per-channel slopes multiply into one PRelu; plus the Relu after conv2'],
  chain_prelu_prelu: [1, 'per-channel products make one PRelu; the model has no other activation'],
  chain_relu_leakyrelu_prelu: [2, 'Relu>LeakyRelu>PRelu is a Relu; plus the Relu after conv2'],
  chain_relu_relu6: [2, 'Relu>Clip(0,6) is Clip(0,6); plus the Relu after conv2'],
  chain_clip_clip: [2, 'Clip(-1,2)>Clip(0,4) is Clip(0,2); plus the Relu after conv2'],
  chain_fanout_relu_leakyrelu: [2, 'the Relu also feeds a Conv so it stays; the LeakyRelu sees only values >= 0 and goes; plus the last Relu'],
  chain_relu_maxpool_relu: [2, 'MaxPool keeps values >= 0 so the Relu after it goes; plus the Relu after conv2'],
  chain_relu_flatten_relu_linear: [2, 'MaxPool and Flatten keep values >= 0 so the Relu after Flatten goes; the Relu between the Linears stays'],
  chain_sigmoid_relu: [2, 'Sigmoid stays (no piecewise-linear kernel computes it); the Relu after it sees [0,1] and goes; plus the last Relu'],
  chain_6blocks_mixed: [6, 'each of the six blocks ends in one chain, each becomes one kernel (Relu, PRelu, Relu, PRelu, Clip, Relu)'],
  chain_minimal_relu_leakyrelu: [1, 'Relu>LeakyRelu is Relu'],
};

/** Each remaining activation changes some value of its input on the stored data (so it cannot simply go). */
function everyActivationMatters(g: Graph, x: Map<string, Tensor>): void {
  const probe: Graph = { ...g, outputs: [...g.outputs] };
  const watched = g.nodes.filter((n) => isActivation(n.op));
  for (const n of watched) for (const v of [n.inputs[0]!, n.outputs[0]!]) {
    if (!probe.outputs.some((o) => o.name === v)) probe.outputs.push(g.values.get(v)!);
  }
  const env = interpret(probe, x);
  for (const n of watched) {
    const a = env.get(n.inputs[0]!)!.data as Float32Array, b = env.get(n.outputs[0]!)!.data as Float32Array;
    expect(a.some((v, i) => v !== b[i]), `${n.name} (${n.op}) is the identity on the data`).toBe(true);
  }
}

/** No piecewise-linear activation reads another one whose only reader it is (that pair would have merged). */
function noMergeablePair(g: Graph): void {
  const producer = new Map(g.nodes.map((n) => [n.outputs[0]!, n]));
  const readers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const n of g.nodes) {
    const p = producer.get(n.inputs[0] ?? '');
    if (!p || !isPiecewiseLinear(n.op) || !isPiecewiseLinear(p.op)) continue;
    const shared = readers.get(p.outputs[0]!)! > 1 || g.outputs.some((o) => o.name === p.outputs[0]);
    expect(shared, `${p.name} -> ${n.name} left unmerged`).toBe(true);
  }
}

describe('chains models: optimized graph in ONNX Runtime matches the stored reference', () => {
  it('the table covers every model of the set', () => {
    expect(Object.keys(MINIMUM).sort()).toEqual(caseNames('chains').sort());
  });

  it.each(caseNames('chains'))('%s', async (name) => {
    const g = importOnnxFile(path.join(MODELS, 'chains', name, 'model.onnx'));
    const { graph, report } = optimizeGraph(g, CTX);
    const [after, why] = MINIMUM[name]!;
    expect(activations(graph), why).toBe(after);
    expect(report.activations).toEqual({ before: activations(g), after });
    const got = await runOrt(graph, 'chains', name);
    data('chains', name, 'output').forEach((o, k) => {
      const key = got.has(o.name) ? o.name : graph.outputs[k]!.name;
      expect(worst(got.get(key)!, o.tensor, 1e-5, 1e-5)).toBeLessThanOrEqual(0);
    });
    const x = new Map(data('chains', name, 'input').map((t, k) => [graph.inputs[k]!.name, t.tensor]));
    everyActivationMatters(graph, x);
    noMergeablePair(graph);
    for (const op of new Set(graph.nodes.filter((n) => isActivation(n.op)).map((n) => n.op))) {
      expect(CTX.target.activationKernels).toContain(op);
    }
  });
});

describe('zoo models: no op the target lacks appears, and the outputs still match in ONNX Runtime', () => {
  it.each(caseNames('zoo'))('%s', async (name) => {
    const g = importOnnxFile(path.join(MODELS, 'zoo', name, 'model.onnx'));
    const { graph } = optimizeGraph(g, CTX);
    // a node the passes made (new name/op pair) is a kernel of the target; everything else was there before
    const before = new Set(g.nodes.map((n) => `${n.name}|${n.op}`));
    for (const n of graph.nodes) {
      if (!before.has(`${n.name}|${n.op}`)) expect(CTX.target.activationKernels, `${n.name} became ${n.op}`).toContain(n.op);
    }
    const got = await runOrt(graph, 'zoo', name);
    data('zoo', name, 'output').forEach((o, k) => {
      const key = got.has(o.name) ? o.name : graph.outputs[k]!.name;
      expect(worst(got.get(key)!, o.tensor, 1e-4, 1e-4)).toBeLessThanOrEqual(0);
    });
  });
});
