// Test: backend emission. params.bin written by encodeParamsBin reads back equal through the binary-parser loader.
// Contract: every table round-trips; a corrupted byte, truncation and out-of-bounds offsets give E_ARTIFACT, never an out-of-bounds read.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeParamsBin, type ParamTable } from '../../src/backend/params.js';
import { PARAMS_ALIGN, PARAMS_HEADER_BYTES, PARAMS_RECORD_BYTES, crc32, parseParamsBin } from '../../kernels/artifacts.js';
import { DspcError } from '../../src/ir/errors.js';

function tables(): ParamTable[] {
  return [
    { kind: 'kernel', kernel: 'conv2d', field: 'weights', node: 'conv_0', invocation: 0, dtype: 'int8', data: Int8Array.from([1, -2, 3, -128, 127]) },
    { kind: 'kernel', kernel: 'conv2d', field: 'bias', node: 'conv_0', invocation: 0, dtype: 'int32', data: Int32Array.from([-2147483648, 2147483647, 0]) },
    { kind: 'epilogue', kernel: 'prelu', field: 'alpha_multiplier', node: 'prelü_1', invocation: 0, dtype: 'int16', data: Int16Array.from([-32768, 32767, 5]) },
    { kind: 'kernel', kernel: 'sigmoid', field: 'lut', node: 'sig', invocation: 1, dtype: 'uint8', data: Uint8Array.from({ length: 256 }, (_, i) => i) },
    { kind: 'kernel', kernel: 'fc', field: 'scale', node: 'fc', invocation: 2, dtype: 'float32', data: Float32Array.from([0.5, -1e-30, 3.25]) },
    { kind: 'kernel', kernel: 'fc', field: 'empty', node: 'fc', invocation: 2, dtype: 'int32', data: new Int32Array(0) },
  ];
}

function expectArtifactError(f: () => unknown, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DspcError);
    expect((e as DspcError).code).toBe('E_ARTIFACT');
    expect((e as DspcError).message).toMatch(pattern);
    expect((e as DspcError).message).toContain('params.bin');
    return;
  }
  throw new Error('expected an E_ARTIFACT error');
}

describe('params.bin', () => {
  it('round-trips every table, name and header field', () => {
    const t = tables();
    const img = encodeParamsBin('generic-dsp', 'model-x', 'int16', t);
    const p = parseParamsBin(img.bytes, 'out/params.bin');
    expect(p.targetId).toBe('generic-dsp');
    expect(p.modelId).toBe('model-x');
    expect(p.dtype).toBe('int16');
    expect(p.crc32).toBe(img.crc32);
    expect(p.records).toHaveLength(t.length);
    p.records.forEach((r, i) => {
      const src = t[i]!;
      expect([r.kind, r.kernel, r.field, r.node, r.invocation, r.dtype]).toEqual([src.kind, src.kernel, src.field, src.node, src.invocation, src.dtype]);
      expect(r.data.constructor).toBe(src.data.constructor);
      expect(Array.from(r.data)).toEqual(Array.from(src.data));
      expect(r.offset % PARAMS_ALIGN).toBe(0);
      expect(img.refs[i]).toEqual({ name: src.field, record: i, offset: r.offset, bytes: r.bytes, dtype: r.dtype, count: r.count });
    });
  });

  it('round-trips random tables (property)', () => {
    const table = fc.record({
      kind: fc.constantFrom('kernel' as const, 'epilogue' as const),
      kernel: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\0')),
      field: fc.constantFrom('w', 'b', 'm', 's'),
      invocation: fc.nat(1000),
      vals: fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 40 }),
      dtype: fc.constantFrom('int8' as const, 'int16' as const, 'int32' as const),
    });
    fc.assert(fc.property(fc.array(table, { maxLength: 12 }), (ts) => {
      const mk = (d: 'int8' | 'int16' | 'int32', v: number[]) => d === 'int8' ? Int8Array.from(v) : d === 'int16' ? Int16Array.from(v) : Int32Array.from(v);
      const pt: ParamTable[] = ts.map((x) => ({ kind: x.kind, kernel: x.kernel, field: x.field, node: `n${x.invocation}`, invocation: x.invocation, dtype: x.dtype, data: mk(x.dtype, x.vals) }));
      const p = parseParamsBin(encodeParamsBin('t', 'm', 'int8', pt).bytes, 'params.bin');
      expect(p.records.map((r) => [r.kernel, r.field, r.invocation, r.dtype, Array.from(r.data)])).toEqual(pt.map((x) => [x.kernel, x.field, x.invocation, x.dtype, Array.from(x.data)]));
    }), { numRuns: 200 });
  });

  it('is deterministic', () => {
    expect(encodeParamsBin('a', 'b', 'int8', tables()).bytes).toEqual(encodeParamsBin('a', 'b', 'int8', tables()).bytes);
  });

  it('detects any single corrupted byte', () => {
    const bytes = encodeParamsBin('generic-dsp', 'm', 'int8', tables()).bytes;
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] = bad[i]! ^ 0x10;
      // Bytes 0-11 are checked before the CRC (magic, version, size) and give their own message.
      expectArtifactError(() => parseParamsBin(bad, 'out/params.bin'), i < 12 ? /magic|version|header|CRC32/ : /CRC32 mismatch/);
    }
  });

  it('rejects truncated and padded files', () => {
    const bytes = encodeParamsBin('generic-dsp', 'm', 'int8', tables()).bytes;
    expectArtifactError(() => parseParamsBin(bytes.subarray(0, 10), 'out/params.bin'), /truncated/);
    expectArtifactError(() => parseParamsBin(bytes.subarray(0, bytes.length - 7), 'out/params.bin'), /truncated/);
    expectArtifactError(() => parseParamsBin(new Uint8Array([...bytes, 0]), 'out/params.bin'), /truncated or padded/);
    expectArtifactError(() => parseParamsBin(new Uint8Array(0), 'out/params.bin'), /truncated/);
  });

  it('rejects out-of-bounds offsets even with a valid CRC', () => {
    const base = encodeParamsBin('generic-dsp', 'm', 'int8', tables()).bytes;
    const patch = (off: number, v: number): Uint8Array => {
      const b = base.slice();
      const dv = new DataView(b.buffer);
      dv.setUint32(off, v, true);
      dv.setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
      return b;
    };
    const rec0 = PARAMS_HEADER_BYTES;
    expectArtifactError(() => parseParamsBin(patch(rec0 + 24, Math.ceil(base.length / 16) * 16 + 64), 'out/params.bin'), /record 0: bytes .* outside the data region/);
    expectArtifactError(() => parseParamsBin(patch(rec0 + 24, 0xfffffff0), 'out/params.bin'), /record 0/);
    expectArtifactError(() => parseParamsBin(patch(rec0 + PARAMS_RECORD_BYTES + 20, 1 << 30), 'out/params.bin'), /record 1: .* do not hold/);
    expectArtifactError(() => parseParamsBin(patch(rec0 + 4, 1 << 20), 'out/params.bin'), /string offset/);
    expectArtifactError(() => parseParamsBin(patch(12, 100000), 'out/params.bin'), /record table .* outside/);
    expectArtifactError(() => parseParamsBin(patch(32, 8), 'out/params.bin'), /data region|aligned/);
  });
});
