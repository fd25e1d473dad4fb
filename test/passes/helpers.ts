// Test support (passes). Small graph builders for activation chains and a float32 comparison of two graphs' outputs.
// Contract: graphs come from the IR's GraphBuilder (shapes inferred); comparisons use the reference interpreter.

import { GraphBuilder } from '../../src/ir/builder.js';
import type { AttrValue, Graph } from '../../src/ir/graph.js';
import { interpret } from '../../src/ir/interpret.js';
import { opDef } from '../../src/ir/optable.js';
import type { Tensor } from '../../src/ir/tensor.js';
import { floatTensor } from '../../src/ir/tensor.js';
import { defaultPassTargetInfo } from '../../src/passes/index.js';
import type { PassContext } from '../../src/passes/types.js';

export const CTX: PassContext = { target: defaultPassTargetInfo, verify: true };

export function ctxWith(kernels: string[], verify = true): PassContext {
  return { target: { name: 'test', activationKernels: kernels }, verify };
}

/** One chain member: op, attributes and (PRelu) slope tensor dims and values. */
export interface Step {
  op: string;
  attrs?: Record<string, AttrValue>;
  slope?: { dims: number[]; values: number[] };
}

/** input x -> steps... -> output y, each step named s<i>. */
export function chainGraph(shape: number[], steps: readonly Step[], name = 'chain'): Graph {
  const b = new GraphBuilder(name);
  let v = b.input('x', 'float32', shape);
  steps.forEach((s, i) => {
    const ins = [v];
    if (s.slope) ins.push(b.floats(`slope${i}`, s.slope.dims, s.slope.values));
    v = b.node(s.op, ins, s.attrs ?? {}, { name: `s${i}` });
  });
  b.output(v);
  return b.build();
}

export function run(g: Graph, x: Tensor): Map<string, Tensor> {
  return interpret(g, new Map([[g.inputs[0]!.name, x]]));
}

/** The graph's first output on input x. */
export function out(g: Graph, x: Tensor): Tensor {
  return run(g, x).get(g.outputs[0]!.name)!;
}

export function input(shape: number[], values: ArrayLike<number>): Tensor {
  return floatTensor(shape, values);
}

/** First element where |a-b| > atol + rtol*max(|a|,|b|) (NaN must match NaN), or null. */
export function mismatch(a: Tensor, b: Tensor, atol: number, rtol: number): string | null {
  if (a.dims.join() !== b.dims.join()) return `shape [${a.dims}] vs [${b.dims}]`;
  for (let i = 0; i < a.data.length; i++) {
    const x = Number(a.data[i]), y = Number(b.data[i]);
    if (x === y || (Number.isNaN(x) && Number.isNaN(y))) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.max(Math.abs(x), Math.abs(y)))) return `element ${i}: ${x} vs ${y}`;
  }
  return null;
}

export function activationOps(g: Graph): string[] {
  return [...new Set(g.nodes.filter((n) => opDef(n.op)?.activation).map((n) => n.op))].sort();
}

export function opTypes(g: Graph): Set<string> {
  return new Set(g.nodes.map((n) => n.op));
}
