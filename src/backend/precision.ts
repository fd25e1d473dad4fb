// Stage: backend (mixed precision). Which runtime values must share one activation type: the units a mixed-precision
// search raises from int8 to int16 (16x8: int16 activations, int8 weights), with requantizing boundaries between units.
// Contract: a unit never splits a tensor from a copy of it (views, value-preserving ops reuse their input's quantization),
// an activation kernel from its input (tables are per input code type), or a producer from its epilogue's values.

import type { Target } from '../../kernels/target.js';
import type { Graph } from '../ir/graph.js';
import { opDef } from '../ir/optable.js';
import { selectAndFold } from './select.js';

/** Values computed in one activation type, and the kernel invocations (node names) that write them. */
export interface PrecisionUnit {
  values: string[];
  kernels: string[];
  /** Graph inputs in the unit (the host quantizes them; int16 inputs keep more of the input's precision). */
  inputs: string[];
  /** Kernel invocations that read the unit's values. */
  readers: string[];
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(v: string): string {
    let r = v;
    while (this.parent.has(r) && this.parent.get(r) !== r) r = this.parent.get(r)!;
    this.parent.set(v, r);
    return r;
  }
  union(a: string, b: string): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

/**
 * The precision units of a graph lowered for a target, in program order of their first kernel. Every consumer
 * outside a unit requantizes what it reads (conv/fc/add/mul/concat/pools rescale each input by its own scale and
 * accept int8 or int16 codes), which is what makes the unit boundaries safe.
 */
export function precisionUnits(g: Graph, target: Target): PrecisionUnit[] {
  const sel = selectAndFold(g, target);
  const uf = new UnionFind();
  const runtime = (v: string): boolean => v !== '' && !g.initializers.has(v);
  for (const n of g.nodes) {
    const s = sel.of.get(n.name);
    const def = opDef(n.op);
    const data = def ? def.inputs.filter((p) => p.role === 'data') : [];
    const passthrough = def?.valuePreserving === true && data.length === 1 && !data[0]!.variadic;
    const activation = s?.kind === 'kernel' && s.kernel.role === 'activation';
    const x = n.inputs[0] ?? '';
    if ((s?.kind === 'view' || passthrough || activation || sel.foldedInto.has(n.name)) && runtime(x)) {
      for (const o of n.outputs) if (o) uf.union(x, o);
    }
  }
  const units = new Map<string, PrecisionUnit>();
  const unitOf = (v: string): PrecisionUnit => {
    const r = uf.find(v);
    let u = units.get(r);
    if (!u) units.set(r, (u = { values: [], kernels: [], inputs: [], readers: [] }));
    return u;
  };
  for (const v of g.inputs) {
    unitOf(v.name).values.push(v.name);
    unitOf(v.name).inputs.push(v.name);
  }
  for (const n of g.nodes) {
    for (const o of n.outputs) if (o) unitOf(o).values.push(o);
    const s = sel.of.get(n.name);
    if (s?.kind !== 'kernel' || sel.foldedInto.has(n.name)) continue;
    if (n.outputs[0]) unitOf(n.outputs[0]).kernels.push(n.name);
    for (const x of new Set(n.inputs.filter(runtime))) {
      const u = unitOf(x);
      if (!u.readers.includes(n.name)) u.readers.push(n.name);
    }
  }
  return [...units.values()].filter((u) => u.kernels.length > 0 || u.inputs.length > 0);
}

/** Every value of every unit of `g` that holds a value of `wide` (the same raise, carried to another compile of the model). */
export function widenToUnits(g: Graph, target: Target, wide: ReadonlySet<string>): Set<string> {
  return new Set(precisionUnits(g, target).filter((u) => u.values.some((v) => wide.has(v))).flatMap((u) => u.values));
}
