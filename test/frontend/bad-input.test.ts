// Bad input (issue 2 item 7, issue 7 items 2 and 4): each case gives a DspcError with a stable code whose one-line
// message names the file, the node (where there is one) and the problem.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnxBytes, importOnnxFile } from '../../src/frontend/index.js';
import { DspcError, type DspcErrorCode } from '../../src/ir/errors.js';
import { dspcErrorOf } from '../dspc-error.js';
import { REPO, buildModel, f32, i64, type ModelSpec, type NodeSpec } from './helpers.js';

const BAD = path.join(REPO, 'test/fixtures/bad');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dspc-frontend-bad-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Import crafted bytes under a file name and check code, file, node and the problem words. */
function expectBad(spec: ModelSpec | Uint8Array, code: DspcErrorCode, problem: RegExp, node?: string): DspcError {
  const bytes = spec instanceof Uint8Array ? spec : buildModel(spec);
  const e = dspcErrorOf(() => importOnnxBytes(bytes, 'crafted.onnx'));
  expect(e.code).toBe(code);
  expect(e.file).toBe('crafted.onnx');
  expect(e.message.startsWith('crafted.onnx: ')).toBe(true);
  expect(e.message).toMatch(problem);
  expect(e.message).not.toMatch(/\n/);
  if (node !== undefined) {
    expect(e.node).toBe(node);
    expect(e.message).toContain(`node '${node}'`);
  }
  return e;
}

const X = { name: 'x', dims: [1, 4, 8, 8] };
const Y = { name: 'y' };
const relu = (name: string, i: string, o: string): NodeSpec => ({ op: 'Relu', name, inputs: [i], outputs: [o] });

