// Stage: kernel library. transpose kernel (Transpose): permutes axes of the codes.
// Contract: value-preserving (output quantization equals the input's); out[..., i_k, ...] = x[..., i_perm^-1, ...].

import { allocCodes, kernelError, numel, outTensor, qdtypeOf, requireSameQuant } from './common.js';
import { affineCopy, copyWork, rowStrides } from './movement.js';
import type { Invocation, KernelDef, QTensor } from './types.js';

function runTranspose(inv: Invocation, inputs: QTensor[]): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  requireSameQuant(inv, x, o);
  const rank = x.shape.length;
  const perm = Array.isArray(inv.attrs['perm']) ? inv.attrs['perm'] : [...Array(rank).keys()].reverse();
  if (perm.length !== rank || perm.some((p, i) => o.shape[i] !== x.shape[p]!)) {
    throw kernelError(inv, `perm [${perm.join(',')}] does not map [${x.shape.join(',')}] to [${o.shape.join(',')}]`);
  }
  const st = rowStrides(x.shape);
  const out = allocCodes(qdtypeOf(o), numel(o.shape));
  affineCopy(x.data, out, 0, o.shape, 0, perm.map((p) => st[p]!));
  return [outTensor(o, out)];
}

export const TRANSPOSE: KernelDef = {
  name: 'transpose',
  ops: ['Transpose'],
  role: 'movement',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'axis permutation (value-preserving)',
  paramFields: [],
  run: (inv, inputs) => runTranspose(inv, inputs),
  work: (inv, target) => copyWork(inv, target, TRANSPOSE),
  defaultCyclesPerVector: 2,
};
