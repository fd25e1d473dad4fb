// Stage: graph passes. A privately owned, indexed copy of a graph that passes edit in place, then hand back as a Graph.
// Contract: O(nodes) to open and to finish; every edit is O(degree); unchanged Node objects are shared, never mutated.

import type { Graph, Node, ValueInfo } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/** Producer slot and number of reading input slots of one node-produced value. */
interface ValueRec {
  slot: number;
  uses: number;
}

export class Work {
  readonly g: Graph;
  /** Nodes in topological order; null marks a removed node until finish() compacts. */
  readonly slots: (Node | null)[];
  private readonly vals = new Map<string, ValueRec>();
  private readonly outputs: Set<string>;
  private readonly renames = new Map<string, string>();
  private readonly dropped: string[] = [];
  private readonly orphanCandidates = new Set<string>();

  /** Opens a private copy of `src` (maps and arrays are new; nodes, tensors and value infos are shared). */
  constructor(src: Graph) {
    this.g = {
      name: src.name,
      inputs: [...src.inputs],
      outputs: [...src.outputs],
      initializers: new Map(src.initializers),
      nodes: [],
      values: new Map(src.values),
      opset: src.opset,
      meta: { ...src.meta },
    };
    this.slots = [...src.nodes];
    this.outputs = new Set(src.outputs.map((o) => o.name));
    const vals = this.vals;
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const outs = slots[i]!.outputs;
      for (let k = 0; k < outs.length; k++) if (outs[k]) vals.set(outs[k]!, { slot: i, uses: 0 });
    }
    for (let i = 0; i < slots.length; i++) {
      const ins = slots[i]!.inputs;
      for (let k = 0; k < ins.length; k++) {
        const r = ins[k] ? vals.get(ins[k]!) : undefined;
        if (r) r.uses++;
      }
    }
  }

  /** The node producing a value (undefined for graph inputs, initializers and unknown names). */
  producer(value: string): Node | undefined {
    const r = this.vals.get(value);
    return r ? (this.slots[r.slot] ?? undefined) : undefined;
  }

  slotOf(value: string): number {
    return this.vals.get(value)?.slot ?? -1;
  }

  /** Reading input slots of a node-produced value (0 for inputs/initializers: they are not tracked). */
  uses(value: string): number {
    return this.vals.get(value)?.uses ?? 0;
  }

  isOutput(value: string): boolean {
    return this.outputs.has(value);
  }

  initializer(name: string): Tensor | undefined {
    return this.g.initializers.get(name);
  }

  info(value: string): ValueInfo | undefined {
    return this.g.values.get(value);
  }

  /** A value the rest of the graph needs besides `reader`: more readers, or a graph output. */
  neededElsewhere(value: string): boolean {
    return this.uses(value) > 1 || this.outputs.has(value);
  }

  /** Takes a node out (its inputs lose a reader); its outputs must be re-produced by place() or dropped. */
  remove(slot: number): Node {
    const n = this.slots[slot];
    if (!n) throw new Error(`work: slot ${slot} is already empty`);
    for (const i of n.inputs) {
      const r = i ? this.vals.get(i) : undefined;
      if (r) r.uses--;
      else if (i && this.g.initializers.has(i)) this.orphanCandidates.add(i);
    }
    this.slots[slot] = null;
    return n;
  }

  /** Puts a node into an empty slot; outputs that already exist move their producer record here. */
  place(slot: number, n: Node): void {
    if (this.slots[slot]) throw new Error(`work: slot ${slot} is occupied by ${this.slots[slot]!.name}`);
    this.slots[slot] = n;
    for (const i of n.inputs) {
      const r = i ? this.vals.get(i) : undefined;
      if (r) r.uses++;
    }
    for (const o of n.outputs) {
      if (!o) continue;
      const r = this.vals.get(o);
      if (r) r.slot = slot;
      else this.vals.set(o, { slot, uses: 0 });
    }
  }

  replace(slot: number, n: Node): void {
    this.remove(slot);
    this.place(slot, n);
  }

  /** A value no node produces any more (its readers must already be gone or renamed). */
  drop(value: string): void {
    this.vals.delete(value);
    this.dropped.push(value);
  }

  addInitializer(name: string, t: Tensor): void {
    this.g.initializers.set(name, t);
    this.g.values.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
  }

  /** A name not yet used by any value. */
  freshValueName(base: string): string {
    let name = base;
    for (let k = 1; this.g.values.has(name) || this.vals.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  /**
   * Every reader of `from` reads `to` instead (applied in one sweep by flush()). With `toProducer`, the node producing
   * `to` is renamed instead: `from` takes over the role of `to` (used to hand a graph output name to a tensor).
   */
  rename(from: string, to: string): void {
    const fr = this.vals.get(from);
    const tr = this.vals.get(to);
    if (fr && tr) tr.uses += fr.uses;
    if (fr) this.vals.delete(from);
    this.renames.set(from, to);
    this.dropped.push(from);
  }

  /** Renames a produced value everywhere, producer included (the graph output hand-over). */
  renameProduced(from: string, to: string): void {
    const r = this.vals.get(from);
    if (!r) throw new Error(`work: '${from}' is not produced by a node`);
    const p = this.slots[r.slot]!;
    const info = this.g.values.get(from)!;
    this.slots[r.slot] = { ...p, outputs: p.outputs.map((o) => (o === from ? to : o)) };
    this.vals.delete(from);
    const old = this.vals.get(to);
    this.vals.set(to, { slot: r.slot, uses: r.uses + (old?.uses ?? 0) });
    this.g.values.set(to, { ...info, name: to });
    this.renames.set(from, to);
    this.dropped.push(from);
  }

  /** The current name of a value that may have been renamed by this pass (renames apply at flush()). */
  resolve(v: string): string {
    let x = v;
    for (let hops = 0; this.renames.size && this.renames.has(x) && hops <= this.renames.size; hops++) x = this.renames.get(x)!;
    return x;
  }

  /** Applies pending renames to every node input and graph output in one sweep. */
  flush(): void {
    if (this.renames.size === 0) return;
    const resolve = (v: string): string => this.resolve(v);
    for (let i = 0; i < this.slots.length; i++) {
      const n = this.slots[i];
      if (!n || !n.inputs.some((v) => this.renames.has(v))) continue;
      this.slots[i] = { ...n, inputs: n.inputs.map((v) => (v ? resolve(v) : v)) };
    }
    this.g.outputs = this.g.outputs.map((o) => (this.renames.has(o.name) ? { ...o, name: resolve(o.name) } : o));
    this.outputs.clear();
    for (const o of this.g.outputs) this.outputs.add(o.name);
    this.renames.clear();
  }

  /** Hands back the edited graph: nodes compacted, dead values and orphaned initializers removed. */
  finish(): Graph {
    this.flush();
    const g = this.g;
    g.nodes = this.slots.filter((n): n is Node => n !== null);
    for (const v of this.dropped) if (!this.vals.has(v)) g.values.delete(v);
    if (this.orphanCandidates.size) this.dropOrphans(g);
    return g;
  }

  private dropOrphans(g: Graph): void {
    const live = new Set<string>();
    for (const n of g.nodes) for (const i of n.inputs) if (this.orphanCandidates.has(i)) live.add(i);
    for (const o of g.outputs) live.add(o.name);
    for (const name of this.orphanCandidates) {
      if (live.has(name)) continue;
      g.initializers.delete(name);
      g.values.delete(name);
    }
  }
}
