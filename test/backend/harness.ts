// Test helper: backend. Executes emitted artifacts (schedule + params.bin) with the kernels' bit-accurate references.
// Contract: reads only what the backend emitted (like the simulator), so tests check the artifacts, not in-memory state.

import { KERNELS } from '../../kernels/index.js';
import { parseParamsBin, validateSchedule } from '../../kernels/artifacts.js';
import type { ParamsFile, Schedule } from '../../kernels/artifacts.js';
import type { ParamRef, ParamValues, QTensor } from '../../kernels/types.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { floatTensor } from '../../src/ir/tensor.js';

function paramsOf(refs: ParamRef[], pf: ParamsFile): ParamValues {
  const out: ParamValues = {};
  for (const r of refs) out[r.name] = pf.records[r.record]!.data;
  return out;
}

function quantize(x: Float32Array, scale: number, zp: number, dtype: string): Int8Array | Int16Array {
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [-32768, 32767];
  const out = dtype === 'int8' ? new Int8Array(x.length) : new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! / scale;
    const q = zp + (v < 0 ? -Math.round(-v) : Math.round(v));
    out[i] = Math.min(hi, Math.max(lo, q));
  }
  return out;
}

/** Run the program; returns dequantized float outputs by name. */
export function runArtifacts(scheduleJson: unknown, paramsBin: Uint8Array, inputs: Map<string, Tensor>): Map<string, Tensor> {
  const pf = parseParamsBin(paramsBin, 'params.bin');
  const s: Schedule = validateSchedule(scheduleJson, 'schedule.json', pf);
  const mem = new Map<number, QTensor['data']>();
  for (const i of s.inputs) {
    const t = inputs.get(i.name)!;
    mem.set(i.buffer, quantize(t.data as Float32Array, i.scale, i.zeroPoint, i.dtype));
  }
  for (const inv of s.invocations) {
    const k = KERNELS.get(inv.kernel)!;
    const ins: QTensor[] = inv.inputs.map((r) => ({ data: mem.get(r.buffer)!, shape: r.shape, scale: r.scale, zeroPoint: r.zeroPoint }));
    const outs = k.run(inv, ins, paramsOf(inv.params, pf), inv.epilogue ? paramsOf(inv.epilogue.params, pf) : undefined);
    inv.outputs.forEach((r, i) => mem.set(r.buffer, outs[i]!.data));
  }
  const res = new Map<string, Tensor>();
  for (const o of s.outputs) {
    const d = mem.get(o.buffer)!;
    res.set(o.name, floatTensor(o.shape, Float32Array.from(d, (c) => o.scale * (c - o.zeroPoint))));
  }
  return res;
}

/** Signal-to-quantization-noise ratio in dB. */
export function sqnr(ref: ArrayLike<number>, got: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i]! ** 2;
    n += (ref[i]! - got[i]!) ** 2;
  }
  return n === 0 ? Infinity : 10 * Math.log10(s / n);
}
