// Tests: kernel library / data-movement kernels. Codes move exactly; views alias; quantization must be preserved.
// Why: shufflenet's channel shuffle (Reshape/Transpose/Slice) and the flattens before Gemm all go through these.

import { describe, expect, it } from 'vitest';
import { DspcError } from '../../src/ir/errors.js';
import { KERNELS } from '../../kernels/index.js';
import { loadTarget } from '../../kernels/target.js';
import type { AttrMap, QuantParams } from '../../kernels/types.js';
import { inv, qtensor, randomCodes, ref } from './helpers.js';

const q: QuantParams = { scale: 0.02, zeroPoint: -3, dtype: 'int8' };
const iota = (n: number): Int8Array => Int8Array.from({ length: n }, (_, i) => (i % 200) - 100);

function run(kernel: string, inShape: number[], outShapes: number[][], attrs: AttrMap, data = iota(inShape.reduce((a, b) => a * b, 1))) {
  const i = inv(kernel, [ref(inShape, q)], outShapes.map((s) => ref(s, q)), attrs);
  return KERNELS.get(kernel)!.run(i, [qtensor(data, inShape, q)], {});
}

describe('movement kernels', () => {
  it('transpose permutes axes (shufflenet channel shuffle [1,2,3,4,4] perm 0,2,1,3,4)', () => {
    const out = run('transpose', [1, 2, 3, 2, 2], [[1, 3, 2, 2, 2]], { perm: [0, 2, 1, 3, 4] })[0]!;
    const x = iota(24);
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let s = 0; s < 4; s++) {
      expect(out.data[(b * 2 + a) * 4 + s]).toBe(x[(a * 3 + b) * 4 + s]);
    }
  });
  it('slice with steps and split into pieces', () => {
    const out = run('slice', [1, 4, 3, 3], [[1, 2, 3, 2]], { starts: [1, 1], ends: [4, 3], axes: [1, 3], steps: [2, 1] })[0]!;
    const x = iota(36);
    const exp: number[] = [];
    for (const c of [1, 3]) for (let h = 0; h < 3; h++) for (const w of [1, 2]) exp.push(x[(c * 3 + h) * 3 + w]!);
    expect([...out.data]).toEqual(exp);
    const parts = run('split', [1, 4, 2], [[1, 1, 2], [1, 3, 2]], { axis: 1 });
    expect([...parts[0]!.data, ...parts[1]!.data]).toEqual([...iota(8)]);
  });
  it('pad writes the quantized pad value around the codes', () => {
    const out = run('pad', [1, 1, 2, 2], [[1, 1, 3, 4]], { pads: [0, 0, 1, 1, 0, 0, 0, 1], value: 0.1 }, Int8Array.from([1, 2, 3, 4]))[0]!;
    const v = -3 + 5; // zp + round(0.1 / 0.02)
    expect([...out.data]).toEqual([v, v, v, v, v, 1, 2, v, v, 3, 4, v]);
  });
  it('reshape is a zero-cost view sharing the buffer', () => {
    const data = randomCodes(24, 'int8', 3) as Int8Array;
    const out = run('reshape', [1, 2, 3, 4], [[1, 24]], {}, data)[0]!;
    expect(out.data).toBe(data);
    const w = KERNELS.get('reshape')!.work(inv('reshape', [ref([1, 2, 3, 4], q)], [ref([1, 24], q)]), loadTarget('generic-dsp'));
    expect(w).toEqual({ macs: 0, computeCycles: 0, inputBytes: [0], outputBytes: [0], paramBytes: 0 });
  });
  it('value-preserving kernels refuse a changed quantization, naming the node', () => {
    const i = inv('maxpool', [ref([1, 1, 2, 2], q)], [ref([1, 1, 1, 1], { ...q, scale: 0.5 })], { kernel_shape: [2, 2], strides: [2, 2] });
    let err: unknown;
    try { KERNELS.get('maxpool')!.run(i, [qtensor(iota(4), [1, 1, 2, 2], q)], {}); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DspcError);
    expect((err as DspcError).code).toBe('E_KERNEL');
    expect((err as DspcError).message).toContain("node 'maxpool_node'");
  });
  it('missing parameter fields are reported by name', () => {
    const i = inv('relu', [ref([1, 4], q)], [ref([1, 4], q)]);
    expect(() => KERNELS.get('relu')!.run(i, [qtensor(iota(4), [1, 4], q)], {})).toThrow(/in_zp|out_/);
  });
});
