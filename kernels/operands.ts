// Stage: kernel library support. Operands of element-wise kernels that take run-time tensors and constants alike
// (div, maximum, minimum, equal, greater, less, where): which input is which, and constants folded together.
// Contract: constants are real values with shapes (folded here when several); run() reads either kind per output
// element through codeReader / tableReader.

import { broadcastIndex, sameShape } from './broadcast.js';
import { field, kernelError, numel } from './common.js';
import type { Invocation, ParamValues, QTensor, QuantParams } from './types.js';

/** A constant operand: real values and their shape. */
export interface ConstOperand {
  dims: readonly number[];
  values: ArrayLike<number>;
}

/** One operand: run-time (its quantization) or a constant (its real values). */
export type Operand = { q: QuantParams } | { constant: ConstOperand };

/** Code of a run-time operand per output element (numpy broadcast to `out`). */
export function codeReader(t: QTensor, out: readonly number[]): (i: number) => number {
  if (sameShape(t.shape, out)) return (i) => t.data[i]!;
  const ix = broadcastIndex(out, t.shape);
  return (i) => t.data[ix[i]!]!;
}

/** A constant operand held in the table (int32 codes `codes`, shape `dims`) per output element; null when empty. */
export function tableReader(inv: Invocation, params: ParamValues, codes: string, dims: string, out: readonly number[]): ((i: number) => number) | null {
  const c = field<Int32Array>(inv, params, codes);
  if (c.length === 0) return null;
  const d = [...field<Int32Array>(inv, params, dims)];
  if (numel(d) !== c.length) throw kernelError(inv, `${codes} has ${c.length} entries for shape [${d.join(',')}]`);
  if (sameShape(d, out)) return (i) => c[i]!;
  const ix = broadcastIndex(out, d);
  return (i) => c[ix[i]!]!;
}
