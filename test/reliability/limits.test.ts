// Reliability (issue 7 item 4): resource limits refuse oversized models, tensors and work with a clear E_LIMIT message
// before anything large is read, allocated or run. Defaults (docs/reliability.md): model 2 GiB, tensor 1 GiB,
// 1e11 element operations per inference; ImportOptions (and the CLI flags) override them.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnxBytes, importOnnxFile } from '../../src/frontend/index.js';
import { DEFAULT_MAX_MODEL_BYTES, DEFAULT_MAX_TENSOR_BYTES, DEFAULT_MAX_WORK } from '../../src/frontend/onnx/limits.js';
import { decodeTensorProto } from '../../src/frontend/onnx/tensorproto.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { DspcError } from '../../src/ir/errors.js';
import { dspcErrorOf } from '../dspc-error.js';
import { buildModel, f32, i64, type ModelSpec } from '../frontend/helpers.js';
import { MODELS, dspc, expectBadInput, tmpDir } from './helpers.js';

const tmp = tmpDir('limits');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const X = { name: 'x', dims: [1, 4, 8, 8] };
const Y = { name: 'y' };

/** Refused with E_LIMIT without the process allocating anything close to the refused size. */
function refusedCheaply(f: () => unknown): DspcError {
  const before = process.memoryUsage();
  const e = dspcErrorOf(f);
  const after = process.memoryUsage();
  expect(e.code).toBe('E_LIMIT');
  expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 << 20);
  expect(after.rss - before.rss).toBeLessThan(256 << 20);
  return e;
}

describe('documented defaults', () => {
  it('model 2 GiB, tensor 1 GiB, 1e11 element operations', () => {
    expect([DEFAULT_MAX_MODEL_BYTES, DEFAULT_MAX_TENSOR_BYTES, DEFAULT_MAX_WORK]).toEqual([2 ** 31, 2 ** 30, 1e11]);
  });
});

describe('model size', () => {
  it('a 3 GiB (sparse) file is refused from its size alone, before a byte is read', async () => {
    const file = path.join(tmp, 'huge.onnx');
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, 3 * 2 ** 30);
    fs.closeSync(fd);
    const e = refusedCheaply(() => importOnnxFile(file));
    expect(e.message).toBe(`${file}: model file has ${3 * 2 ** 30} bytes, more than the limit of ${2 ** 31} bytes`);
    const line = expectBadInput(await dspc(['inspect', file]), 'inspect huge.onnx');
    expect(line).toBe(`dspc: ${e.message}`);
  });

  it('the limit is an option (tiny here): file and bytes entry points', () => {
    const bytes = buildModel({ inputs: [X], outputs: [Y], nodes: [{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }] });
    const file = path.join(tmp, 'small.onnx');
    fs.writeFileSync(file, bytes);
    expect(dspcErrorOf(() => importOnnxFile(file, { maxModelBytes: 64 })).message).toMatch(/model file has \d+ bytes, more than the limit of 64 bytes/);
    expect(dspcErrorOf(() => importOnnxBytes(bytes, 'b.onnx', { maxModelBytes: 64 })).message).toMatch(/^b\.onnx: model has \d+ bytes, more than the limit of 64 bytes/);
    expect(importOnnxFile(file, { maxModelBytes: bytes.length }).nodes).toHaveLength(1);
  });

  it('external data counts against the same limit', () => {
    const dir = tmpDir('ext');
    const w = { name: 'w', dims: [4, 1, 1, 1], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] };
    const bytes = buildModel({ inputs: [X], outputs: [Y], initializers: [w], nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { group: { i: 4 } } }] });
    fs.writeFileSync(path.join(dir, 'm.onnx'), bytes);
    fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(16));
    const e = dspcErrorOf(() => importOnnxFile(path.join(dir, 'm.onnx'), { maxModelBytes: bytes.length + 8 }));
    expect([e.code, e.problem]).toEqual(['E_LIMIT', "tensor 'w': external data exceeds the model size limit"]);
    expect(importOnnxFile(path.join(dir, 'm.onnx'), { maxModelBytes: bytes.length + 16 }).initializers.get('w')!.dims).toEqual([4, 1, 1, 1]);
  });
});

