// Reliability (issue 7 item 2, issue 2 item 7): semantically invalid models are refused with a typed error whose one
// line names the file, the node where there is one, and the problem; through the CLI: exit 2, no stack trace.
// Clip with min > max is not an error: ONNX defines it (every output = max); importer, interpreter and ORT agree.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnxBytes, importOnnxFile } from '../../src/frontend/index.js';
import { DspcError, type DspcErrorCode } from '../../src/ir/errors.js';
import { interpret } from '../../src/ir/interpret.js';
import { floatTensor } from '../../src/ir/tensor.js';
import { buildModel, f32, i64, type ModelSpec, type NodeSpec } from '../frontend/helpers.js';
import { dspc, expectBadInput, tmpDir } from './helpers.js';

const tmp = tmpDir('semantic');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const X = { name: 'x', dims: [1, 4, 8, 8] };
const Y = { name: 'y' };
const relu = (name: string, i: string, o: string): NodeSpec => ({ op: 'Relu', name, inputs: [i], outputs: [o] });
const unary = (op: string, attrs: NodeSpec['attrs']): ModelSpec => ({ inputs: [X], outputs: [Y], nodes: [{ op, name: 'n', inputs: ['x'], outputs: ['y'], attrs }] });

interface Bad {
  name: string;
  model: ModelSpec | Uint8Array;
  code: DspcErrorCode;
  problem: RegExp;
  node?: string;
}

