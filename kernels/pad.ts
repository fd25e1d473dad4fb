// Stage: kernel library. pad kernel (Pad, constant mode): surrounds the codes with the quantized pad value.
// Contract: value-preserving for the data; the pad value becomes out_zp + round(value / scale), saturated.

import { quantizeValue } from './fixedpoint.js';
import { allocCodes, kernelError, numel, outTensor, qdtypeOf, requireSameQuant } from './common.js';
import { copyWork, rowStrides } from './movement.js';
import type { Invocation, KernelDef, QTensor } from './types.js';

function runPad(inv: Invocation, inputs: QTensor[]): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  requireSameQuant(inv, x, o);
  const mode = inv.attrs['mode'] ?? 'constant';
  if (mode !== 'constant') throw kernelError(inv, `pad mode '${String(mode)}' is not supported (constant only)`);
  const rank = x.shape.length;
  const pads = (inv.attrs['pads'] ?? new Array(2 * rank).fill(0)) as number[];
  if (pads.some((p) => p < 0)) throw kernelError(inv, 'negative pads (cropping) are not supported');
  const value = typeof inv.attrs['value'] === 'number' ? inv.attrs['value'] : 0;
  const dtype = qdtypeOf(o);
  const out = allocCodes(dtype, numel(o.shape)).fill(quantizeValue(value, o.scale, o.zeroPoint, dtype));
  const so = rowStrides(o.shape);
  const si = rowStrides(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    let dst = 0;
    for (let a = 0; a < rank; a++) dst += (Math.floor(i / si[a]!) % x.shape[a]! + pads[a]!) * so[a]!;
    out[dst] = x.data[i]!;
  }
  return [outTensor(o, out)];
}

export const PAD: KernelDef = {
  name: 'pad',
  ops: ['Pad'],
  role: 'movement',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'constant padding (value-preserving)',
  paramFields: [],
  run: (inv, inputs) => runPad(inv, inputs),
  work: (inv, target) => copyWork(inv, target, PAD),
  defaultCyclesPerVector: 1,
};
