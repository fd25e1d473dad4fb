// Stage: kernel library support (simulator speed). A tiny WebAssembly binary encoder: opcode table, LEB128, sections.
// Contract: emits a valid module of i32/v128 functions over one exported memory; no dependency, readable over clever.

/** Core opcodes used by our kernels (WebAssembly core spec 2.0, section 5.4). */
export const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, return: 0x0f, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, i32_load8_s: 0x2c, i32_load16_s: 0x2e, i32_store: 0x36, i32_store8: 0x3a, i32_store16: 0x3b,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_le_s: 0x4c, i32_ge_s: 0x4e,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_u: 0x6e, i32_and: 0x71, i32_or: 0x72, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76,
} as const;

/** 0xFC-prefixed bulk-memory opcodes. */
export const OP_FC = { memory_copy: 10, memory_fill: 11 } as const;

/** 0xFD-prefixed SIMD opcodes (fixed-width SIMD, WebAssembly 2.0). */
export const SIMD = {
  v128_load: 0x00, v128_load8x8_s: 0x01, v128_load16_splat: 0x08, v128_load32_splat: 0x09, v128_store: 0x0b,
  v128_const: 0x0c, i8x16_shuffle: 0x0d,
  i16x8_splat: 0x10, i32x4_splat: 0x11, i64x2_splat: 0x12,
  i32x4_gt_s: 0x3b, v128_and: 0x4e, v128_store64_lane: 0x5b, v128_load64_zero: 0x5d,
  i8x16_narrow_i16x8_s: 0x65, i16x8_narrow_i32x4_s: 0x85, i16x8_sub: 0x91,
  i32x4_shl: 0xab, i32x4_shr_s: 0xac, i32x4_shr_u: 0xad, i32x4_add: 0xae, i32x4_sub: 0xb1,
  i32x4_min_s: 0xb6, i32x4_max_s: 0xb8, i32x4_dot_i16x8_s: 0xba,
  i32x4_extmul_low_i16x8_s: 0xbc, i32x4_extmul_high_i16x8_s: 0xbd,
  i64x2_shr_s: 0xcc, i64x2_add: 0xce, i64x2_extmul_low_i32x4_s: 0xdc, i64x2_extmul_high_i32x4_s: 0xdd,
} as const;

/** Value types. */
export const T = { i32: 0x7f, i64: 0x7e, v128: 0x7b } as const;
export type ValType = (typeof T)[keyof typeof T];

const EMPTY_BLOCK = 0x40;

export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a safe integer (i32 or i64 constants within 2^53). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/**
 * One function body under construction. Instructions are appended in stack-machine order; helper methods name the
 * few immediates (memargs, lanes, shuffles) so kernel code reads close to the text format.
 */
export class Fn {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(readonly name: string, readonly params: ValType[], readonly results: ValType[] = []) {}

  /** A fresh local of type t; returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }

  op(...bytes: number[]): this { this.code.push(...bytes); return this; }
  get(i: number): this { return this.op(OP.local_get, ...uleb(i)); }
  set(i: number): this { return this.op(OP.local_set, ...uleb(i)); }
  tee(i: number): this { return this.op(OP.local_tee, ...uleb(i)); }
  i32(v: number): this { return this.op(OP.i32_const, ...sleb(v | 0)); }
  i64(v: number): this { return this.op(OP.i64_const, ...sleb(v)); }
  /** A memory access with natural alignment log2 `align` and a constant byte offset. */
  mem(opcode: number, align: number, offset = 0): this { return this.op(opcode, ...uleb(align), ...uleb(offset)); }
  simd(opcode: number): this { return this.op(0xfd, ...uleb(opcode)); }
  simdMem(opcode: number, align: number, offset = 0): this { return this.simd(opcode).op(...uleb(align), ...uleb(offset)); }
  /** v128.store64_lane and friends: memarg then lane index. */
  simdLane(opcode: number, align: number, offset: number, lane: number): this { return this.simdMem(opcode, align, offset).op(lane); }
  shuffle(lanes: readonly number[]): this { return this.simd(SIMD.i8x16_shuffle).op(...lanes); }
  v128Zero(): this { return this.simd(SIMD.v128_const).op(...new Array<number>(16).fill(0)); }
  fc(opcode: number, ...imm: number[]): this { return this.op(0xfc, ...uleb(opcode), ...imm); }

  block(): this { return this.op(OP.block, EMPTY_BLOCK); }
  loop(): this { return this.op(OP.loop, EMPTY_BLOCK); }
  if(): this { return this.op(OP.if, EMPTY_BLOCK); }
  end(): this { return this.op(OP.end); }
  brIf(depth: number): this { return this.op(OP.br_if, ...uleb(depth)); }
  br(depth: number): this { return this.op(OP.br, ...uleb(depth)); }

  /** `local[i] += delta` for an i32 local. */
  addTo(i: number, delta: number): this { return this.get(i).i32(delta).op(OP.i32_add).set(i); }

  /**
   * for (i = from; i < limit; i += step) body  — `from`, `limit` emit an i32 (`from` null: i keeps its value); step
   * is a constant or a local (as {local}). The body runs inside block+loop (signed compare); br 1 leaves the loop.
   */
  forRange(i: number, from: (() => void) | null, limit: () => void, step: number | { local: number }, body: () => void): this {
    if (from) {
      from();
      this.set(i);
    }
    this.block().loop();
    this.get(i);
    limit();
    this.op(OP.i32_ge_s).brIf(1);
    body();
    this.get(i);
    if (typeof step === 'number') this.i32(step); else this.get(step.local);
    this.op(OP.i32_add).set(i).br(0).end().end();
    return this;
  }

  /** The encoded body: local declarations grouped by runs of the same type, code, end. */
  encode(): number[] {
    const groups: number[][] = [];
    for (let i = 0; i < this.locals.length;) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      groups.push([...uleb(j - i), this.locals[i]!]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/** A module of functions over one memory of `pages` initial 64 KiB pages, exported as "memory". */
export function encodeModule(fns: readonly Fn[], pages: number): Uint8Array {
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic "\0asm", version 1
    ...section(1, vec(types)), // type section: one signature per function
    ...section(3, vec(fns.map((_, i) => uleb(i)))), // function section
    ...section(5, vec([[0x00, ...uleb(pages)]])), // memory section: min pages, no max
    ...section(7, vec([[...name('memory'), 0x02, 0x00], ...fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])])), // exports
    ...section(10, vec(fns.map((f) => f.encode()))), // code section
  ];
  return Uint8Array.from(bytes);
}