/** Nesting depth that overflows a recursive protobuf decoder (Graph -> Node -> Attribute.g -> Graph ...). */
function deeplyNested(depth: number): Uint8Array {
  // Built bottom-up as raw wire format: Attribute{name:"g", g: Graph{node: Node{attribute: ...}}}.
  const len = (n: number): number[] => {
    const out: number[] = [];
    do {
      out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    return out;
  };
  let inner: number[] = [];
  for (let i = 0; i < depth; i++) {
    const node = [0x2a, ...len(inner.length), ...inner]; // Node.attribute (5)
    const graph = [0x0a, ...len(node.length), ...node]; // Graph.node (1)
    inner = [0x32, ...len(graph.length), ...graph]; // Attribute.g (6)
  }
  const node = [0x22, 4, ...Buffer.from('Relu'), 0x2a, ...len(inner.length), ...inner];
  const graph = [0x0a, ...len(node.length), ...node];
  return Uint8Array.from([0x08, 7, 0x3a, ...len(graph.length), ...graph, 0x42, 2, 0x10, 13]);
}

const RELU: ModelSpec = { inputs: [X], outputs: [Y], nodes: [{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }] };
const corrupted = (): Uint8Array => {
  const b = Buffer.from(buildModel(RELU));
  b.fill(0xff, 2, 8);
  return b;
};

const CASES: Bad[] = [
  // unreadable files (issue 2 item 7)
  { name: 'empty file', code: 'E_FILE', problem: /empty file \(expected an ONNX model\)/, model: new Uint8Array() },
  { name: 'truncated file', code: 'E_FILE', problem: /truncated or corrupt ONNX model \(protobuf: index out of range/, model: buildModel(RELU).subarray(0, 40) },
  { name: 'not an ONNX file (PNG header)', code: 'E_PARSE', problem: /not an ONNX model \(no graph in the decoded protobuf\)/, model: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) },
  { name: 'corrupted bytes', code: 'E_PARSE', problem: /not an ONNX model or corrupt \(protobuf: invalid wire type/, model: corrupted() },
  // structure
  { name: 'cycle', code: 'E_GRAPH', problem: /the graph has a cycle through nodes 'a', 'r'$/, node: 'a',
    model: { inputs: [X], outputs: [Y], nodes: [{ op: 'Add', name: 'a', inputs: ['x', 'c'], outputs: ['b'] }, relu('r', 'b', 'c'), relu('after', 'c', 'y')] } },
  { name: 'undefined tensor', code: 'E_GRAPH', problem: /input 'ghost' is not defined by any node, initializer or graph input/, node: 'add',
    model: { inputs: [X], outputs: [Y], nodes: [{ op: 'Add', name: 'add', inputs: ['x', 'ghost'], outputs: ['y'] }] } },
  { name: 'tensor produced twice', code: 'E_GRAPH', problem: /output 't' is already defined by node 'r1'/, node: 'r2',
    model: { inputs: [X], outputs: [Y], nodes: [relu('r1', 'x', 't'), relu('r2', 'x', 't'), relu('r3', 't', 'y')] } },
  { name: 'initializer defined twice', code: 'E_GRAPH', problem: /initializer 'w' is defined twice/,
    model: { inputs: [X], outputs: [Y], initializers: [f32('w', [1], [1]), f32('w', [1], [2])], nodes: [{ op: 'Mul', name: 'm', inputs: ['x', 'w'], outputs: ['y'] }] } },
  { name: 'graph input declared twice', code: 'E_GRAPH', problem: /a graph input name is used twice/,
    model: { inputs: [X, X], outputs: [Y], nodes: [relu('r', 'x', 'y')] } },
  { name: 'node without a data input', code: 'E_GRAPH', problem: /Relu has no data input \(input 0 is missing or empty\)/, node: 'r',
    model: { inputs: [X], outputs: [Y], nodes: [relu('r', '', 'y')] } },
  // shapes and types
  { name: 'shape mismatch (Add [1,4,8,8] + [3])', code: 'E_GRAPH', problem: /do not broadcast/, node: 'add',
    model: { inputs: [X], outputs: [Y], initializers: [f32('b', [3], [1, 2, 3])], nodes: [{ op: 'Add', name: 'add', inputs: ['x', 'b'], outputs: ['y'] }] } },
  { name: 'shape mismatch (Conv weight for 3 channels on 4)', code: 'E_GRAPH', problem: /channel/i, node: 'c',
    model: { inputs: [X], outputs: [Y], initializers: [f32('w', [2, 3, 1, 1], [1, 1, 1, 1, 1, 1])], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'] }] } },
  { name: 'declared output shape disagreeing with inference', code: 'E_GRAPH', problem: /graph output 'y' is declared \[1,4,8,9\] but computes \[1,4,8,8\]/,
    model: { inputs: [X], outputs: [{ name: 'y', dims: [1, 4, 8, 9] }], nodes: [relu('r', 'x', 'y')] } },
  { name: 'element types mixed (float data, int64 bias)', code: 'E_GRAPH', problem: /Conv input 2 \('b'\) is int64 but input 0 is float32/, node: 'c',
    model: { inputs: [X], outputs: [Y], initializers: [f32('w', [4, 4, 1, 1], new Array(16).fill(0.5)), i64('b', [4], [1, 2, 3, 4])], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w', 'b'], outputs: ['y'] }] } },
  // attributes
  { name: 'attribute of the wrong type (alpha as a string)', code: 'E_ATTR', problem: /attribute 'alpha' must be float, got string/, node: 'n',
    model: unary('LeakyRelu', { alpha: { s: 'big' } }) },
  { name: 'attribute of the wrong type (strides as a string)', code: 'E_ATTR', problem: /attribute 'strides' must be ints, got string/, node: 'c',
    model: { inputs: [X], outputs: [Y], initializers: [f32('w', [4, 1, 1, 1], [1, 1, 1, 1])], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: { i: 4 }, strides: { s: '2,2' } } }] } },
  { name: 'NaN slope (LeakyRelu alpha)', code: 'E_ATTR', problem: /attribute 'alpha' is NaN; it must be finite/, node: 'n', model: unary('LeakyRelu', { alpha: { f: NaN } }) },
  { name: 'Inf slope (Elu alpha)', code: 'E_ATTR', problem: /attribute 'alpha' is Infinity; it must be finite/, node: 'n', model: unary('Elu', { alpha: { f: Infinity } }) },
  { name: '-Inf parameter (HardSigmoid beta)', code: 'E_ATTR', problem: /attribute 'beta' is -Infinity; it must be finite/, node: 'n', model: unary('HardSigmoid', { beta: { f: -Infinity } }) },
  { name: 'NaN slope (PRelu initializer)', code: 'E_ATTR', problem: /PRelu slope contains NaN; slopes must be finite/, node: 'p',
    model: { inputs: [X], outputs: [Y], initializers: [f32('s', [4, 1, 1], [0.1, NaN, 0.2, 0.3])], nodes: [{ op: 'PRelu', name: 'p', inputs: ['x', 's'], outputs: ['y'] }] } },
  { name: 'NaN bound (Clip-6 attribute)', code: 'E_ATTR', problem: /Clip bound is NaN \(min NaN, max 6\)/, node: 'c',
    model: { opset: 6, inputs: [X], outputs: [Y], nodes: [{ op: 'Clip', name: 'c', inputs: ['x'], outputs: ['y'], attrs: { min: { f: NaN }, max: { f: 6 } } }] } },
  { name: 'NaN bound (Clip-13 max input)', code: 'E_ATTR', problem: /Clip bound is NaN \(min 0, max NaN\)/, node: 'c',
    model: { inputs: [X], outputs: [Y], initializers: [f32('lo', [], [0]), f32('hi', [], [NaN])], nodes: [{ op: 'Clip', name: 'c', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }] } },
  // dims and sizes
  { name: 'zero dim on a graph input', code: 'E_ATTR', problem: /graph input 'x' has dimension 0 at axis 1; dims must be positive/, model: { inputs: [{ name: 'x', dims: [1, 0, 8, 8] }], outputs: [Y], nodes: [relu('r', 'x', 'y')] } },
  { name: 'negative dim on a graph input', code: 'E_ATTR', problem: /graph input 'x' has dimension -3 at axis 2/, model: { inputs: [{ name: 'x', dims: [1, 4, -3, 8] }], outputs: [Y], nodes: [relu('r', 'x', 'y')] } },
  { name: 'negative dim on an initializer', code: 'E_ATTR', problem: /tensor 'w' has invalid dimension -4 in shape \[-4\]/,
    model: { inputs: [X], outputs: [Y], initializers: [{ name: 'w', dims: [-4], dataType: 1 }], nodes: [relu('r', 'x', 'y')] } },
  { name: 'an op producing a zero-sized output (empty Slice)', code: 'E_GRAPH', problem: /Slice: slice on axis 2 is empty \(start 3, end 3, step 1\)/, node: 's',
    model: { inputs: [X], outputs: [Y], initializers: [i64('st', [1], [3]), i64('en', [1], [3]), i64('ax', [1], [2])], nodes: [{ op: 'Slice', name: 's', inputs: ['x', 'st', 'en', 'ax'], outputs: ['y'] }] } },
  { name: 'initializer beyond 2^31 elements', code: 'E_LIMIT', problem: /tensor 'huge' has 4294967296 elements \(shape \[65536,65536\]\), more than the limit of 2\^31-1/,
    model: { inputs: [X], outputs: [Y], initializers: [{ name: 'huge', dims: [65536, 65536], dataType: 1 }], nodes: [relu('r', 'x', 'y')] } },
  { name: 'graph input beyond 2^31 elements', code: 'E_LIMIT', problem: /graph input 'x' has 4294967296 elements, more than the limit of 2\^31-1/,
    model: { inputs: [{ name: 'x', dims: [1, 1, 65536, 65536] }], outputs: [Y], nodes: [relu('r', 'x', 'y')] } },
  { name: 'inferred tensor beyond 2^31 elements (Pad)', code: 'E_LIMIT', problem: /output 'y' would have 4299161600 elements, more than 2\^31-1/, node: 'p',
    model: { inputs: [X], outputs: [Y], initializers: [i64('pads', [8], [0, 0, 0, 0, 0, 0, 8192, 131064])], nodes: [{ op: 'Pad', name: 'p', inputs: ['x', 'pads'], outputs: ['y'] }] } },
  { name: 'raw_data length disagreeing with the shape', code: 'E_FILE', problem: /tensor 'w': raw_data has 12 bytes but shape and float32 need 16/,
    model: { inputs: [X], outputs: [Y], initializers: [{ name: 'w', dims: [4, 1, 1, 1], dataType: 1, rawData: new Uint8Array(12) }], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: { i: 4 } } }] } },
  // versions and ops
  { name: 'opset too new', code: 'E_UNSUPPORTED', problem: /default-domain opset 19 is newer than dspc supports \(1\.\.18\); re-export with opset <= 18/, model: { opset: 19, inputs: [X], outputs: [Y], nodes: [relu('r', 'x', 'y')] } },
  { name: 'unsupported ops, all listed in one message', code: 'E_UNSUPPORTED',
    problem: /^crafted\.onnx: unsupported ops: LSTM \('lstm1', 'LSTM_0'\); NonMaxSuppression \('nms'\); com\.microsoft\.FusedConv \('fc'\)$/,
    model: { inputs: [X], outputs: [Y], nodes: [
      { op: 'LSTM', name: 'lstm1', inputs: ['x'], outputs: ['a'] }, relu('ok', 'a', 'b'), { op: 'NonMaxSuppression', name: 'nms', inputs: ['b'], outputs: ['c'] },
      { op: 'LSTM', inputs: ['c'], outputs: ['d'] }, { op: 'FusedConv', domain: 'com.microsoft', name: 'fc', inputs: ['d'], outputs: ['y'] }] } },
  // hostile bytes
  { name: 'names with control characters stay on one line', code: 'E_GRAPH', problem: /input 'gh\\nost\\x07' is not defined/, node: 'add',
    model: { inputs: [X], outputs: [Y], nodes: [{ op: 'Add', name: 'add', inputs: ['x', 'gh\nost\u0007'], outputs: ['y'] }] } },
  { name: 'protobuf nesting too deep for the decoder', code: 'E_PARSE', problem: /protobuf messages nested too deeply/, model: deeplyNested(20000) },
];

