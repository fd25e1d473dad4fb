// Stage: fixed point (pre-quantization rewrite). BatchNormalization folds into the preceding Conv; a lone one becomes a depthwise 1x1 Conv.
// Contract: IR -> IR, float-equivalent (folded in float64, stored float32); never mutates the input graph; folded nodes record origin.

import type { Graph, Node } from '../ir/graph.js';
import { cloneGraph, consumers, isGraphOutput, originOf, producers } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { floatTensor, numel, toFloat32 } from '../ir/tensor.js';

export interface BnFoldResult {
  graph: Graph;
  /** BatchNorms folded into a preceding Conv. */
  folded: number;
  /** Lone BatchNorms rewritten as depthwise 1x1 Conv. */
  converted: number;
}

/** Per-channel affine form of an inference BatchNorm: y = a[c]*x + b[c]. */
function bnAffine(g: Graph, bn: Node): { a: Float64Array; b: Float64Array } | null {
  const ts = bn.inputs.slice(1, 5).map((v) => g.initializers.get(v));
  if (ts.length !== 4 || ts.some((t) => !t)) return null;
  const [scale, bias, mean, variance] = (ts as Tensor[]).map(toFloat32) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const eps = typeof bn.attrs.epsilon === 'number' ? bn.attrs.epsilon : 1e-5;
  const c = scale.length;
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    a[i] = scale[i]! / Math.sqrt(variance[i]! + eps);
    b[i] = bias[i]! - mean[i]! * a[i]!;
  }
  return { a, b };
}

function freshName(g: Graph, base: string): string {
  let name = base;
  for (let k = 1; g.values.has(name) || g.initializers.has(name); k++) name = `${base}_${k}`;
  return name;
}

function addConst(g: Graph, base: string, t: Tensor): string {
  const name = freshName(g, base);
  g.initializers.set(name, t);
  g.values.set(name, { name, dtype: 'float32', shape: [...t.dims] });
  return name;
}

/** Conv -> BN where the Conv output feeds only the BN: scale the Conv's output channels, fold the shift into its bias. */
function foldInto(g: Graph, conv: Node, bn: Node, aff: { a: Float64Array; b: Float64Array }): boolean {
  const w = g.initializers.get(conv.inputs[1] ?? '');
  if (!w || w.dims[0] !== aff.a.length) return false;
  const oc = w.dims[0]!;
  const per = numel(w.dims) / oc;
  const wf = toFloat32(w);
  const nw = floatTensor(w.dims);
  const nwd = nw.data as Float32Array;
  for (let i = 0; i < wf.length; i++) nwd[i] = wf[i]! * aff.a[Math.floor(i / per)]!;
  const oldB = conv.inputs[2] ? g.initializers.get(conv.inputs[2]) : undefined;
  if (conv.inputs[2] && !oldB) return false;
  const ob = oldB ? toFloat32(oldB) : new Float32Array(oc);
  const nb = floatTensor([oc]);
  const nbd = nb.data as Float32Array;
  for (let c = 0; c < oc; c++) nbd[c] = ob[c]! * aff.a[c]! + aff.b[c]!;
  const convOut = conv.outputs[0]!;
  conv.inputs = [conv.inputs[0]!, addConst(g, `${conv.name}_bn_W`, nw), addConst(g, `${conv.name}_bn_B`, nb)];
  conv.outputs = [bn.outputs[0]!];
  conv.origin = [...originOf(conv), ...originOf(bn)];
  g.values.delete(convOut);
  return true;
}

/** A BN with no foldable producer: depthwise 1x1 Conv with weight a[c] and bias b[c] (rank 3 or 4 inputs). */
function asDepthwise(g: Graph, bn: Node, aff: { a: Float64Array; b: Float64Array }): Node | null {
  const x = g.values.get(bn.inputs[0] ?? '');
  if (!x || (x.shape.length !== 4 && x.shape.length !== 3) || x.shape[1] !== aff.a.length) return null;
  const c = aff.a.length;
  const nsp = x.shape.length - 2;
  const w = floatTensor([c, 1, ...new Array<number>(nsp).fill(1)], Float32Array.from(aff.a));
  const b = floatTensor([c], Float32Array.from(aff.b));
  const attrs: Node['attrs'] = nsp === 2
    ? { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: c }
    : { kernel_shape: [1], strides: [1], pads: [0, 0], dilations: [1], group: c };
  return {
    name: bn.name, op: 'Conv', attrs, outputs: [...bn.outputs], origin: originOf(bn),
    inputs: [bn.inputs[0]!, addConst(g, `${bn.name}_dw_W`, w), addConst(g, `${bn.name}_dw_B`, b)],
  };
}

/** Fold every inference BatchNormalization with constant statistics; others are left for kernel selection to report. */
export function foldBatchNorm(input: Graph): BnFoldResult {
  if (!input.nodes.some((n) => n.op === 'BatchNormalization')) return { graph: input, folded: 0, converted: 0 };
  const g = cloneGraph(input);
  const prod = producers(g);
  const cons = consumers(g);
  const drop = new Set<Node>();
  let folded = 0;
  let converted = 0;
  g.nodes = g.nodes.map((n) => {
    if (n.op !== 'BatchNormalization') return n;
    const aff = bnAffine(g, n);
    if (!aff) return n;
    const src = n.inputs[0] ?? '';
    const p = prod.get(src);
    const sole = (cons.get(src) ?? []).length === 1 && !isGraphOutput(g, src);
    if (p && p.op === 'Conv' && sole && !drop.has(p) && foldInto(g, p, n, aff)) {
      drop.add(n);
      folded++;
      return n;
    }
    const dw = asDepthwise(g, n, aff);
    if (!dw) return n;
    converted++;
    return dw;
  });
  g.nodes = g.nodes.filter((n) => !drop.has(n));
  const used = new Set(g.nodes.flatMap((n) => n.inputs));
  for (const init of [...g.initializers.keys()]) {
    if (!used.has(init) && input.initializers.has(init)) {
      g.initializers.delete(init);
      g.values.delete(init);
    }
  }
  return { graph: g, folded, converted };
}
