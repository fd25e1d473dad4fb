// Stage: kernel library. Shared types of kernels, their invocations in schedule.json, and their costs.
// Contract: the backend writes Invocations, the simulator reads them; both run kernels only through KernelDef.

import type { AttrValue, Node } from '../src/ir/graph.js';

/** Device integer types a program runs in. */
export type QDType = 'int8' | 'int16';
export type ElemType = 'int8' | 'int16' | 'int32' | 'uint8' | 'float32';

/** One activation tensor as a kernel sees it: a buffer plus its quantization. */
export interface TensorRef {
  /** Index into Schedule.buffers. */
  buffer: number;
  shape: number[];
  dtype: ElemType;
  /** real = scale * (code - zeroPoint) */
  scale: number;
  zeroPoint: number;
}

/** A region of device memory holding one or more tensors over the program's life (after reuse). */
export interface BufferDecl {
  id: number;
  /** Name of the IR value first placed in it (diagnostics only). */
  name: string;
  bytes: number;
  /** Name of the target memory level ('sram', 'dram', ...). */
  memory: string;
  /** Byte offset of the buffer inside that memory level. */
  offset: number;
}

/** One field of a kernel's parameter table, as placed in params.bin. */
export interface ParamRef {
  /** Field name from the kernel's ParamField layout. */
  name: string;
  /** Index of the params.bin record that holds it. */
  record: number;
  /** Byte offset of the field inside params.bin (absolute, aligned). */
  offset: number;
  bytes: number;
  dtype: ElemType;
  count: number;
}

export type AttrMap = Record<string, number | number[] | string>;

export interface Epilogue {
  /** Activation kernel applied in the producer's output stage. */
  kernel: string;
  node: string;
  attrs: AttrMap;
  params: ParamRef[];
}

export interface Invocation {
  index: number;
  kernel: string;
  /** IR node lowered into this invocation. */
  node: string;
  /** Source-model nodes it stands for (after fusion and folding). */
  origin: string[];
  inputs: TensorRef[];
  outputs: TensorRef[];
  attrs: AttrMap;
  params: ParamRef[];
  epilogue?: Epilogue;
}

/** Layout of one parameter field a kernel expects (documentation and the binary layout both derive from it). */
export interface ParamField {
  name: string;
  dtype: ElemType;
  /** Human description of the element count, e.g. 'C_out' or 'C_out*C_in/group*kH*kW'. */
  count: string;
  doc: string;
}