function label(c: Bad): string {
  return c.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
}

function bytesOf(c: Bad): Uint8Array {
  return c.model instanceof Uint8Array ? c.model : buildModel(c.model);
}

describe('semantic validation: typed error naming file, node and problem', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    let err: unknown;
    try {
      importOnnxBytes(bytesOf(c), 'crafted.onnx');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DspcError);
    const e = err as DspcError;
    expect([e.code, e.message]).toEqual([c.code, expect.stringMatching(c.problem)]);
    expect(e.file).toBe('crafted.onnx');
    expect(e.message.startsWith('crafted.onnx: ')).toBe(true);
    expect(e.message).not.toMatch(/[\n\r]/);
    if (c.node !== undefined) expect([e.node, e.message]).toEqual([c.node, expect.stringContaining(`node '${c.node}': `)]);
  });

  it('through the CLI (`dspc inspect <file>`): exit 2, one line naming file and problem, no stack trace', async () => {
    const runs = await Promise.all(CASES.map(async (c) => {
      const file = path.join(tmp, `${label(c)}.onnx`);
      fs.writeFileSync(file, bytesOf(c));
      return { c, file, r: await dspc(['inspect', file]) };
    }));
    for (const { c, file, r } of runs) {
      const line = expectBadInput(r, c.name);
      expect(line.startsWith(`dspc: ${file}: `), `${c.name}: ${line}`).toBe(true);
      expect(line, c.name).toMatch(new RegExp(c.problem.source.replace(/^\^crafted\\.onnx: /, '')));
      expect(r.stdout, c.name).toBe('');
    }
  });
});

