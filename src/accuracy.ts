// Stage: pipeline (accuracy). Per-kernel accuracy: each invocation's output, as the bit-accurate simulator computes
// it, against the float reference of the same value on the same input, so a user sees where accuracy is lost.
// Contract: float graph and program advance in lockstep (the schedule follows graph order), holding only the values
// still to be read; SQNR and error are of the whole network up to that kernel (errors accumulate), not of one layer alone.

import type { Graph, Node } from './ir/graph.js';
import { DspcError } from './ir/errors.js';
import { evaluateNode } from './ir/interpret.js';
import type { Tensor } from './ir/tensor.js';
import { toFloat32 } from './ir/tensor.js';
import { errorStats, runProgram } from './sim/index.js';
import type { Program } from './sim/index.js';

import type { KernelAccuracy } from './backend/index.js';

/** Float evaluation of a graph one node at a time, freeing each value after its last reader. */
class FloatStepper {
  private readonly env: Map<string, Tensor>;
  private readonly last = new Map<string, number>();
  private next = 0;
  private readonly done = new Set<string>();

  constructor(private readonly g: Graph, inputs: Map<string, Tensor>, private readonly keep: ReadonlySet<string>) {
    this.env = new Map(g.initializers);
    for (const v of g.inputs) {
      const t = inputs.get(v.name);
      if (!t) throw new DspcError('E_USAGE', `no tensor given for graph input '${v.name}'`);
      this.env.set(v.name, t);
    }
    g.nodes.forEach((n, i) => n.inputs.forEach((v) => v && this.last.set(v, i)));
  }

  /** Evaluate nodes up to and including `name`; the values of `keep` stay until taken. */
  advanceTo(name: string): void {
    if (this.done.has(name)) return;
    while (this.next < this.g.nodes.length) {
      const n = this.g.nodes[this.next]!;
      this.step(n, this.next++);
      this.done.add(n.name);
      if (n.name === name) return;
    }
    throw new DspcError('E_GRAPH', `node '${name}' of the schedule is not in the lowered graph`);
  }

  take(v: string): Tensor | undefined {
    const t = this.env.get(v);
    if ((this.last.get(v) ?? -1) < this.next && !this.g.outputs.some((o) => o.name === v)) this.env.delete(v);
    return t;
  }

  private step(n: Node, i: number): void {
    const out = evaluateNode(n, n.inputs.map((v) => (v ? this.env.get(v) : undefined)));
    n.outputs.forEach((o, k) => {
      if (o && ((this.last.get(o) ?? -1) > i || this.keep.has(o))) this.env.set(o, out[k]!);
    });
    for (const v of n.inputs) {
      if (v && this.last.get(v) === i && !this.g.initializers.has(v) && !this.keep.has(v)) this.env.delete(v);
    }
  }
}

/** Run `program` (lowered from `g`) on `inputs` and compare every invocation's output with float. */
export function kernelAccuracy(g: Graph, program: Program, inputs: Map<string, Tensor>): KernelAccuracy[] {
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const valueOf = (node: string): string => {
    const n = byName.get(node);
    if (!n) throw new DspcError('E_GRAPH', `node '${node}' of the schedule is not in the lowered graph`);
    return n.outputs.find((o) => o) ?? '';
  };
  const invs = program.schedule.invocations;
  const values = invs.map((inv) => valueOf(inv.epilogue?.node ?? inv.node));
  const stepper = new FloatStepper(g, inputs, new Set(values));
  const out: KernelAccuracy[] = [];
  runProgram(program, inputs, {
    trace: (inv, outputs) => {
      const last = inv.epilogue?.node ?? inv.node;
      stepper.advanceTo(last);
      const value = values[inv.index]!;
      const ref = stepper.take(value);
      const got = outputs[0];
      if (!ref || !got) return;
      const e = errorStats(toFloat32(ref), toFloat32(got), value);
      out.push({
        index: inv.index, kernel: inv.kernel, node: inv.node, ...(inv.epilogue ? { epilogue: inv.epilogue.kernel } : {}),
        value, dtype: inv.outputs[0]!.dtype,
        sqnrDb: Number.isFinite(e.sqnrDb) ? e.sqnrDb : null, maxAbsError: e.maxAbsError,
      });
    },
  });
  return out;
}