/** Quantized tensor handed to a kernel's fixed-point reference. */
export interface QTensor {
  data: Int8Array | Int16Array | Int32Array | Uint8Array;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

/** Decoded parameter fields by name. */
export type ParamValues = Record<string, Int8Array | Int16Array | Int32Array | Uint8Array | Float32Array>;

/** Work a kernel does, independent of where its tensors live; the simulator turns it into cycles. */
export interface KernelWork {
  macs: number;
  /** Cycles of the compute units alone (MACs/cycle or lanes, channel counts rounded up to the lane width). */
  computeCycles: number;
  /** Bytes read per input tensor and written per output tensor, in the order of inv.inputs / inv.outputs. */
  inputBytes: number[];
  outputBytes: number[];
  /** Parameter bytes loaded over DMA. */
  paramBytes: number;
  /** Part of computeCycles spent requantizing and writing outputs (the stage an epilogue overlaps with). */
  outputStageCycles?: number;
  /** Cycles of the epilogue activation over the output, NOT included in computeCycles. */
  epilogueCycles?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Targets (data: targets/*.json, validated by kernels/target.ts) and kernel definitions
// ---------------------------------------------------------------------------------------------------------------

export interface MemoryLevel {
  name: string;
  sizeBytes: number;
  /** Sustained bytes per core cycle. */
  bytesPerCycle: number;
  /** Cycles before the first byte of an access arrives. */
  latencyCycles: number;
  note?: string;
}

export interface ParamMemory {
  /** Name of the memory level holding parameter tables. */
  memory: string;
  dmaBytesPerCycle: number;
  doubleBuffered: boolean;
}

export interface TargetKernel {
  name: string;
  /** Cycles per vector of vectorLanes[dtype] elements (required for activation kernels). */
  cyclesPerVector?: number;
  /** Activation kernels this kernel can apply in its output stage. */
  epilogue?: string[];
  note?: string;
}

/** Typed mirror of targets/schema.json. */
export interface Target {
  id: string;
  name: string;
  description: string;
  clockHz: number;
  vectorLanes: Record<QDType, number>;
  macsPerCycle: Record<QDType, number>;
  /** Fastest first. */
  memories: MemoryLevel[];
  paramMemory: ParamMemory;
  kernelLaunchCycles: number;
  /** Activation kernels appear cheapest first. */
  kernels: TargetKernel[];
  sources?: string[];
}

/**
 * What a kernel is for. 'activation' kernels are pointwise and can be folded into an epilogue;
 * 'view' kernels only reinterpret a buffer's shape (zero cost, no launch, output aliases input).
 */
export type KernelRole = 'compute' | 'activation' | 'pool' | 'elementwise' | 'movement' | 'view';

/** Quantization of one tensor as makeParams helpers take it. */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
  dtype: QDType;
}

/** Per-element behaviour of an activation kernel, shared by run(), conv/fc/add epilogues and the fusion verdict. */
export interface ActivationDef {
  /**
   * Output code for one input code of one channel. `params` is the kernel's own, self-contained table
   * (zero points and output clamp included), so no scale or zero point is passed separately.
   */
  applyCode(code: number, channel: number, params: ParamValues): number;
  /** Number of distinct channels the table distinguishes (1 for scalar parameters, C for PRelu). */
  channels(params: ParamValues): number;
}

/** How many tensors an invocation may pass or receive (inclusive; max Infinity = variadic). */
export interface Arity {
  min: number;
  max: number;
}

/**
 * What a kernel's bind() is given for one IR node. The backend builds it; every fact in it comes from the IR and
 * the op table (attribute defaults included), so a kernel file never repeats an op's defaults.
 */
export interface BindContext {
  node: Node;
  /** Quantization of the node's runtime (non-constant) inputs, in input order. */
  inQ: QuantParams[];
  /** What the kernel's output stage writes: the node's output, or the folded epilogue activation's input. */
  outQ: QuantParams;
  /** The constant (initializer) at input position i, as float32; undefined when omitted or computed at run time. */
  constant(i: number): { dims: readonly number[]; values: Float32Array } | undefined;
  /** Static shape of the value at input position i (undefined when omitted). */
  shape(i: number): readonly number[] | undefined;
  /** Attribute `name` with the op table's default applied. */
  attr(name: string): AttrValue;
  /** Numeric attribute `name` with the op table's default applied. */
  num(name: string): number;
  /**
   * The node's float reference (the op table's evaluate) as a function of its first run-time input, its constant
   * inputs bound: `x` is evaluated as a 1-D tensor, so it suits pointwise ops whose constants are scalars.
   */
  reference(x: Float32Array): Float32Array;
  /** Throws E_KERNEL naming the node: the node cannot be expressed as this kernel's table. */
  fail(problem: string): never;
}

export interface KernelDef {
  /** Kernel name as targets list it (snake_case, e.g. 'conv2d', 'leaky_relu'). */
  name: string;
  /** IR op types this kernel implements. */
  ops: readonly string[];
  role: KernelRole;
  /** Runtime inputs an invocation passes (inv.inputs; constants live in params). schedule.json is checked against it. */
  inputs: Arity;
  /** Outputs an invocation writes (inv.outputs). */
  outputs: Arity;
  summary: string;
  /** Parameter-table layout, in record order. */
  paramFields: readonly ParamField[];
  /**
   * Bit-accurate fixed-point reference on int8/int16 codes. `epilogueParams` is the table of the activation kernel
   * named by inv.epilogue, applied to every output code (the producer first requantizes to the activation's input
   * quantization, whose zero point is epilogueParams.in_zp).
   */
  run(inv: Invocation, inputs: QTensor[], params: ParamValues, epilogueParams?: ParamValues): QTensor[];
  /**
   * The parameter table (fields of paramFields, by name) of one IR node this kernel implements. Absent exactly
   * when paramFields is empty.
   */
  bind?(c: BindContext): ParamValues;
  /** Work of one invocation on a target (docs/cost-model.md). */
  work(inv: Invocation, target: Target): KernelWork;
  /** Present exactly for role 'activation'. */
  activation?: ActivationDef;
  /** Cycles per vector of vectorLanes elements when the target entry does not say (non-activation kernels). */
  defaultCyclesPerVector: number;
}
