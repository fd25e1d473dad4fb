// Stage: backend. Parameter tables per kernel: turns one IR node plus its quantization into the kernel's fields via the kernel's own helpers.
// Contract: one builder per kernel with parameters; a kernel with fields and no builder is an internal E_KERNEL, never silently empty.

import { addParams } from '../../kernels/add.js';
import { avgPoolParams } from '../../kernels/avgpool.js';
import { concatParams } from '../../kernels/concat.js';
import { conv2dParams } from '../../kernels/conv2d.js';
import { fullyConnectedParams } from '../../kernels/fully-connected.js';
import { globalAvgPoolParams } from '../../kernels/global-avgpool.js';
import { mulParams } from '../../kernels/mul.js';
import type { KernelDef, ParamValues, QuantParams } from '../../kernels/types.js';
import type { Graph, Node } from '../ir/graph.js';
import { DspcError } from '../ir/errors.js';
import type { Tensor } from '../ir/tensor.js';
import { numel, toFloat32 } from '../ir/tensor.js';
import { activationTable } from './actparams.js';

export interface BuildContext {
  g: Graph;
  node: Node;
  /** Quantization of the node's runtime (non-constant) inputs, in input order. */
  inQ: QuantParams[];
  /** What the kernel's output stage writes: the node's output, or the folded epilogue activation's input. */
  outQ: QuantParams;
}

type Builder = (c: BuildContext) => ParamValues;

function fail(node: Node, problem: string): never {
  throw new DspcError('E_KERNEL', problem, { node: node.name });
}

function constInput(c: BuildContext, i: number, what: string): Tensor {
  const t = c.g.initializers.get(c.node.inputs[i] ?? '');
  if (!t) fail(c.node, `${what} (input ${i}) must be a constant for this kernel`);
  return t;
}

function optConst(c: BuildContext, i: number): Tensor | undefined {
  const v = c.node.inputs[i];
  return v ? c.g.initializers.get(v) : undefined;
}

function num(node: Node, name: string, dflt: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : dflt;
}

/** A bias-like constant broadcast to `n` entries ([n], [1,n], [1] or scalar), scaled. */
function vectorOf(t: Tensor | undefined, n: number, scale: number, node: Node): Float64Array | undefined {
  if (!t) return undefined;
  const d = toFloat32(t);
  if (d.length !== 1 && d.length !== n) fail(node, `bias of shape [${t.dims.join(',')}] does not broadcast to ${n} output channels`);
  return Float64Array.from({ length: n }, (_, i) => scale * d[d.length === 1 ? 0 : i]!);
}

/** d times alpha, as doubles (a plain loop: Float64Array.from with a map function costs ~1 s on a 1.3M-entry matrix). */
function scaled(d: Float32Array, alpha: number): Float64Array {
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = alpha * d[i]!;
  return out;
}

/** [K, N] row-major -> [N, K], times alpha. */
function transposed(d: Float32Array, k: number, n: number, alpha: number): Float64Array {
  const out = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[j * k + i] = alpha * d[i * n + j]!;
  return out;
}

const conv2d: Builder = (c) => {
  const w = constInput(c, 1, 'weights');
  const cOut = w.dims[0]!;
  const bias = vectorOf(optConst(c, 2), cOut, 1, c.node);
  if (c.node.inputs[2] && !optConst(c, 2)) fail(c.node, 'bias must be a constant');
  return conv2dParams({ weights: toFloat32(w), cOut, ...(bias ? { bias } : {}) }, c.inQ[0]!, c.outQ);
};

/** Gemm (transA = 0) and MatMul with a constant 2-D right operand: weights laid out [C_out, K], alpha/beta folded. */
const fullyConnected: Builder = (c) => {
  const n = c.node;
  const w = constInput(c, 1, 'weight matrix');
  if (w.dims.length !== 2) fail(n, `weight matrix of shape [${w.dims.join(',')}] is not 2-D`);
  const isGemm = n.op === 'Gemm';
  if (isGemm && num(n, 'transA', 0) !== 0) fail(n, 'Gemm with transA = 1 has no fully_connected lowering');
  const transB = isGemm && num(n, 'transB', 0) === 1;
  const alpha = isGemm ? num(n, 'alpha', 1) : 1;
  const [r, k] = [w.dims[0]!, w.dims[1]!];
  const cOut = transB ? r : k;
  const wd = toFloat32(w);
  const weights = transB ? scaled(wd, alpha) : transposed(wd, r, k, alpha);
  if (isGemm && n.inputs[2] && !optConst(c, 2)) fail(n, 'Gemm bias C must be a constant');
  const bias = isGemm ? vectorOf(optConst(c, 2), cOut, num(n, 'beta', 1), n) : undefined;
  return fullyConnectedParams({ weights, cOut, ...(bias ? { bias } : {}) }, c.inQ[0]!, c.outQ);
};

function binary(f: (a: QuantParams, b: QuantParams, o: QuantParams) => ParamValues): Builder {
  return (c) => {
    if (c.inQ.length !== 2) fail(c.node, `${c.node.op} with a constant operand is not supported by the ${c.node.op.toLowerCase()} kernel (both operands must be runtime tensors)`);
    return f(c.inQ[0]!, c.inQ[1]!, c.outQ);
  };
}

const avgPool: Builder = (c) => {
  const ks = c.node.attrs['kernel_shape'];
  const taps = Array.isArray(ks) ? ks.reduce((a, b) => a * b, 1) : 1;
  return avgPoolParams(taps, c.inQ[0]!, c.outQ);
};

const globalAvgPool: Builder = (c) => {
  const x = c.g.values.get(c.node.inputs[0]!)!;
  return globalAvgPoolParams(numel(x.shape.slice(2)), c.inQ[0]!, c.outQ);
};

const BUILDERS: Record<string, Builder> = {
  conv2d,
  fully_connected: fullyConnected,
  add: binary(addParams),
  mul: binary(mulParams),
  avgpool: avgPool,
  concat: (c) => concatParams(c.inQ, c.outQ),
  global_avgpool: globalAvgPool,
};

/**
 * Weights, biases and other constant operands must be finite to be quantized: a NaN in a damaged model's weights
 * is bad input (E_ATTR naming the node), not an internal error of the kernel library (issue 7).
 */
function checkFiniteConstants(c: BuildContext): void {
  for (const name of c.node.inputs) {
    const t = name ? c.g.initializers.get(name) : undefined;
    if (!t || !(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) {
        throw new DspcError('E_ATTR', `constant '${name}' holds ${d[i]} at index ${i}; weights and biases must be finite to be quantized`, { node: c.node.name });
      }
    }
  }
}

/** The parameter table of `kernel` for this node (empty for kernels without fields). */
export function buildParams(kernel: KernelDef, c: BuildContext): ParamValues {
  if (kernel.role === 'activation') return activationTable(c.g, c.node, c.inQ[0]!, c.outQ);
  checkFiniteConstants(c);
  const b = BUILDERS[kernel.name];
  if (b) return b(c);
  if (kernel.paramFields.length === 0) return {};
  throw new DspcError('E_KERNEL', `backend has no parameter builder for kernel ${kernel.name}`, { node: c.node.name });
}
