// Stage: IR core. Graph statistics for `dspc inspect`: node count, op histogram, parameters, MACs, I/O types.
// Contract: params count each initializer once when some node uses it at a weight, bias or param port; MACs come from the op table.

import type { Graph, ValueInfo } from './graph.js';
import { opDef } from './optable.js';
import { numel } from './tensor.js';

export interface GraphStats {
  nodes: number;
  /** Op type -> count, keys sorted. */
  ops: Record<string, number>;
  params: number;
  macs: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

const NO_INFO: ValueInfo = { name: '', dtype: 'float32', shape: [] };

export function graphStats(g: Graph): GraphStats {
  const hist = new Map<string, number>();
  const paramNames = new Set<string>();
  let macs = 0;
  for (const n of g.nodes) {
    hist.set(n.op, (hist.get(n.op) ?? 0) + 1);
    const def = opDef(n.op);
    if (!def) continue;
    n.inputs.forEach((name, i) => {
      const port = def.inputs[Math.min(i, def.inputs.length - 1)];
      if (name && port && port.role !== 'data' && g.initializers.has(name)) paramNames.add(name);
    });
    const ins = n.inputs.map((v) => (v ? g.values.get(v) ?? NO_INFO : NO_INFO));
    const outs = n.outputs.map((v) => (v ? g.values.get(v) ?? NO_INFO : NO_INFO));
    macs += def.macs(n, ins, outs);
  }
  let params = 0;
  for (const name of paramNames) params += numel(g.initializers.get(name)!.dims);
  const ops: Record<string, number> = {};
  for (const k of [...hist.keys()].sort()) ops[k] = hist.get(k)!;
  const copy = (v: ValueInfo): ValueInfo => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] });
  return { nodes: g.nodes.length, ops, params, macs, inputs: g.inputs.map(copy), outputs: g.outputs.map(copy) };
}