describe('a missing external data file', () => {
  it('names the model, the tensor and the missing file (library and CLI)', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'ext-'));
    const file = path.join(dir, 'model.onnx');
    const w = { name: 'w', dims: [4, 1, 1, 1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] };
    fs.writeFileSync(file, buildModel({ inputs: [X], outputs: [Y], initializers: [w], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: { i: 4 } } }] }));
    const expected = `${file}: tensor 'w': external data file 'weights.bin' not found next to the model (looked for ${path.join(dir, 'weights.bin')})`;
    expect(() => importOnnxFile(file)).toThrow(expected);
    expect(expectBadInput(await dspc(['inspect', file]), 'missing external data')).toBe(`dspc: ${expected}`);
  });

  it('a FIFO or a directory named as external data is refused at once (opening a FIFO must not block)', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'ext-'));
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    fs.mkdirSync(path.join(dir, 'sub'));
    for (const location of ['pipe', 'sub']) {
      const w = { name: 'w', dims: [4, 1, 1, 1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: location }] };
      const file = path.join(dir, `${location}.onnx`);
      fs.writeFileSync(file, buildModel({ inputs: [X], outputs: [Y], initializers: [w], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: { i: 4 } } }] }));
      expect(() => importOnnxFile(file)).toThrow(`${file}: tensor 'w': external data '${location}' is not a regular file`);
    }
  });
});

