// Stage: graph passes, support. Per-slot scratch arrays (typed), reused from pass to pass instead of allocated per pass.
// Contract: take*(n, fill) gives n elements set to `fill`, the caller's alone until give() hands the array back.

/**
 * Why reuse: V8 counts typed-array memory as external to its heap and starts a full mark-compact of the whole heap each
 * time ~64 MB more of it has been allocated. A pass over a 1M-node graph needs ~40 MB of per-slot arrays, so, allocated
 * per pass, every second pass paid a full collection of the graph's ~400 MB heap (~0.2 s; `node
 * --trace-incremental-marking` names the cause: "Start (external memory pressure)"), and at 100k nodes one pass in
 * fourteen. Buffers given back are kept (up to MAX_POOLED bytes) for the next pass, which then allocates none.
 */
const MAX_POOLED = 64 << 20;
const pool: ArrayBuffer[] = [];
/** Buffers now in the pool: giving one back twice must not let two takers share it. */
const pooled = new WeakSet<ArrayBuffer>();
let pooledBytes = 0;

/** The smallest pooled buffer of at least `bytes`, else a new one (sizes rounded up to a power of two, so they match). */
function buffer(bytes: number): ArrayBuffer {
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    const len = pool[i]!.byteLength;
    if (len >= bytes && (best < 0 || len < pool[best]!.byteLength)) best = i;
  }
  if (best < 0) {
    let size = 64;
    while (size < bytes) size *= 2;
    return new ArrayBuffer(size);
  }
  const b = pool[best]!;
  pool.splice(best, 1);
  pooled.delete(b);
  pooledBytes -= b.byteLength;
  return b;
}

export function takeInt32(n: number, fill: number): Int32Array {
  return new Int32Array(buffer(n * 4), 0, n).fill(fill);
}

export function takeUint8(n: number, fill: number): Uint8Array {
  return new Uint8Array(buffer(n), 0, n).fill(fill);
}

export function takeInt8(n: number, fill: number): Int8Array {
  return new Int8Array(buffer(n), 0, n).fill(fill);
}

/** Hands arrays back (the caller must not use them afterwards); arrays not from take*() are accepted too. */
export function give(...arrays: (Int32Array | Uint8Array | Int8Array)[]): void {
  for (const a of arrays) {
    const b = a.buffer;
    if (!(b instanceof ArrayBuffer) || pooled.has(b) || pooledBytes + b.byteLength > MAX_POOLED) continue;
    pool.push(b);
    pooled.add(b);
    pooledBytes += b.byteLength;
  }
}
