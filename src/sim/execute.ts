// Stage: simulator. Functional bit-accurate mode: runs the schedule's fixed-point kernels on a simulated device memory.
// Contract: inputs quantized with the schedule's input quantization, every kernel via KernelDef.run, outputs dequantized; errors are DspcErrors.

import type { IOTensor } from '../../kernels/artifacts.js';
import { quantizeValue } from '../../kernels/fixedpoint.js';
import type { ElemType, Invocation, QTensor, TensorRef } from '../../kernels/types.js';
import { DspcError, isDspcError } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import { floatTensor, numel, toFloat32 } from '../ir/tensor.js';
import type { Program } from './program.js';

type Codes = QTensor['data'];
type CodeCtor = Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

const CTOR: Readonly<Partial<Record<ElemType, CodeCtor>>> = { int8: Int8Array, int16: Int16Array, int32: Int32Array, uint8: Uint8Array };

/**
 * Device memory: one byte array per memory level, as large as the highest buffer end placed there. Kernels read
 * typed views at their buffers' offsets and their outputs are copied in, so a memory plan that overlaps live
 * tensors corrupts results exactly as it would on the device.
 */
class DeviceMemory {
  private readonly levels = new Map<string, ArrayBuffer>();

  constructor(private readonly p: Program) {
    const size = new Map<string, number>();
    for (const b of p.schedule.buffers) size.set(b.memory, Math.max(size.get(b.memory) ?? 0, b.offset + b.bytes));
    for (const [name, bytes] of size) this.levels.set(name, new ArrayBuffer(bytes));
  }

  /** Codes of a tensor as a typed array over the device memory (a copy when the offset is misaligned for the type). */
  view(t: TensorRef): Codes {
    const ctor = ctorOf(t.dtype);
    const b = this.p.schedule.buffers[t.buffer]!;
    const n = numel(t.shape);
    const mem = this.levels.get(b.memory)!;
    if (b.offset % ctor.BYTES_PER_ELEMENT === 0) return new ctor(mem, b.offset, n);
    return new ctor(mem.slice(b.offset, b.offset + n * ctor.BYTES_PER_ELEMENT));
  }

  write(t: TensorRef, data: Codes): void {
    const ctor = ctorOf(t.dtype);
    const b = this.p.schedule.buffers[t.buffer]!;
    const mem = this.levels.get(b.memory)!;
    if (b.offset % ctor.BYTES_PER_ELEMENT === 0) {
      new ctor(mem, b.offset, data.length).set(data);
      return;
    }
    const bytes = new ctor(data).buffer;
    new Uint8Array(mem, b.offset, bytes.byteLength).set(new Uint8Array(bytes));
  }
}

function ctorOf(dtype: ElemType): CodeCtor {
  const c = CTOR[dtype];
  if (!c) throw new DspcError('E_UNSUPPORTED', `activation tensors of type ${dtype} are not simulated`);
  return c;
}

export interface RunOptions {
  /** Called after every invocation with its wall time in ms (profiling, progress bars). */
  onInvocation?: (inv: Invocation, ms: number) => void;
  /** Called after every invocation with its dequantized outputs (per-layer error tracing; costs a copy). */
  trace?: (inv: Invocation, outputs: Tensor[]) => void;
}

/** Output codes of a run, by output name (before dequantization). */
export interface CodeOutputs {
  codes: Map<string, Codes>;
  outputs: Map<string, Tensor>;
}

/** Run the program on float inputs (by input name); returns the dequantized float outputs by output name. */
export function runProgram(p: Program, inputs: Map<string, Tensor>, opts: RunOptions = {}): Map<string, Tensor> {
  return runProgramCodes(p, inputs, opts).outputs;
}