// ---- Clip with min > max: defined by ONNX, not an error ----------------------------------------------------------

describe('Clip with min > max (ONNX Clip-13: every output equals max)', () => {
  const clipModels: [string, ModelSpec][] = [
    ['opset 13, bounds as inputs', { inputs: [X], outputs: [{ name: 'y', dims: [1, 4, 8, 8] }], initializers: [f32('lo', [], [5]), f32('hi', [], [2])],
      nodes: [{ op: 'Clip', name: 'c', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }] }],
    ['opset 6, bounds as attributes', { opset: 6, irVersion: 3, inputs: [X], outputs: [{ name: 'y', dims: [1, 4, 8, 8] }],
      nodes: [{ op: 'Clip', name: 'c', inputs: ['x'], outputs: ['y'], attrs: { min: { f: 5 }, max: { f: 2 } } }] }],
  ];

  // ONNX Runtime 1.30 refuses Clip-6 with min > max (Clip-6 leaves it undefined); dspc applies the Clip-13 definition
  // to every opset (docs/reliability.md), so the attribute form is checked against the interpreter only.
  it.each(clipModels)('%s: imported as Clip(max, max); the interpreter (and ONNX Runtime for Clip-13) give max everywhere', async (name, spec) => {
    const bytes = buildModel(spec);
    const g = importOnnxBytes(bytes, 'clip.onnx');
    const node = g.nodes.find((n) => n.op === 'Clip')!;
    expect(node.attrs).toEqual({ min: 2, max: 2 });
    const x = floatTensor([1, 4, 8, 8], Array.from({ length: 256 }, (_, i) => (i % 17) - 8 + i / 1000));
    const ours = interpret(g, new Map([['x', x]])).get('y')!;
    expect(new Set(ours.data)).toEqual(new Set([2]));
    if (name.startsWith('opset 6')) {
      await expect(ort.InferenceSession.create(bytes)).rejects.toThrow(/min_ <= max_ was false/);
      return;
    }
    const session = await ort.InferenceSession.create(bytes);
    const theirs = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, [1, 4, 8, 8]) }))['y']!;
    expect([...(theirs.data as Float32Array)]).toEqual([...(ours.data as Float32Array)]);
  });
});

// ---- beyond the importer: bad values the front end cannot afford to scan for ------------------------------------

describe('a NaN in a convolution weight', () => {
  it('is refused by `dspc compile` with file, node and problem, exit 2, and no output directory', async () => {
    const w = f32('w', [4, 4, 1, 1], Array.from({ length: 16 }, (_, i) => (i === 5 ? NaN : 0.25)));
    const file = path.join(tmp, 'nan-weight.onnx');
    fs.writeFileSync(file, buildModel({ inputs: [X], outputs: [{ name: 'y', dims: [1, 4, 8, 8] }], initializers: [w], nodes: [{ op: 'Conv', name: 'conv', inputs: ['x', 'w'], outputs: ['y'] }] }));
    const out = path.join(tmp, 'nan-out');
    const line = expectBadInput(await dspc(['compile', file, '-o', out]), 'compile NaN weight');
    expect(line).toBe(`dspc: ${file}: node 'conv': constant 'w' holds NaN at index 5; weights and biases must be finite to be quantized`);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.nan-out.'))).toEqual([]);
  });
});
