// Stage: fixed point. Post-training quantization parameters of activations: scale and zero point per runtime value.
// Contract: int8 activations are asymmetric, int16 symmetric (zero point 0); real = scale * (q - zp). Weight/bias codes are
// built by the kernels' own table helpers (kernels/output-stage.ts) from these scales, so one implementation decides every integer.

import type { Graph } from '../ir/graph.js';
import { opDef } from '../ir/optable.js';
import type { Range, Ranges } from './calibrate.js';

export type ActDType = 'int8' | 'int16';

export interface QParams {
  dtype: ActDType;
  scale: number;
  zeroPoint: number;
}

export const QRANGE: Readonly<Record<ActDType, { qmin: number; qmax: number }>> = {
  int8: { qmin: -128, qmax: 127 },
  int16: { qmin: -32768, qmax: 32767 },
};

/** std::round semantics (halves away from zero), as every device-side quantizer uses. */
export function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Scale and zero point for a calibrated range. The range is widened to contain 0 so that zero (padding, ReLU
 * output) is exactly representable; an empty or degenerate range gets width 1 so the scale is never 0.
 */
export function activationQParams(r: Range | undefined, dtype: ActDType): QParams {
  let lo = r && Number.isFinite(r.min) ? Math.min(r.min, 0) : 0;
  let hi = r && Number.isFinite(r.max) ? Math.max(r.max, 0) : 0;
  if (!(hi - lo > 1e-12)) {
    lo = Math.min(lo, 0);
    hi = lo + 1;
  }
  const { qmin, qmax } = QRANGE[dtype];
  if (dtype === 'int16') {
    const m = Math.max(-lo, hi);
    return { dtype, scale: m / qmax, zeroPoint: 0 };
  }
  const scale = (hi - lo) / (qmax - qmin);
  const zp = Math.min(qmax, Math.max(qmin, roundAway(qmin - lo / scale)));
  return { dtype, scale, zeroPoint: zp };
}

/**
 * Quantization of every runtime value. Single-input value-preserving ops (MaxPool, Reshape, Transpose, Slice,
 * Pad, Split, ...) reuse their input's parameters, so they move codes without requantizing and views stay views.
 * Values in `wide` are int16 whatever `dtype` is (mixed precision: 16x8 kernels inside an int8 program).
 */
export function assignQParams(g: Graph, ranges: Ranges, dtype: ActDType, wide?: ReadonlySet<string>): Map<string, QParams> {
  const q = new Map<string, QParams>();
  const dt = (v: string): ActDType => (wide?.has(v) ? 'int16' : dtype);
  for (const v of g.inputs) q.set(v.name, activationQParams(ranges.get(v.name), dt(v.name)));
  for (const n of g.nodes) {
    const def = opDef(n.op);
    const dataInputs = def ? def.inputs.filter((p) => p.role === 'data') : [];
    const passthrough = def?.valuePreserving === true && dataInputs.length === 1 && !dataInputs[0]!.variadic;
    const src = passthrough ? q.get(n.inputs[0] ?? '') : undefined;
    for (const o of n.outputs) {
      if (!o) continue;
      q.set(o, src ?? activationQParams(ranges.get(o), dt(o)));
    }
  }
  return q;
}