describe('unreadable files', () => {
  it.each([
    ['empty.onnx', 'E_FILE', /empty file/],
    ['truncated.onnx', 'E_FILE', /truncated or corrupt/],
    ['not-onnx.onnx', 'E_PARSE', /not an ONNX model/],
  ] as const)('%s', (name, code, problem) => {
    const file = path.join(BAD, name);
    const e = dspcErrorOf(() => importOnnxFile(file));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(problem);
    expect(e.message.startsWith(`${file}: `)).toBe(true);
  });

  it('a missing file', () => {
    const e = dspcErrorOf(() => importOnnxFile(path.join(tmp, 'nope.onnx')));
    expect([e.code, e.message]).toEqual(['E_FILE', `${path.join(tmp, 'nope.onnx')}: cannot read model (ENOENT)`]);
  });

  it('a corrupted model (bytes overwritten)', () => {
    const bytes = Buffer.from(buildModel({ inputs: [X], outputs: [Y], nodes: [relu('r', 'x', 'y')] }));
    bytes.fill(0xff, 2, 8);
    expectBad(bytes, 'E_PARSE', /not an ONNX model or corrupt \(protobuf: invalid wire type/);
  });

  it('a protobuf that is not a model (a bare TensorProto)', () => {
    const tp = buildModel({ inputs: [], outputs: [], nodes: [] }).slice(0, 2);
    expectBad(tp, 'E_PARSE', /not an ONNX model/);
  });

  it('a model over the size limit is refused from its size, before reading', () => {
    const file = path.join(tmp, 'big.onnx');
    fs.writeFileSync(file, buildModel({ inputs: [X], outputs: [Y], nodes: [relu('r', 'x', 'y')] }));
    const e = dspcErrorOf(() => importOnnxFile(file, { maxModelBytes: 16 }));
    expect(e.code).toBe('E_LIMIT');
    expect(e.message).toMatch(/more than the limit of 16 bytes/);
  });
});

describe('unsupported models', () => {
  it('every unsupported op with its node names, in one message', () => {
    const e = expectBad({
      inputs: [X], outputs: [Y],
      nodes: [
        { op: 'LSTM', name: 'lstm1', inputs: ['x'], outputs: ['a'] },
        { op: 'Relu', name: 'ok', inputs: ['a'], outputs: ['b'] },
        { op: 'NonMaxSuppression', name: 'nms', inputs: ['b'], outputs: ['c'] },
        { op: 'LSTM', inputs: ['c'], outputs: ['d'] },
        { op: 'FusedConv', domain: 'com.microsoft', name: 'fc', inputs: ['d'], outputs: ['y'] },
      ],
    }, 'E_UNSUPPORTED', /unsupported ops: /);
    expect(e.message).toBe("crafted.onnx: unsupported ops: LSTM ('lstm1', 'LSTM_0'); NonMaxSuppression ('nms'); com.microsoft.FusedConv ('fc')");
  });

  it('an opset newer than 18', () => {
    expectBad({ opset: 19, inputs: [X], outputs: [Y], nodes: [relu('r', 'x', 'y')] }, 'E_UNSUPPORTED', /opset 19 is newer than dspc supports \(1\.\.18\)/);
  });

  it('a dynamic dimension other than the batch', () => {
    expectBad({ inputs: [{ name: 'x', dims: [1, 4, 'h', 8] }], outputs: [Y], nodes: [relu('r', 'x', 'y')] },
      'E_UNSUPPORTED', /graph input 'x' has a dynamic dimension 'h' at axis 2/);
  });

  it('a shape computed at run time', () => {
    expectBad({
      inputs: [X, { name: 's', dims: [2], elemType: 7 }], outputs: [Y],
      nodes: [{ op: 'Reshape', name: 'rs', inputs: ['x', 's'], outputs: ['y'] }],
    }, 'E_UNSUPPORTED', /Reshape shape 's' is computed at run time/, 'rs');
  });

  it('an optional output that is consumed (Dropout mask)', () => {
    expectBad({
      inputs: [X], outputs: [Y],
      nodes: [{ op: 'Dropout', name: 'dr', inputs: ['x'], outputs: ['d', 'mask'] }, { op: 'Cast', name: 'c', inputs: ['mask'], outputs: ['y'], attrs: { to: { i: 1 } } }],
    }, 'E_UNSUPPORTED', /Dropout output 1 \('mask'\) is used/, 'dr');
  });
});

describe('inconsistent graphs', () => {
  it('a cycle names the nodes on it (not those downstream)', () => {
    expectBad({
      inputs: [X], outputs: [Y],
      nodes: [
        { op: 'Add', name: 'a', inputs: ['x', 'c'], outputs: ['b'] },
        relu('r', 'b', 'c'),
        relu('after', 'c', 'y'),
      ],
    }, 'E_GRAPH', /the graph has a cycle through nodes 'a', 'r'$/, 'a');
  });

  it('an undefined input', () => {
    expectBad({ inputs: [X], outputs: [Y], nodes: [{ op: 'Add', name: 'add', inputs: ['x', 'ghost'], outputs: ['y'] }] },
      'E_GRAPH', /input 'ghost' is not defined by any node, initializer or graph input/, 'add');
  });

  it('a duplicate output name', () => {
    expectBad({ inputs: [X], outputs: [Y], nodes: [relu('r1', 'x', 't'), relu('r2', 'x', 't'), relu('r3', 't', 'y')] },
      'E_GRAPH', /output 't' is already defined by node 'r1'/, 'r2');
  });

  it('a node output shadowing an initializer', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [f32('w', [1], [1])], nodes: [relu('r1', 'x', 'w'), relu('r2', 'w', 'y')] },
      'E_GRAPH', /output 'w' is already defined by a graph input or initializer/, 'r1');
  });

  it('a graph output nobody produces', () => {
    expectBad({ inputs: [X], outputs: [{ name: 'nothing' }], nodes: [relu('r', 'x', 'y')] }, 'E_GRAPH', /graph output 'nothing' is never produced/);
  });

  it('inconsistent shapes (Add of [1,4,8,8] and [3])', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [f32('b', [3], [1, 2, 3])], nodes: [{ op: 'Add', name: 'add', inputs: ['x', 'b'], outputs: ['y'] }] },
      'E_GRAPH', /do not broadcast/, 'add');
  });
});

