// Stage: kernel library. reshape view kernel (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout): same codes,
// new shape.
// Contract: role 'view': the output aliases the input buffer, so the kernel costs nothing and launches nothing.

import { numel, outTensor, kernelError, requireSameQuant } from './common.js';
import type { Invocation, KernelDef, KernelWork, QTensor } from './types.js';

function runReshape(inv: Invocation, inputs: QTensor[]): QTensor[] {
  const x = inputs[0]!;
  const o = inv.outputs[0]!;
  requireSameQuant(inv, x, o);
  if (numel(x.shape) !== numel(o.shape)) throw kernelError(inv, `cannot view [${x.shape.join(',')}] as [${o.shape.join(',')}]`);
  return [outTensor(o, x.data)];
}

function viewWork(inv: Invocation): KernelWork {
  return { macs: 0, computeCycles: 0, inputBytes: inv.inputs.map(() => 0), outputBytes: inv.outputs.map(() => 0), paramBytes: 0 };
}

export const RESHAPE: KernelDef = {
  name: 'reshape',
  ops: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'],
  role: 'view',
  inputs: { min: 1, max: 1 },
  outputs: { min: 1, max: 1 },
  summary: 'shape reinterpretation of a row-major buffer (zero cost)',
  paramFields: [],
  run: runReshape,
  work: viewWork,
  defaultCyclesPerVector: 0,
};
