// Stage: kernel library support (simulator speed). Instantiates the int8 SIMD module once and hands out its memory.
// Contract: int8Wasm() is null where WebAssembly SIMD is unavailable or disabled (callers keep their scalar path).

import { int8BinaryModule } from './int8-kernels.js';

type Ptr = number;

/** Largest working set a single kernel invocation may lay out (int32 offsets stay far from wrapping). */
export const MAX_ARENA_BYTES = 1 << 30;

/** The exported functions of kernels/wasm/int8-kernels.ts (argument contracts documented there). */
export interface Int8Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  pad16(src: Ptr, dst: Ptr, c: number, h: number, w: number, pt: number, pl: number, ph: number, pw: number, zp: number, fill: number): void;
  pack(rows: Ptr, p: number, k: number, cols: Ptr, ppad: number, zero: Ptr): void;
  gemm(cols: Ptr, ppad: number, kp: number, w: Ptr, noc: number, acc: Ptr): void;
  dw_s1(xp: Ptr, plane: number, pw: number, oh: number, ow: number, sh: number, taps: number, wt: Ptr, offs: Ptr, noc: number, mult: number, acc: Ptr): void;
  dw_s2(xp: Ptr, plane: number, pw: number, oh: number, ow: number, sh: number, taps: number, wt: Ptr, offs: Ptr, noc: number, mult: number, acc: Ptr): void;
  requant(acc: Ptr, accStride: number, count: number, noc: number, prm: Ptr, zp: number, lo: number, hi: number, out: Ptr, outStride: number): void;
  table(out: Ptr, count: number, noc: number, outStride: number, tbl: Ptr, tblStride: number): void;
}

/** The slice of the WebAssembly JS API we use (the project's lib settings carry no WebAssembly typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/**
 * Bump allocator over the module's memory: a kernel invocation lays out its regions with alloc(), then ready()
 * grows the memory once, after which typed views stay valid until the next ready(). Every region gets 64 bytes
 * of slack: the SIMD loops read and write up to one vector past the end of a row.
 */
export class Arena {
  private top = 0;

  constructor(readonly ex: Int8Exports) {}

  reset(): void {
    this.top = 0;
  }

  alloc(bytes: number): Ptr {
    const at = this.top;
    this.top = (at + bytes + 64 + 15) & ~15;
    return at;
  }

  /**
   * Grows the memory to hold every region allocated since reset(); false when that would pass MAX_ARENA_BYTES or
   * the runtime refuses to grow (the caller then steps aside for its scalar path instead of failing).
   */
  ready(): boolean {
    const have = this.ex.memory.buffer.byteLength;
    if (this.top <= have) return true;
    if (this.top > MAX_ARENA_BYTES) return false;
    try {
      this.ex.memory.grow(Math.ceil((this.top - have) / 65536));
      return true;
    } catch {
      return false;
    }
  }

  i8(at: Ptr, n: number): Int8Array { return new Int8Array(this.ex.memory.buffer, at, n); }
  i16(at: Ptr, n: number): Int16Array { return new Int16Array(this.ex.memory.buffer, at, n); }
  i32(at: Ptr, n: number): Int32Array { return new Int32Array(this.ex.memory.buffer, at, n); }
}

let arena: Arena | null | undefined;
let enabled = true;

function instantiate(): Arena | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  try {
    // Synchronous compile: the module is a few KB. Throws (CompileError) where SIMD is unsupported.
    const instance = new api.Instance(new api.Module(int8BinaryModule()), {});
    return new Arena(instance.exports as Int8Exports);
  } catch {
    return null;
  }
}

/** The shared arena over the instantiated module, or null (no WebAssembly SIMD here, or disabled). */
export function int8Wasm(): Arena | null {
  if (!enabled) return null;
  if (arena === undefined) arena = instantiate();
  return arena;
}

/** Whether kernels may use the module (tests force the scalar path; the default is on). */
export function setWasmKernels(on: boolean): void {
  enabled = on;
}

/** Whether the module instantiated on this runtime (independent of setWasmKernels). */
export function wasmSimdAvailable(): boolean {
  if (arena === undefined) arena = instantiate();
  return arena !== null;
}