describe('invalid tensors and attributes', () => {
  it('raw_data length disagreeing with the shape', () => {
    const w = { name: 'w', dims: [4, 1, 1, 1], dataType: 1, rawData: new Uint8Array(12) };
    expectBad({ inputs: [X], outputs: [Y], initializers: [w], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: { i: 4 } } }] },
      'E_FILE', /tensor 'w': raw_data has 12 bytes but shape and float32 need 16/);
  });

  it('typed data length disagreeing with the shape', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [f32('w', [4, 1, 1, 1], [1, 2])], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'] }] },
      'E_FILE', /tensor 'w': float_data has 2 values but shape \[4,1,1,1\] needs 4/);
  });

  it('a zero dimension on a graph input', () => {
    expectBad({ inputs: [{ name: 'x', dims: [1, 0, 8, 8] }], outputs: [Y], nodes: [relu('r', 'x', 'y')] }, 'E_ATTR', /graph input 'x' has dimension 0 at axis 1/);
  });

  it('a negative dimension on an initializer', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [{ name: 'w', dims: [-4], dataType: 1 }], nodes: [relu('r', 'x', 'y')] },
      'E_ATTR', /tensor 'w' has invalid dimension -4/);
  });

  it('an element count beyond 2^31 is refused before allocating', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [{ name: 'huge', dims: [65536, 65536], dataType: 1 }], nodes: [relu('r', 'x', 'y')] },
      'E_LIMIT', /tensor 'huge' has 4294967296 elements/);
  });

  it('an unsupported element type', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [{ name: 'h', dims: [1], dataType: 10, rawData: new Uint8Array(2) }], nodes: [relu('r', 'x', 'y')] },
      'E_UNSUPPORTED', /tensor 'h' has element type FLOAT16/);
  });

  it.each<[string, NodeSpec, RegExp]>([
    ['LeakyRelu alpha NaN', { op: 'LeakyRelu', name: 'lr', inputs: ['x'], outputs: ['y'], attrs: { alpha: { f: NaN } } }, /attribute 'alpha' is NaN/],
    ['Elu alpha Inf', { op: 'Elu', name: 'lr', inputs: ['x'], outputs: ['y'], attrs: { alpha: { f: Infinity } } }, /attribute 'alpha' is Infinity/],
  ])('%s', (_t, node, problem) => {
    expectBad({ inputs: [X], outputs: [Y], nodes: [node] }, 'E_ATTR', problem, 'lr');
  });

  it('a PRelu slope containing Inf', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [f32('s', [4, 1, 1], [0.1, Infinity, 0.2, 0.3])], nodes: [{ op: 'PRelu', name: 'p', inputs: ['x', 's'], outputs: ['y'] }] },
      'E_ATTR', /PRelu slope contains Infinity/, 'p');
  });

  it('a Clip bound that is NaN (attribute form, opset 6)', () => {
    expectBad({ opset: 6, inputs: [X], outputs: [Y], nodes: [{ op: 'Clip', name: 'c', inputs: ['x'], outputs: ['y'], attrs: { min: { f: NaN }, max: { f: 6 } } }] },
      'E_ATTR', /Clip bound is NaN/, 'c');
  });

  it('a Clip bound that is NaN (from a Constant node, opset 13)', () => {
    expectBad({
      inputs: [X], outputs: [Y],
      nodes: [
        { op: 'Constant', name: 'k', inputs: [], outputs: ['lo'], attrs: { value: { t: f32('', [], [NaN]) } } },
        { op: 'Clip', name: 'c', inputs: ['x', 'lo'], outputs: ['y'] },
      ],
    }, 'E_ATTR', /Clip bound is NaN/, 'c');
  });

  it('an attribute of the wrong type', () => {
    expectBad({ inputs: [X], outputs: [Y], nodes: [{ op: 'LeakyRelu', name: 'lr', inputs: ['x'], outputs: ['y'], attrs: { alpha: { s: 'big' } } }] },
      'E_ATTR', /attribute 'alpha' must be float, got string/, 'lr');
  });

  it('a Reshape that changes the element count', () => {
    expectBad({ inputs: [X], outputs: [Y], initializers: [i64('s', [2], [3, -1])], nodes: [{ op: 'Reshape', name: 'rs', inputs: ['x', 's'], outputs: ['y'] }] },
      'E_ATTR', /Reshape shape \[3,-1\] does not fit 256 elements/, 'rs');
  });
});

describe('external data', () => {
  function externalModel(location: string, length = 16): Uint8Array {
    const w = { name: 'w', dims: [4, 1, 1, 1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: location }, { key: 'offset', value: '4' }, { key: 'length', value: String(length) }] };
    return buildModel({ inputs: [X], outputs: [Y], initializers: [w], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: { i: 4 } } }] });
  }

  it('is read relative to the model directory (offset and length honoured)', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'ext-'));
    fs.writeFileSync(path.join(dir, 'model.onnx'), externalModel('weights.bin'));
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(new Float32Array([99, 1, 2, 3, 4]).buffer));
    const g = importOnnxFile(path.join(dir, 'model.onnx'));
    expect([...(g.initializers.get('w')!.data as Float32Array)]).toEqual([1, 2, 3, 4]);
  });

  it('a missing external file names the tensor and the file', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'ext-'));
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, externalModel('weights.bin'));
    const e = dspcErrorOf(() => importOnnxFile(file));
    expect(e.code).toBe('E_FILE');
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tensor 'w': external data file 'weights.bin' not found next to the model`));
  });

  it('a path escaping the model directory is refused', () => {
    expect(dspcErrorOf(() => importOnnxBytes(externalModel('../../etc/passwd'), 'crafted.onnx', { baseDir: tmp })).message)
      .toMatch(/external data path '..\/..\/etc\/passwd' escapes the model directory/);
    expect(dspcErrorOf(() => importOnnxBytes(externalModel('/etc/passwd'), 'crafted.onnx', { baseDir: tmp })).message)
      .toMatch(/escapes the model directory/);
  });

  it('a length disagreeing with the shape', () => {
    expectBad(externalModel('w.bin', 12), 'E_FILE', /external data length 12 but shape needs 16 bytes/);
  });
});
