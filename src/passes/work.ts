// Stage: graph passes. A privately owned, indexed copy of a graph that passes edit in place, then hand back as a Graph.
// Contract: O(nodes) to open and to finish; every edit is O(degree); unchanged Node objects are shared, never mutated.

import type { Graph, Node, ValueInfo } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { LayeredMap } from './layered-map.js';

/**
 * Index layout (a 1M-node graph must open in a fraction of a second): value name -> producer slot in one Map; the
 * number of reading input slots of a node's first output in an Int32Array by slot; other outputs (Split) in a Map.
 */
export class Work {
  readonly g: Graph;
  /** Nodes in topological order; null marks a removed node until finish() compacts. */
  readonly slots: (Node | null)[];
  private readonly prod = new Map<string, number>();
  private readonly uses0: Int32Array;
  private readonly usesMore = new Map<string, number>();
  private readonly outputs: Set<string>;
  private readonly renames = new Map<string, string>();
  private readonly dropped: string[] = [];
  private readonly orphanCandidates = new Set<string>();
  /** Nodes taken out whose output counts are still filed under their slot (until place() or drop()). */
  private readonly parked: (Node | undefined)[] = [];
  private changed = false;

  /** Opens a private copy of `src`: its value table is layered over the source's, nodes and tensors are shared. */
  constructor(private readonly src: Graph) {
    this.g = {
      name: src.name,
      inputs: [...src.inputs],
      outputs: [...src.outputs],
      initializers: new Map(src.initializers),
      nodes: [],
      values: LayeredMap.over(src.values),
      opset: src.opset,
      meta: { ...src.meta },
    };
    const slots = (this.slots = src.nodes.slice());
    this.outputs = new Set(src.outputs.map((o) => o.name));
    this.uses0 = new Int32Array(slots.length);
    // one sweep: in topological order every input's producer is already indexed. Most inputs are initializers
    // (a small table) or the previous node's output (chains): both are answered without the big table.
    const prod = this.prod;
    const inits = src.initializers;
    for (let i = 0; i < slots.length; i++) {
      const n = slots[i]!;
      const ins = n.inputs;
      const before = i > 0 ? slots[i - 1]!.outputs : undefined;
      for (let k = 0; k < ins.length; k++) {
        const v = ins[k]!;
        if (!v || inits.has(v)) continue;
        const p = before && before[0] === v ? i - 1 : prod.get(v);
        if (p === undefined) continue;
        if (slots[p]!.outputs[0] === ins[k]) this.uses0[p]!++;
        else this.usesMore.set(ins[k]!, (this.usesMore.get(ins[k]!) ?? 0) + 1);
      }
      const outs = n.outputs;
      for (let k = 0; k < outs.length; k++) if (outs[k]) prod.set(outs[k]!, i);
    }
  }

  private bump(value: string, by: number): void {
    if (!value) return;
    const p = this.prod.get(value);
    if (p === undefined) {
      if (by < 0 && this.g.initializers.has(value)) this.orphanCandidates.add(value);
      return;
    }
    this.addUses(value, p, by);
  }

  /** The node filed at a slot: the live one, or the one taken out and not yet replaced. */
  private slotNode(p: number): Node | undefined {
    return this.slots[p] ?? this.parked[p];
  }

  private addUses(value: string, p: number, by: number): void {
    if (this.slotNode(p)?.outputs[0] === value) this.uses0[p]! += by;
    else this.usesMore.set(value, (this.usesMore.get(value) ?? 0) + by);
  }

  /** The node producing a value (undefined for graph inputs, initializers and unknown names). */
  producer(value: string): Node | undefined {
    const p = this.prod.get(value);
    return p === undefined ? undefined : (this.slots[p] ?? undefined);
  }

  slotOf(value: string): number {
    return this.prod.get(value) ?? -1;
  }

  /** Readers of the first output of the node in `slot` (no name lookup: the hot path of chain discovery). */
  usesAt(slot: number): number {
    return this.uses0[slot]!;
  }