describe('tensor size (refused from shapes, before allocating)', () => {
  it('an initializer declaring 4 GiB (2^30 floats) with no data', () => {
    const spec: ModelSpec = { inputs: [X], outputs: [Y], initializers: [{ name: 'big', dims: [32768, 32768], dataType: 1 }], nodes: [{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }] };
    const e = refusedCheaply(() => importOnnxBytes(buildModel(spec), 'm.onnx'));
    expect(e.problem).toBe("tensor 'big' [32768,32768] needs 4294967296 bytes, more than the tensor limit of 1 GiB");
  });

  it('a graph input of 3 GiB', () => {
    const spec: ModelSpec = { inputs: [{ name: 'x', dims: [1, 3, 16384, 16384] }], outputs: [Y], nodes: [{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }] };
    expect(refusedCheaply(() => importOnnxBytes(buildModel(spec), 'm.onnx')).problem)
      .toBe("graph input 'x' [1,3,16384,16384] needs 3221225472 bytes, more than the tensor limit of 1 GiB");
  });

  it('an activation a node would produce (Pad to [1,4,520,520] under a 1 MiB limit), naming the node', () => {
    const spec: ModelSpec = { inputs: [X], outputs: [Y], initializers: [i64('pads', [8], [0, 0, 256, 256, 0, 0, 256, 256])], nodes: [{ op: 'Pad', name: 'p', inputs: ['x', 'pads'], outputs: ['y'] }] };
    const e = refusedCheaply(() => importOnnxBytes(buildModel(spec), 'm.onnx', { maxTensorBytes: 2 ** 20 }));
    expect([e.node, e.problem]).toEqual(['p', "output 'y' [1,4,520,520] would need 4326400 bytes, more than the tensor limit of 1 MiB"]);
    expect(importOnnxBytes(buildModel(spec), 'm.onnx', { maxTensorBytes: 8 * 2 ** 20 }).values.get('y')!.shape).toEqual([1, 4, 520, 520]);
  });

  it('a constant the importer would fold (Pad of an initializer by 2^14 per side)', () => {
    const spec: ModelSpec = {
      inputs: [X], outputs: [Y],
      initializers: [f32('c', [1, 1, 1, 1], [1]), i64('pads', [8], [0, 0, 16384, 16384, 0, 0, 16384, 16384])],
      nodes: [{ op: 'Pad', name: 'fold', inputs: ['c', 'pads'], outputs: ['big'] }, { op: 'Add', name: 'a', inputs: ['x', 'big'], outputs: ['y'] }],
    };
    const e = refusedCheaply(() => importOnnxBytes(buildModel(spec), 'm.onnx'));
    expect([e.node, e.problem]).toEqual(['fold', "output 'big' [1,1,32769,32769] would need 4295229444 bytes, more than the tensor limit of 1 GiB"]);
  });

  it('a TensorProto (.pb) declaring 2^31 elements', () => {
    const bytes = onnx.TensorProto.encode({ name: 't', dims: [2, 1024, 1024, 1024], dataType: 1 }).finish();
    const e = refusedCheaply(() => decodeTensorProto(bytes, 'in.pb'));
    expect(e.message).toBe('in.pb: tensor \'t\' has 2147483648 elements (shape [2,1024,1024,1024]), more than the limit of 2^31-1');
  });
});

describe('work per inference', () => {
  // MaxPool 1024x1024 with stride 1 over 2048x2048: 1025^2 outputs x 2^20 window elements = 1.1e12 operations.
  const spec: ModelSpec = {
    inputs: [{ name: 'x', dims: [1, 1, 2048, 2048] }], outputs: [Y],
    nodes: [{ op: 'MaxPool', name: 'pool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [1024, 1024] } } }],
  };

  it('a pooling window that would run for hours is refused at import', () => {
    const e = dspcErrorOf(() => importOnnxBytes(buildModel(spec), 'm.onnx'));
    expect([e.code, e.problem]).toEqual(['E_LIMIT', 'one inference needs about 1.10e+12 element operations, more than the limit of 1.00e+11']);
  });

  it('a convolution with a large kernel over an enormously padded input is refused the same way', () => {
    const conv: ModelSpec = {
      inputs: [{ name: 'x', dims: [1, 1, 512, 512] }], outputs: [Y],
      initializers: [{ name: 'w', dims: [1, 1, 64, 64], dataType: 1, rawData: new Uint8Array(64 * 64 * 4) }],
      nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['y'], attrs: { pads: { ints: [3000, 3000, 3000, 3000] } } }],
    };
    const e = dspcErrorOf(() => importOnnxBytes(buildModel(conv), 'm.onnx'));
    expect([e.code, e.problem]).toEqual(['E_LIMIT', 'one inference needs about 1.70e+11 element operations, more than the limit of 1.00e+11']);
  });

  it('the limit is an option', () => {
    expect(importOnnxBytes(buildModel(spec), 'm.onnx', { maxWork: 2e12 }).values.get('y')!.shape).toEqual([1, 1, 1025, 1025]);
  });

  it('every shared zoo model is far below the default', () => {
    for (const name of ['resnet18', 'mobilenet_v2']) {
      expect(() => importOnnxFile(path.join(MODELS, 'zoo', name, 'model.onnx'), { maxWork: DEFAULT_MAX_WORK / 20 })).not.toThrow();
    }
  });
});

describe('limit flags of the CLI (inspect, run, optimize, compile, check)', () => {
  const model = path.join(MODELS, 'zoo/tiny_cnn/model.onnx');

  it('--max-model-mb, --max-tensor-mb and --max-gops refuse with exit 2 and one line; bad values are usage errors', async () => {
    const [m, t, w, bad, ok] = await Promise.all([
      dspc(['inspect', model, '--max-model-mb', '0.25']),
      dspc(['compile', model, '-o', path.join(tmp, 'never'), '--max-tensor-mb', '0.5']),
      dspc(['optimize', model, '-o', path.join(tmp, 'never.onnx'), '--max-gops', '0.01']),
      dspc(['inspect', model, '--max-gops', 'lots']),
      dspc(['inspect', model, '--max-model-mb', '1', '--max-tensor-mb', '1', '--max-gops', '0.1', '--json']),
    ]);
    expect(expectBadInput(m, 'max-model-mb')).toBe(`dspc: ${model}: model file has 420357 bytes, more than the limit of 262144 bytes`);
    expect(expectBadInput(t, 'max-tensor-mb')).toBe(`dspc: ${model}: graph input 'input' [1,3,224,224] needs 602112 bytes, more than the tensor limit of 524288 bytes`);
    expect(expectBadInput(w, 'max-gops')).toMatch(/one inference needs about 4\.\d\de\+7 element operations, more than the limit of 1\.00e\+7$/);
    expect(expectBadInput(bad, 'bad value')).toBe("dspc: --max-gops must be a positive number, got 'lots'");
    expect(ok.code).toBe(0);
    expect(fs.existsSync(path.join(tmp, 'never')) || fs.existsSync(path.join(tmp, 'never.onnx'))).toBe(false);
  });
});
