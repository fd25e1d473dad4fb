// Stage: kernel library support. Strided copies behind the data-movement kernels (transpose, slice, split, concat).
// Contract: out[i] = src[base + sum_a coord_a(i) * coef[a]] over the output's row-major coordinates.

import type { Invocation, KernelDef, KernelWork, Target } from './types.js';
import { cyclesPerVector, laneVectors, paramBytesOf, qdtypeOf, tensorBytes } from './common.js';

export function rowStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let a = shape.length - 1; a >= 0; a--) { s[a] = acc; acc *= shape[a]!; }
  return s;
}

/** Affine gather: visits output coordinates in row-major order with an incrementally maintained source offset. */
export function affineCopy(
  src: ArrayLike<number>,
  out: { [i: number]: number },
  outOffset: number,
  outShape: readonly number[],
  base: number,
  coef: readonly number[],
): void {
  const rank = outShape.length;
  const n = outShape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const cnt = new Array<number>(rank).fill(0);
  let off = base;
  for (let i = 0; i < n; i++) {
    out[outOffset + i] = src[off]!;
    for (let a = rank - 1; a >= 0; a--) {
      cnt[a]!++;
      off += coef[a]!;
      if (cnt[a]! < outShape[a]!) break;
      off -= coef[a]! * cnt[a]!;
      cnt[a] = 0;
    }
  }
}

/** Copy-type kernels: output lane vectors times cycles per vector (the target may price layout changes higher). */
export function copyWork(inv: Invocation, target: Target, def: KernelDef): KernelWork {
  const lanes = target.vectorLanes[qdtypeOf(inv.outputs[0]!)];
  const vectors = inv.outputs.reduce((s, o) => s + laneVectors(o.shape, lanes), 0);
  return {
    macs: 0,
    computeCycles: vectors * cyclesPerVector(target, inv.kernel, def.defaultCyclesPerVector),
    inputBytes: inv.inputs.map(tensorBytes),
    outputBytes: inv.outputs.map(tensorBytes),
    paramBytes: paramBytesOf(inv),
  };
}