/** runProgram, also returning the raw output codes (bit-for-bit comparisons between programs). */
export function runProgramCodes(p: Program, inputs: Map<string, Tensor>, opts: RunOptions = {}): CodeOutputs {
  const s = p.schedule;
  const mem = new DeviceMemory(p);
  const bound = bindInputs(s.inputs, inputs);
  s.inputs.forEach((io, k) => mem.write(io, quantizeTensor(bound[k]!, io)));
  s.invocations.forEach((inv, i) => {
    const t0 = opts.onInvocation ? performance.now() : 0;
    runInvocation(p, mem, inv, i);
    opts.onInvocation?.(inv, performance.now() - t0);
    opts.trace?.(inv, inv.outputs.map((r) => dequantize(mem.view(r), r)));
  });
  const codes = new Map<string, Codes>();
  const outputs = new Map<string, Tensor>();
  for (const o of s.outputs) {
    const c = mem.view(o).slice();
    codes.set(o.name, c);
    outputs.set(o.name, dequantize(c, o));
  }
  return { codes, outputs };
}

function runInvocation(p: Program, mem: DeviceMemory, inv: Invocation, i: number): void {
  const where = `invocation ${i} (${inv.kernel}, node '${inv.node}')`;
  const ins: QTensor[] = inv.inputs.map((r) => ({ data: mem.view(r), shape: r.shape, scale: r.scale, zeroPoint: r.zeroPoint }));
  let outs: QTensor[];
  try {
    outs = p.kernels[i]!.run(inv, ins, p.tables[i]!.kernel, p.tables[i]!.epilogue);
  } catch (e) {
    if (isDspcError(e)) throw e.withFile(scheduleFile(p));
    // A kernel tripping over its own table means the artifacts disagree with the kernel library's layout.
    throw new DspcError('E_ARTIFACT', `${where} failed: ${(e as Error).message}`, { file: scheduleFile(p) });
  }
  if (outs.length !== inv.outputs.length) {
    throw new DspcError('E_ARTIFACT', `${where} produced ${outs.length} outputs, the schedule declares ${inv.outputs.length}`, { file: scheduleFile(p) });
  }
  inv.outputs.forEach((r, k) => {
    const d = outs[k]!.data;
    if (d.length !== numel(r.shape) || d.BYTES_PER_ELEMENT !== ctorOf(r.dtype).BYTES_PER_ELEMENT) {
      throw new DspcError('E_ARTIFACT', `${where} output ${k}: kernel wrote ${d.length} codes of ${d.BYTES_PER_ELEMENT} bytes, ` +
        `the schedule declares [${r.shape.join(',')}] ${r.dtype}`, { file: scheduleFile(p) });
    }
    mem.write(r, d);
  });
}

function scheduleFile(p: Program): string {
  return p.scheduleFile;
}

/**
 * Inputs in schedule order: by name when every schedule input is named in the map, else by position when the
 * counts agree (hand-made .pb files often carry no or another name).
 */
function bindInputs(decl: readonly IOTensor[], given: Map<string, Tensor>): Tensor[] {
  const byName = decl.every((io) => given.has(io.name));
  if (!byName && given.size !== decl.length) {
    throw new DspcError('E_USAGE', `the program has ${decl.length} input(s) (${decl.map((io) => io.name).join(', ')}), ${given.size} given`);
  }
  const list = [...given.values()];
  return decl.map((io, k) => {
    const t = byName ? given.get(io.name)! : list[k]!;
    if (t.dims.length !== io.shape.length || t.dims.some((d, j) => d !== io.shape[j])) {
      throw new DspcError('E_USAGE', `input '${io.name}' must have shape [${io.shape.join(',')}], got [${t.dims.join(',')}]`);
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      throw new DspcError('E_USAGE', `input '${io.name}' must be a float tensor, got ${t.dtype}`);
    }
    return t;
  });
}

/** Host-side quantization: q = clamp(round_half_away(x / scale) + zeroPoint) (docs/formats.md). */
export function quantizeTensor(t: Tensor, io: TensorRef): Codes {
  const x = toFloat32(t);
  const out = new (ctorOf(io.dtype))(x.length);
  const dt = io.dtype === 'int16' ? 'int16' : 'int8';
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) throw new DspcError('E_USAGE', `input holds NaN at element ${i}; it has no quantized code`);
    out[i] = quantizeValue(v, io.scale, io.zeroPoint, dt);
  }
  return out;
}

/** real = scale * (code - zeroPoint), as float32. */
export function dequantize(codes: Codes, io: TensorRef): Tensor {
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = io.scale * (codes[i]! - io.zeroPoint);
  return floatTensor(io.shape, out);
}
