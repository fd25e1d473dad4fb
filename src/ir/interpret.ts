// Stage: IR core. The float reference interpreter: runs a graph node by node through the op table's evaluate().
// Contract: inputs must match the declared dtypes and shapes; intermediates are dropped after their last consumer.

import { DspcError, isDspcError } from './errors.js';
import type { Graph, Node } from './graph.js';
import { opDef } from './optable.js';
import type { Tensor } from './tensor.js';
import { sameDims } from './tensor.js';

/** Evaluates one node on concrete tensors (undefined = omitted optional input); errors name the node. */
export function evaluateNode(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
  const def = opDef(node.op);
  if (!def) throw new DspcError('E_UNSUPPORTED', `unknown op type '${node.op}'`, { node: node.name });
  let out: Tensor[];
  try {
    out = def.evaluate(node, inputs);
  } catch (e) {
    if (isDspcError(e)) throw e;
    throw new DspcError('E_GRAPH', `${node.op}: ${(e as Error).message}`, { node: node.name });
  }
  if (out.length !== node.outputs.length) {
    throw new DspcError('E_GRAPH', `${node.op} produced ${out.length} outputs, node lists ${node.outputs.length}`, { node: node.name });
  }
  return out;
}

/** Index of the last node reading each value; graph outputs are never freed. */
function lastUses(g: Graph): Map<string, number> {
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v) last.set(v, i);
  });
  for (const o of g.outputs) last.set(o.name, Infinity);
  return last;
}

export function interpret(g: Graph, inputs: Map<string, Tensor>): Map<string, Tensor> {
  const env = new Map<string, Tensor>(g.initializers);
  for (const v of g.inputs) {
    const t = inputs.get(v.name);
    if (!t) throw new DspcError('E_USAGE', `no tensor given for graph input '${v.name}'`);
    if (t.dtype !== v.dtype || !sameDims(t.dims, v.shape)) {
      throw new DspcError('E_USAGE', `input '${v.name}' is ${t.dtype}[${t.dims.join(',')}], the graph expects ${v.dtype}[${v.shape.join(',')}]`);
    }
    env.set(v.name, t);
  }
  const last = lastUses(g);
  g.nodes.forEach((n, i) => {
    const args = n.inputs.map((name) => {
      if (name === '') return undefined;
      const t = env.get(name);
      if (!t) throw new DspcError('E_GRAPH', `input '${name}' has no value (not defined or already freed)`, { node: n.name });
      return t;
    });
    const out = evaluateNode(n, args);
    n.outputs.forEach((name, k) => {
      if (name !== '' && (last.get(name) ?? -1) > i) env.set(name, out[k]!);
    });
    // free intermediates whose last reader was this node (zoo models hold many 224x224 activations)
    for (const name of n.inputs) if (name && last.get(name) === i && !g.initializers.has(name)) env.delete(name);
  });
  const result = new Map<string, Tensor>();
  for (const o of g.outputs) {
    const t = env.get(o.name);
    if (!t) throw new DspcError('E_GRAPH', `graph output '${o.name}' was not computed`);
    result.set(o.name, t);
  }
  return result;
}
