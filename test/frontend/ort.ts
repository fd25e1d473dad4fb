// Test support: ONNX Runtime as the reference for op semantics. One crafted model is run by ORT and by dspc
// (import + float interpreter) on the same feeds, and the outputs compared element by element.
// Contract: test-only; feeds and outputs are IR Tensors; the comparison treats NaN = NaN and equal infinities as equal.

import { expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnxBytes } from '../../src/frontend/index.js';
import { interpret } from '../../src/ir/interpret.js';
import { numel, type DType, type Tensor } from '../../src/ir/tensor.js';

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', int16: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
};

/** ORT's outputs of `bytes` on `feeds`, as plain number arrays by output name. */
export async function ortRun(bytes: Uint8Array, feeds: ReadonlyMap<string, Tensor>): Promise<Map<string, number[]>> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, t] of feeds) f[k] = new ort.Tensor(ORT_TYPE[t.dtype]!, t.data as Float32Array, [...t.dims]);
    const out = await s.run(f);
    return new Map(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as ArrayLike<number | bigint | boolean>, Number)]));
  } finally {
    await s.release();
  }
}

/** dspc's outputs of the same model: imported, then run by the float reference interpreter. */
export function dspcRun(bytes: Uint8Array, feeds: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const g = importOnnxBytes(bytes, 'crafted.onnx');
  return interpret(g, new Map(feeds));
}

/** |got - want| <= atol + rtol * |want| per element; NaN matches NaN, infinities match exactly. */
export function expectClose(got: ArrayLike<number | bigint>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(got.length, `${what}: element count`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = Number(got[i]), b = want[i]!;
    if (Number.isNaN(b) || !Number.isFinite(b)) {
      expect(Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b)), `${what}[${i}]: got ${a}, ORT ${b}`).toBe(true);
      continue;
    }
    expect(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${what}[${i}]: got ${a}, ORT ${b}`).toBe(true);
  }
}

/** Run both and compare every graph output (shapes through the element count, values through expectClose). */
export async function expectMatchesOrt(bytes: Uint8Array, feeds: ReadonlyMap<string, Tensor>, rtol: number, atol: number): Promise<void> {
  const ours = dspcRun(bytes, feeds);
  const theirs = await ortRun(bytes, feeds);
  for (const [name, t] of ours) {
    const ref = theirs.get(name);
    expect(ref, `ORT has no output '${name}'`).toBeDefined();
    expect(numel(t.dims)).toBe(ref!.length);
    expectClose(t.data, ref!, rtol, atol, name);
  }
}
