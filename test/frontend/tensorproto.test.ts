// TensorProto (.pb) I/O: every IR dtype round-trips bit-exactly through encode/decode and the .pb files of the shared
// models decode; typed fields, misaligned raw_data and atomic writes are covered.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeTensorProto, encodeTensorProto, readTensorPb, writeTensorPb } from '../../src/frontend/index.js';
import { onnx } from '../../src/frontend/onnx/proto.js';
import { DspcError } from '../../src/ir/errors.js';
import { dspcErrorOf } from '../dspc-error.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { MODELS } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dspc-tensorproto-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SAMPLES: Tensor[] = [
  { dtype: 'float32', dims: [2, 3], data: new Float32Array([0, -0, 1.5, -3.25e-39, Infinity, NaN]) },
  { dtype: 'float64', dims: [2], data: new Float64Array([Math.PI, -1e300]) },
  { dtype: 'int64', dims: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 42n]) },
  { dtype: 'int32', dims: [2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1]) },
  { dtype: 'int16', dims: [2], data: new Int16Array([-32768, 32767]) },
  { dtype: 'int8', dims: [3], data: new Int8Array([-128, 0, 127]) },
  { dtype: 'uint8', dims: [2], data: new Uint8Array([0, 255]) },
  { dtype: 'bool', dims: [2], data: new Uint8Array([1, 0]) },
  { dtype: 'float32', dims: [], data: new Float32Array([7]) },
];

function bytesOf(t: Tensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

describe('encode / decode', () => {
  it.each(SAMPLES.map((t) => [`${t.dtype}[${t.dims.join(',')}]`, t]))('%s round-trips bit-exactly', (_n, t) => {
    // Names of length 1..4 move raw_data to every alignment: aligned data is viewed, misaligned data copied once.
    for (const name of ['a', 'ab', 'abc', 'abcd']) {
      const back = decodeTensorProto(encodeTensorProto(name, t), 'x.pb');
      expect(back.name).toBe(name);
      expect(back.tensor.dtype).toBe(t.dtype);
      expect([...back.tensor.dims]).toEqual([...t.dims]);
      expect(bytesOf(back.tensor).equals(bytesOf(t))).toBe(true);
    }
  });

  it('decodes typed fields (float_data, double_data, int32_data for small ints and bool, int64_data)', () => {
    const enc = (p: object): Uint8Array => onnx.TensorProto.encode(onnx.TensorProto.create(p)).finish();
    const dec = (p: object): number[] => [...decodeTensorProto(enc(p), 't.pb').tensor.data].map(Number);
    expect(dec({ name: 'f', dims: [2], dataType: 1, floatData: [0.5, -2] })).toEqual([0.5, -2]);
    expect(dec({ name: 'd', dims: [1], dataType: 11, doubleData: [0.1] })).toEqual([0.1]);
    expect(dec({ name: 'i8', dims: [2], dataType: 3, int32Data: [-5, 7] })).toEqual([-5, 7]);
    expect(dec({ name: 'u8', dims: [2], dataType: 2, int32Data: [200, 3] })).toEqual([200, 3]);
    expect(dec({ name: 'i16', dims: [1], dataType: 5, int32Data: [-300] })).toEqual([-300]);
    expect(dec({ name: 'b', dims: [2], dataType: 9, int32Data: [1, 0] })).toEqual([1, 0]);
    const big = decodeTensorProto(enc({ name: 'l', dims: [2], dataType: 7, int64Data: ['-9223372036854775808', 5] }), 't.pb').tensor;
    expect([...(big.data as BigInt64Array)]).toEqual([-(2n ** 63n), 5n]);
  });

  it('refuses empty, non-tensor and inconsistent input with typed errors naming the file', () => {
    const err = (b: Uint8Array): DspcError => dspcErrorOf(() => decodeTensorProto(b, 'bad.pb'));
    expect(err(new Uint8Array()).code).toBe('E_FILE');
    expect(err(new TextEncoder().encode('hello world, not protobuf')).code).toBe('E_PARSE');
    const short = onnx.TensorProto.encode({ name: 'w', dims: [3], dataType: 1, rawData: new Uint8Array(8) }).finish();
    expect(err(short).message).toBe("bad.pb: tensor 'w': raw_data has 8 bytes but shape and float32 need 12");
  });
});

describe('.pb files', () => {
  const pbs = ['zoo', 'chains', 'conformance/node', 'conformance/pytorch-converted'].flatMap((set) =>
    fs.readdirSync(path.join(MODELS, set), { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) => {
      const dir = path.join(MODELS, set, d.name, 'test_data_set_0');
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
    }));

  it(`every stored .pb of the shared models decodes and re-encodes to an equal tensor (${pbs.length} files)`, () => {
    expect(pbs.length).toBeGreaterThan(250);
    for (const f of pbs) {
      const { name, tensor } = readTensorPb(f);
      const again = decodeTensorProto(encodeTensorProto(name, tensor), f);
      expect(again.name).toBe(name);
      expect(bytesOf(again.tensor).equals(bytesOf(tensor))).toBe(true);
    }
  });

  it('writeTensorPb writes atomically and reads back', () => {
    const file = path.join(tmp, 'out.pb');
    writeTensorPb(file, 'y', SAMPLES[0]!);
    expect(fs.readdirSync(tmp)).toEqual(['out.pb']);
    expect(bytesOf(readTensorPb(file).tensor).equals(bytesOf(SAMPLES[0]!))).toBe(true);
  });

  it('a write that cannot happen leaves nothing behind and says so', () => {
    const file = path.join(tmp, 'no-such-dir', 'out.pb');
    expect(() => writeTensorPb(file, 'y', SAMPLES[0]!)).toThrow(/cannot write tensor file \(ENOENT\)/);
    expect(fs.existsSync(path.dirname(file))).toBe(false);
    expect(() => readTensorPb(path.join(tmp, 'missing.pb'))).toThrow(/missing.pb: cannot read tensor file \(ENOENT\)/);
  });
});
