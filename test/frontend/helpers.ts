// Test support for the ONNX front end: shared-model paths and a tiny ONNX model builder for crafted cases.
// Contract: test-only; builds ModelProto bytes with onnx-proto so bad-input tests need no binary fixtures.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnx, type OnnxTypes } from '../../src/frontend/onnx/proto.js';
import { readTensorPb, type ImportOptions } from '../../src/frontend/index.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Tensor } from '../../src/ir/tensor.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS = path.resolve(REPO, '../shared/models');

export interface Case {
  set: string;
  name: string;
  dir: string;
  model: string;
  manifest: { name: string; nodes: number; ops: Record<string, number> };
}

export function cases(set: 'zoo' | 'chains' | 'conformance'): Case[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(MODELS, set, 'manifest.json'), 'utf8')) as { cases: Case['manifest'][] };
  return manifest.cases.map((m) => {
    const dir = path.join(MODELS, set, m.name);
    return { set, name: m.name, dir, model: path.join(dir, 'model.onnx'), manifest: m };
  });
}

/** Stored test_data_set_0 tensors: inputs and outputs in index order. */
export function testData(c: Case): { inputs: { name: string; tensor: Tensor }[]; outputs: { name: string; tensor: Tensor }[] } {
  const d = path.join(c.dir, 'test_data_set_0');
  const list = (prefix: string): { name: string; tensor: Tensor }[] => {
    const out: { name: string; tensor: Tensor }[] = [];
    for (let k = 0; fs.existsSync(path.join(d, `${prefix}_${k}.pb`)); k++) out.push(readTensorPb(path.join(d, `${prefix}_${k}.pb`)));
    return out;
  };
  return { inputs: list('input'), outputs: list('output') };
}

export function histogram(g: Graph): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of g.nodes) h[n.op] = (h[n.op] ?? 0) + 1;
  return h;
}

/**
 * ONNX backend tests pass static operands (Reshape's shape, Clip's min/max) as runtime inputs with stored values;
 * the IR resolves them on import, so tests bind every input after the data input (input_0) as a constant.
 */
export function importOptions(c: Case): ImportOptions {
  if (!/node\/test_(clip|reshape)/.test(c.name)) return {};
  const { inputs } = testData(c);
  return { constantInputs: new Map(inputs.slice(1).map((t) => [t.name, t.tensor])) };
}

// ---- crafted models ----------------------------------------------------------------------------------------------

const AT = onnx.AttributeProto.AttributeType;
export type A =
  | { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string } | { t: OnnxTypes.ITensorProto };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, A>;
}

export interface ModelSpec {
  opset?: number;
  irVersion?: number;
  inputs: { name: string; dims: (number | string)[]; elemType?: number }[];
  outputs: { name: string; dims?: (number | string)[]; elemType?: number }[];
  nodes: NodeSpec[];
  initializers?: OnnxTypes.ITensorProto[];
  /** IR-3 style: list initializers as graph inputs too. */
  initializersAsInputs?: boolean;
}

function attrProto(name: string, a: A): OnnxTypes.IAttributeProto {
  if ('i' in a) return { name, type: AT.INT, i: a.i };
  if ('f' in a) return { name, type: AT.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: AT.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: AT.FLOATS, floats: a.floats };
  if ('s' in a) return { name, type: AT.STRING, s: new TextEncoder().encode(a.s) };
  return { name, type: AT.TENSOR, t: a.t };
}

function vi(v: { name: string; dims?: (number | string)[]; elemType?: number }): OnnxTypes.IValueInfoProto {
  const dim = v.dims?.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: v.elemType ?? 1, shape: dim ? { dim } : null } } };
}

export function f32(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return { name, dims, dataType: 1, floatData: values };
}

export function i64(name: string, dims: number[], values: (number | bigint)[]): OnnxTypes.ITensorProto {
  const raw = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims, dataType: 7, rawData: new Uint8Array(raw.buffer) };
}

export function buildModel(spec: ModelSpec): Uint8Array {
  const inits = spec.initializers ?? [];
  const graph: OnnxTypes.IGraphProto = {
    name: 'crafted',
    node: spec.nodes.map((n) => ({
      name: n.name ?? '', opType: n.op, domain: n.domain ?? '', input: n.inputs, output: n.outputs,
      attribute: Object.entries(n.attrs ?? {}).map(([k, a]) => attrProto(k, a)),
    })),
    initializer: inits,
    input: [
      ...spec.inputs.map(vi),
      ...(spec.initializersAsInputs ? inits.map((t) => vi({ name: t.name ?? '', dims: (t.dims ?? []).map(Number), elemType: t.dataType ?? 1 })) : []),
    ],
    output: spec.outputs.map(vi),
  };
  return onnx.ModelProto.encode({
    irVersion: spec.irVersion ?? 7,
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph,
  }).finish();
}
