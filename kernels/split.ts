// Stage: kernel library. split kernel (Split): consecutive pieces along an axis, one output each.
// Contract: value-preserving; piece sizes come from the output shapes.

import { allocCodes, kernelError, numel, outTensor, qdtypeOf, requireSameQuant } from './common.js';
import { affineCopy, copyWork, rowStrides } from './movement.js';
import type { Invocation, KernelDef, QTensor } from './types.js';

function runSplit(inv: Invocation, inputs: QTensor[]): QTensor[] {
  const x = inputs[0]!;
  const axis = typeof inv.attrs['axis'] === 'number' ? inv.attrs['axis'] : 0;
  if (axis < 0 || axis >= x.shape.length) throw kernelError(inv, `axis ${axis} out of range for rank ${x.shape.length}`);
  const st = rowStrides(x.shape);
  let start = 0;
  const outs = inv.outputs.map((o) => {
    requireSameQuant(inv, x, o);
    const out = allocCodes(qdtypeOf(o), numel(o.shape));
    affineCopy(x.data, out, 0, o.shape, start * st[axis]!, st);
    start += o.shape[axis]!;
    return outTensor(o, out);
  });
  if (start !== x.shape[axis]) throw kernelError(inv, `outputs cover ${start} of ${x.shape[axis]} along axis ${axis}`);
  return outs;
}

export const SPLIT: KernelDef = {
  name: 'split',
  ops: ['Split'],
  role: 'movement',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: Infinity },
  summary: 'split along an axis (value-preserving)',
  paramFields: [],
  run: (inv, inputs) => runSplit(inv, inputs),
  work: (inv, target) => copyWork(inv, target, SPLIT),
  defaultCyclesPerVector: 1,
};