  /** Reading input slots of a node-produced value (0 for inputs/initializers: they are not tracked). */
  uses(value: string): number {
    const p = this.prod.get(value);
    return p === undefined ? 0 : this.usesOfProduced(value, p);
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

  /** A value the rest of the graph needs besides its one reader: more readers, or a graph output. */
  neededElsewhere(value: string): boolean {
    return this.uses(value) > 1 || this.outputs.has(value);
  }

  /** Takes a node out (its inputs lose a reader); its outputs must be re-produced by place() or dropped. */
  remove(slot: number): Node {
    const n = this.slots[slot];
    if (!n) throw new Error(`work: slot ${slot} is already empty`);
    for (const i of n.inputs) this.bump(i, -1);
    // the slot keeps its first output's reader count until place() or drop() says where the value went
    this.slots[slot] = null;
    this.parked[slot] = n;
    this.changed = true;
    return n;
  }

  private usesOfProduced(value: string, slot: number): number {
    return this.slotNode(slot)?.outputs[0] === value ? this.uses0[slot]! : (this.usesMore.get(value) ?? 0);
  }

  /** Puts a node into an empty slot; outputs that already exist move their producer and reader count here. */
  place(slot: number, n: Node): void {
    if (this.slots[slot]) throw new Error(`work: slot ${slot} is occupied by ${this.slots[slot]!.name}`);
    const moved = n.outputs.map((o) => {
      const p = o ? this.prod.get(o) : undefined;
      return p === undefined ? 0 : this.usesOfProduced(o, p);
    });
    for (const o of n.outputs) {
      const p = o ? this.prod.get(o) : undefined;
      if (p !== undefined && p !== slot) this.clearUses(o, p);
    }
    if (this.slots[slot] === null) this.clearSlot(slot);
    this.slots[slot] = n;
    this.parked[slot] = undefined;
    for (let k = 0; k < n.outputs.length; k++) {
      const o = n.outputs[k]!;
      if (!o) continue;
      if (this.prod.get(o) !== slot) this.prod.set(o, slot);
      if (k === 0) this.uses0[slot] = moved[k]!;
      else this.usesMore.set(o, moved[k]!);
    }
    for (const i of n.inputs) this.bump(i, 1);
    this.changed = true;
  }

  private clearUses(value: string, slot: number): void {
    if (this.slotNode(slot)?.outputs[0] === value) this.uses0[slot] = 0;
    else this.usesMore.delete(value);
  }

  private clearSlot(slot: number): void {
    const was = this.parked[slot];
    if (was) for (const o of was.outputs) if (o && this.prod.get(o) === slot) this.usesMore.delete(o);
    this.uses0[slot] = 0;
  }

  replace(slot: number, n: Node): void {
    this.remove(slot);
    this.place(slot, n);
  }

  /** A value no node produces any more (its readers must already be gone or renamed). */
  drop(value: string): void {
    const p = this.prod.get(value);
    if (p !== undefined) this.clearUses(value, p);
    this.prod.delete(value);
    this.dropped.push(value);
    this.changed = true;
  }

  addInitializer(name: string, t: Tensor): void {
    this.g.initializers.set(name, t);
    this.g.values.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
    this.changed = true;
  }

  private readonly sharedInits = new WeakMap<object, string>();

  /** The initializer made earlier for the same (identical, memoised) parameters, while it still exists. */
  sharedInitializer(key: object): string | undefined {
    const name = this.sharedInits.get(key);
    return name !== undefined && this.g.initializers.has(name) ? name : undefined;
  }

  shareInitializer(key: object, name: string): void {
    this.sharedInits.set(key, name);
  }

  /** A name not yet used by any value. */
  freshValueName(base: string): string {
    let name = base;
    for (let k = 1; this.g.values.has(name) || this.prod.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  /** The current name of a value that may have been renamed by this pass (renames apply at flush()). */
  resolve(v: string): string {
    if (this.renames.size === 0) return v;
    let x = v;
    for (let hops = 0; this.renames.has(x) && hops <= this.renames.size; hops++) x = this.renames.get(x)!;
    return x;
  }

  /** Every reader of `from` (whose producer is gone) reads `to` instead; applied to node inputs by flush(). */
  rename(from: string, to: string): void {
    const n = this.uses(from);
    const p = this.prod.get(to);
    if (p !== undefined) this.addUses(to, p, n);
    this.drop(from);
    this.renames.set(from, to);
  }

  /** `from`'s producer produces `to` instead (a graph output name handed to the tensor that replaces it). */
  renameProduced(from: string, to: string): void {
    const p = this.prod.get(from);
    if (p === undefined) throw new Error(`work: '${from}' is not produced by a node`);
    const info = this.g.values.get(from)!;
    const readers = this.uses(from) + this.uses(to);
    const node = this.slots[p]!;
    this.remove(p);
    this.drop(from);
    const q = this.prod.get(to);
    if (q !== undefined) this.drop(to);
    this.place(p, { ...node, outputs: node.outputs.map((o) => (o === from ? to : o)) });
    if (this.slots[p]!.outputs[0] === to) this.uses0[p] = readers;
    else this.usesMore.set(to, readers);
    this.g.values.set(to, { ...info, name: to });
    this.renames.set(from, to);
  }

  /** Applies pending renames to every node input and graph output in one sweep. */
  flush(): void {
    if (this.renames.size === 0) return;
    for (let i = 0; i < this.slots.length; i++) {
      const n = this.slots[i];
      if (!n || !n.inputs.some((v) => this.renames.has(v))) continue;
      this.slots[i] = { ...n, inputs: n.inputs.map((v) => (v ? this.resolve(v) : v)) };
    }
    this.g.outputs = this.g.outputs.map((o) => (this.renames.has(o.name) ? { ...o, name: this.resolve(o.name) } : o));
    this.outputs.clear();
    for (const o of this.g.outputs) this.outputs.add(o.name);
    this.renames.clear();
  }

  /** Hands back the edited graph (the source itself when nothing changed): nodes compacted, dead values dropped. */
  finish(): Graph {
    this.flush();
    if (!this.changed) return this.src;
    const g = this.g;
    g.nodes = this.slots.filter((n): n is Node => n !== null);
    for (const v of this.dropped) if (!this.prod.has(v)) g.values.delete(v);
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
