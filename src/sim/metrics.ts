// Stage: simulator. Error metrics between a float reference and a simulated output: SQNR, max abs error, bit identity.
// Contract: pure functions over equal-length arrays; a length mismatch is E_USAGE naming both lengths.

import { DspcError } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import { toFloat32 } from '../ir/tensor.js';

export interface ErrorStats {
  /** 10*log10(sum ref^2 / sum (ref - got)^2) in dB; Infinity when identical, -Infinity for a zero reference with error. */
  sqnrDb: number;
  maxAbsError: number;
  /** Elements compared. */
  count: number;
}

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new DspcError('E_USAGE', `${what}: reference has ${a.length} elements, the output ${b.length}`);
}

/** SQNR and max abs error of `got` against `ref` (sums in float64). */
export function errorStats(ref: ArrayLike<number>, got: ArrayLike<number>, what = 'output'): ErrorStats {
  sameLength(ref, got, what);
  let signal = 0;
  let noise = 0;
  let maxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const d = r - got[i]!;
    signal += r * r;
    noise += d * d;
    const a = Math.abs(d);
    if (a > maxAbs || Number.isNaN(a)) maxAbs = a;
  }
  const sqnrDb = noise === 0 ? Infinity : signal === 0 ? -Infinity : 10 * Math.log10(signal / noise);
  return { sqnrDb, maxAbsError: maxAbs, count: ref.length };
}

export function tensorErrorStats(ref: Tensor, got: Tensor, what = 'output'): ErrorStats {
  return errorStats(toFloat32(ref), toFloat32(got), what);
}

/** True when both arrays hold exactly the same values (bitwise for floats, so -0 differs from +0). */
export function bitIdentical(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
