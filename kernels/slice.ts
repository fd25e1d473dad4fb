// Stage: kernel library. slice kernel (Slice): strided sub-tensor of the codes.
// Contract: value-preserving; starts/ends/axes/steps are the importer's resolved (clamped, non-negative axes) form.

import { allocCodes, kernelError, numel, outTensor, qdtypeOf, requireSameQuant } from './common.js';
import { affineCopy, copyWork, rowStrides } from './movement.js';
import type { Invocation, KernelDef, QTensor } from './types.js';

function runSlice(inv: Invocation, inputs: QTensor[]): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  requireSameQuant(inv, x, o);
  const rank = x.shape.length;
  const starts = (inv.attrs['starts'] ?? []) as number[];
  const axes = (Array.isArray(inv.attrs['axes']) ? inv.attrs['axes'] : starts.map((_, i) => i)) as number[];
  const steps = (Array.isArray(inv.attrs['steps']) ? inv.attrs['steps'] : starts.map(() => 1)) as number[];
  const st = rowStrides(x.shape);
  const coef = st.slice();
  let base = 0;
  axes.forEach((a, k) => {
    if (a < 0 || a >= rank) throw kernelError(inv, `slice axis ${a} out of range for rank ${rank}`);
    base += starts[k]! * st[a]!;
    coef[a] = steps[k]! * st[a]!;
  });
  const out = allocCodes(qdtypeOf(o), numel(o.shape));
  affineCopy(x.data, out, 0, o.shape, base, coef);
  return [outTensor(o, out)];
}

export const SLICE: KernelDef = {
  name: 'slice',
  ops: ['Slice'],
  role: 'movement',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'strided sub-tensor (value-preserving)',
  paramFields: [],
  run: (inv, inputs) => runSlice(inv, inputs),
  work: (inv, target) => copyWork(inv, target, SLICE),
  defaultCyclesPerVector: 1,
};
