// Stage: kernel library. Shared types of kernels, their invocations in schedule.json, and their costs.
// Contract: the backend writes Invocations, the simulator reads them; both run kernels only through KernelDef.

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
}
