// Stage: kernel library support. Numpy (multidirectional) broadcasting of binary elementwise kernels.
// Contract: broadcastIndex maps each output element to the flat index of one operand.

/** For each element of `out`, the flat index into an operand of shape `shape` broadcast to it. */
export function broadcastIndex(out: readonly number[], shape: readonly number[]): Int32Array {
  const n = out.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(n);
  const rank = out.length;
  const pad = rank - shape.length;
  const st = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let a = rank - 1; a >= pad; a--) {
    const d = shape[a - pad]!;
    st[a] = d === 1 ? 0 : acc;
    acc *= d;
  }
  const cnt = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let a = rank - 1; a >= 0; a--) {
      cnt[a]!++;
      off += st[a]!;
      if (cnt[a]! < out[a]!) break;
      off -= st[a]! * cnt[a]!;
      cnt[a] = 0;
    }
  }
  return idx;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
