// Stage: IR core. Shape inference: recomputes the ValueInfo of every node output, in topological order, via the op table.
// Contract: inputs and initializers seed g.values; a failure is a DspcError naming the node (E_ATTR, E_GRAPH or E_UNSUPPORTED).

import { arityProblem, attrProblem } from './attrs.js';
import { DspcError } from './errors.js';
import type { Graph, Node } from './graph.js';
import { opDef } from './optable.js';
import type { InferInput, OpDef, OutputType } from './ops/types.js';
import { sameDims } from './tensor.js';

/** Largest tensor (in elements) the IR accepts. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Runs one node's inference against current g.values; throws DspcError naming the node. */
export function inferNode(g: Graph, node: Node): OutputType[] {
  const def = opDef(node.op);
  if (!def) throw new DspcError('E_UNSUPPORTED', `unknown op type '${node.op}'`, { node: node.name });
  return inferWith(def, g, node);
}

function inferWith(def: OpDef, g: Graph, node: Node): OutputType[] {
  const arity = arityProblem(def, node);
  if (arity) throw new DspcError('E_GRAPH', arity, { node: node.name });
  const attr = attrProblem(def, node);
  if (attr) throw new DspcError('E_ATTR', attr, { node: node.name });
  const ins: (InferInput | undefined)[] = new Array(node.inputs.length);
  for (let i = 0; i < node.inputs.length; i++) {
    const name = node.inputs[i]!;
    if (name === '') continue;
    const info = g.values.get(name);
    if (!info) throw new DspcError('E_GRAPH', `input '${name}' is not defined before use`, { node: node.name });
    const value = g.initializers.get(name);
    ins[i] = value ? { info, value } : { info };
  }
  let out: OutputType[];
  try {
    out = def.infer(node, ins);
  } catch (e) {
    throw new DspcError('E_GRAPH', `${node.op}: ${(e as Error).message}`, { node: node.name });
  }
  if (out.length !== node.outputs.length) {
    throw new DspcError('E_GRAPH', `${node.op} produces ${out.length} outputs, node lists ${node.outputs.length}`, { node: node.name });
  }
  for (const t of out) {
    let n = 1;
    for (const d of t.shape) {
      if (!Number.isInteger(d) || d < 1) throw new DspcError('E_GRAPH', `${node.op}: inferred dimension ${d} is not >= 1`, { node: node.name });
      n *= d;
    }
    // typed arrays and int32 offsets in kernels stop at 2^31 elements
    if (n > MAX_ELEMENTS) throw new DspcError('E_LIMIT', `${node.op}: output [${t.shape.join(',')}] has ${n} elements, more than 2^31 - 1`, { node: node.name });
  }
  return out;
}

/** Seeds g.values with graph inputs and initializers (their declarations are the truth). */
export function seedValues(g: Graph): void {
  for (const v of g.inputs) g.values.set(v.name, { name: v.name, dtype: v.dtype, shape: [...v.shape] });
  for (const [name, t] of g.initializers) g.values.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
}

export function inferShapes(g: Graph): void {
  seedValues(g);
  let defined = g.inputs.length + g.initializers.size;
  for (const node of g.nodes) {
    const out = inferWith(opDef(node.op) ?? unknown(node), g, node);
    for (let i = 0; i < out.length; i++) {
      const name = node.outputs[i]!;
      if (name === '') continue;
      defined++;
      // Re-inference after a pass mostly finds values unchanged: keep the entry rather than re-inserting (1M-node graphs).
      const old = g.values.get(name);
      if (old && old.dtype === out[i]!.dtype && sameDims(old.shape, out[i]!.shape)) continue;
      g.values.set(name, { name, dtype: out[i]!.dtype, shape: out[i]!.shape });
    }
  }
  // g.values is fully derived: drop entries of values that no longer exist (e.g. a pass removed their nodes).
  if (g.values.size > defined) pruneValues(g);
}

function pruneValues(g: Graph): void {
  const live = new Set<string>();
  for (const v of g.inputs) live.add(v.name);
  for (const k of g.initializers.keys()) live.add(k);
  for (const n of g.nodes) for (const o of n.outputs) if (o) live.add(o);
  for (const k of [...g.values.keys()]) if (!live.has(k)) g.values.delete(k);
}

function unknown(node: Node): never {
  throw new DspcError('E_UNSUPPORTED', `unknown op type '${node.op}'`, { node: node.name });
}
