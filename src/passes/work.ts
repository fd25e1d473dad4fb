// Stage: graph passes. A privately owned, indexed copy of a graph that passes edit in place, then hand back as a Graph.
// Contract: O(nodes) to open and to finish; every edit is O(degree); unchanged Node objects are shared, never mutated.

import type { Graph, Node, ValueInfo } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import { LayeredMap, getInOrder } from './layered-map.js';
import { NameSet } from './name-set.js';
import { give, takeInt32, takeUint8 } from './scratch.js';

/** Names a per-Work cache (Work.memo) and says how to make an empty one. */
export class MemoKey<T> {
  constructor(readonly make: () => T) {}
}

/** How far back a producer is looked for next to its reader (over removed slots) before the name table is asked. */
const NEAR = 8;

/**
 * Index layout: a million-entry name table is the slowest thing a pass could build (hash tables that size miss the
 * caches), and in topological order most inputs are the previous node's output (chains) or initializers. So the
 * reader counts are kept per slot (Int32Array, first outputs; other outputs in a small map), producers are found next
 * to their readers when the caller says where the reader is, and the value -> slot table is built only when a lookup
 * cannot be answered that way (then it is kept up to date by every edit). Initializer readers are counted the same
 * way, so finish() deletes the initializers a pass stopped reading without sweeping every input again.
 */
export class Work {
  readonly g: Graph;
  /** Nodes in topological order; null marks a removed node until finish() compacts (and hands over) this array. */
  readonly slots: (Node | null)[];
  /**
   * Nodes taken out whose outputs still exist (until place() re-produces or drop() ends them): parkedAt[slot] - 1 is
   * the node's index in `parked` (0: none). Only a segment's few members are parked at a time, so the table stays
   * small (freed entries are reused); a million-entry node array per pass would be old-generation garbage to collect.
   */
  private readonly parkedAt: Int32Array;
  private readonly parked: (Node | undefined)[] = [];
  private readonly parkedFree: number[] = [];
  /** dead0[p] = 1: output 0 of the node parked at p was dropped (a per-slot flag: a name set that size is slow). */
  private readonly dead0: Uint8Array;
  private readonly uses0: Int32Array;
  private readonly usesMore = new Map<string, number>();
  private index: Map<string, number> | null = null;
  private readonly graphInputs: Set<string>;
  private readonly outputs: Set<string>;
  private readonly renames = new Map<string, string>();
  /**
   * Values no node produces any more. Kept as a list while only drop() writes it, and made a set on the first question
   * (see dropped()): fusing the 1M-node bench graph drops ~385k values, and adding them to a set one by one between
   * the edits took ~0.3 s of a 1.2 s pass, where one bulk build in finish() takes ~0.1 s (CPU profile of bench/fuse),
   * and a NameSet, sized once from the list's length, ~0.06 s (see name-set.ts). The set then hides them from the
   * output's value table.
   */
  private droppedLog: string[] = [];
  private droppedSet: NameSet | null = null;
  /** Values this Work added to the value table (the rest of a dropped value's entry lives in the source's table). */
  private readonly ownValues = new Set<string>();
  /** Live readers of each initializer (boxed: one lookup per count), kept by every edit; removal drops unread ones. */
  private readonly initReaders = new Map<string, { n: number }>();
  /** Initializers whose reader count reached 0 during this Work (they are deleted at finish() if still unread). */
  private readonly orphanCandidates = new Set<string>();
  private readonly sharedInits = new WeakMap<object, string>();
  /** Analyses derived from this copy's graph (see memo()): they live and die with it, never in a module. */
  private readonly memos = new Map<MemoKey<unknown>, unknown>();
  private changed = false;
  private finished = false;

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
    this.graphInputs = new Set(src.inputs.map((i) => i.name));
    this.uses0 = takeInt32(slots.length, 0);
    this.parkedAt = takeInt32(slots.length, 0);
    this.dead0 = takeUint8(slots.length, 0);
    for (const name of this.g.initializers.keys()) this.initReaders.set(name, { n: 0 });
    const far: [string, number][] = [];
    for (let i = 0; i < slots.length; i++) {
      const ins = slots[i]!.inputs;
      const before = i > 0 ? slots[i - 1]!.outputs : undefined;
      for (let k = 0; k < ins.length; k++) {
        const v = ins[k]!;
        // the previous node's output first: a pointer comparison, no name hashing (most inputs in a chain)
        if (before && before[0] === v && v) this.uses0[i - 1]!++;
        else if (v && !this.initUse(v, 1) && !this.graphInputs.has(v)) far.push([v, i]);
      }
    }
    for (const [v, reader] of far) this.addUses(v, this.slotOf(v, reader), 1);
  }

  /** Graph inputs and initializers have no producer and no reader count. */
  private untracked(v: string): boolean {
    return this.initReaders.has(v) || this.graphInputs.has(v);
  }

  /** Counts `by` readers of `v` when it is an initializer (false otherwise); an initializer read by none is a candidate. */
  private initUse(v: string, by: number): boolean {
    const c = this.initReaders.get(v);
    if (!c) return false;
    c.n += by;
    if (c.n === 0) this.orphanCandidates.add(v);
    return true;
  }

  /** The node filed at a slot: the live one, or the one taken out and not yet replaced. */
  private slotNode(p: number): Node | undefined {
    return this.slots[p] ?? this.parkedNode(p);
  }

  private parkedNode(p: number): Node | undefined {
    const k = this.parkedAt[p]!;
    return k === 0 ? undefined : this.parked[k - 1];
  }

  private park(p: number, n: Node): void {
    let k = this.parkedAt[p]!;
    if (k === 0) k = this.parkedFree.pop() ?? this.parked.push(undefined);
    this.parked[k - 1] = n;
    this.parkedAt[p] = k;
  }

  private unpark(p: number): void {
    const k = this.parkedAt[p]!;
    if (k === 0) return;
    this.parked[k - 1] = undefined;
    this.parkedFree.push(k);
    this.parkedAt[p] = 0;
  }

  /** Readers of `value`, produced by the node filed at slot p: by slot for first outputs, else by name. */
  private readers(p: number, value: string): number {
    return this.slotNode(p)?.outputs[0] === value ? this.uses0[p]! : (this.usesMore.get(value) ?? 0);
  }

  private setReaders(p: number, value: string, count: number): void {
    if (this.slotNode(p)?.outputs[0] === value) this.uses0[p] = count;
    else if (count === 0) this.usesMore.delete(value);
    else this.usesMore.set(value, count);
  }

  private addUses(value: string, p: number, by: number): void {
    if (p < 0) return;
    if (this.slotNode(p)?.outputs[0] === value) this.uses0[p]! += by;
    else this.usesMore.set(value, (this.usesMore.get(value) ?? 0) + by);
  }

  private ensureIndex(): Map<string, number> {
    if (this.index) return this.index;
    const m = new Map<string, number>();
    for (let i = 0; i < this.slots.length; i++) {
      const n = this.slotNode(i);
      if (n) for (const o of n.outputs) if (o && !this.dropped().has(o)) m.set(o, i);
    }
    return (this.index = m);
  }

  /**
   * Slot of the node producing `value`, -1 for graph inputs, initializers and unknown names. `reader`: the slot of a
   * node reading it, so the producer is first looked for just before it (over removed slots).
   */
  slotOf(value: string, reader?: number): number {
    if (reader !== undefined) {
      for (let j = reader - 1, steps = 0; j >= 0 && steps < NEAR; j--, steps++) {
        const live = this.slots[j];
        if (live) {
          if (live.outputs[0] === value) return j;
          break; // a live node that is not the producer: the producer is further away
        }
        const pk = this.parkedNode(j);
        if (pk && pk.outputs[0] === value && this.dead0[j] === 0) return j;
      }
    }
    if (this.untracked(value)) return -1;
    return this.ensureIndex().get(value) ?? -1;
  }

  /** The node producing a value (undefined for graph inputs, initializers and unknown names). */
  producer(value: string, reader?: number): Node | undefined {
    const p = this.slotOf(value, reader);
    return p < 0 ? undefined : (this.slots[p] ?? undefined);
  }

  /** Readers of the first output of the node in `slot` (no name lookup: the hot path of chain discovery). */
  usesAt(slot: number): number {
    return this.uses0[slot]!;
  }

  /** Reading input slots of a node-produced value (0 for inputs/initializers: they are not tracked). */
  uses(value: string, reader?: number): number {
    const p = this.slotOf(value, reader);
    return p < 0 ? 0 : this.readers(p, value);
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

  /** info() of many values, fastest when they come in topological order of their producers (see getInOrder). */
  infos(values: readonly string[]): (ValueInfo | undefined)[] {
    const t = this.g.values;
    return t instanceof LayeredMap ? (t as LayeredMap<string, ValueInfo>).getAll(values) : getInOrder(t, values);
  }

  /** A value the rest of the graph needs besides its one reader: more readers, or a graph output. */
  neededElsewhere(value: string, reader?: number): boolean {
    return this.uses(value, reader) > 1 || this.outputs.has(value);
  }

  /** Takes a node out (its inputs lose a reader); its outputs must be re-produced by place() or dropped. */
  remove(slot: number): Node {
    const n = this.slots[slot];
    if (!n) throw new Error(`work: slot ${slot} is already empty`);
    for (const raw of n.inputs) {
      if (!raw) continue;
      const v = this.resolve(raw); // a reader of a renamed value counts against the value it now reads
      if (!this.initUse(v, -1)) this.addUses(v, this.slotOf(v, slot), -1);
    }
    this.slots[slot] = null;
    this.park(slot, n);
    this.dead0[slot] = 0;
    this.changed = true;
    return n;
  }

  /** Puts a node into an empty slot; outputs that already exist move their producer and reader count here. */
  place(slot: number, n: Node): void {
    if (this.slots[slot]) throw new Error(`work: slot ${slot} is occupied by ${this.slots[slot]!.name}`);
    const here = this.parkedNode(slot);
    if (here && n.outputs.length === 1 && here.outputs.length === 1 && here.outputs[0] === n.outputs[0]) {
      // the common case (a fused node takes the place and the output name of the last node it replaces): the
      // reader count stays where it is
      this.slots[slot] = n;
      this.unpark(slot);
      this.index?.set(n.outputs[0]!, slot);
      this.countReaders(n, slot);
      this.changed = true;
      return;
    }
    const moved = n.outputs.map((o) => {
      if (!o) return 0;
      // the common case: the node replaces the one parked here, under the same output name
      const p = this.dropped().has(o) ? -1 : here && here.outputs.includes(o) ? slot : this.slotOf(o);
      if (p < 0) return 0;
      const count = this.readers(p, o);
      this.setReaders(p, o, 0);
      if (p !== slot && !this.slots[p]) this.unpark(p); // the name moves here for good
      return count;
    });
    if (here) for (const o of here.outputs) if (o && !n.outputs.includes(o)) this.usesMore.delete(o);
    this.uses0[slot] = 0;
    this.slots[slot] = n;
    this.unpark(slot);
    for (let k = 0; k < n.outputs.length; k++) {
      const o = n.outputs[k]!;
      if (!o) continue;
      this.dropped().delete(o);
      this.index?.set(o, slot);
      this.setReaders(slot, o, moved[k]!);
    }
    this.countReaders(n, slot);
    this.changed = true;
  }

  /** A node placed at `slot` reads its inputs: their producers (or initializers) gain a reader each. */
  private countReaders(n: Node, slot: number): void {
    for (const raw of n.inputs) {
      if (!raw) continue;
      const v = this.resolve(raw);
      if (!this.initUse(v, 1) && !this.graphInputs.has(v)) this.addUses(v, this.slotOf(v, slot), 1);
    }
  }

  replace(slot: number, n: Node): void {
    this.remove(slot);
    this.place(slot, n);
  }

  /** A value no node produces any more (its readers must already be gone or renamed). `producer`: its slot if known. */
  drop(value: string, producer?: number): void {
    const p = producer ?? this.slotOf(value);
    if (p >= 0 && this.slots[p]?.outputs.includes(value)) throw new Error(`work: '${value}' is dropped while its producer is live`);
    if (p >= 0) this.setReaders(p, value, 0);
    this.index?.delete(value);
    if (this.droppedSet) this.droppedSet.add(value);
    else this.droppedLog.push(value);
    // a removed node none of whose outputs live on no longer claims its slot (a name may be produced again elsewhere)
    if (p >= 0 && !this.slots[p]) {
      const pk = this.parkedNode(p);
      if (pk && pk.outputs[0] === value) this.dead0[p] = 1;
      const gone = pk && (pk.outputs.length === 1 ? pk.outputs[0] === value : pk.outputs.every((o) => !o || this.dropped().has(o)));
      if (gone) this.unpark(p);
    }
    this.changed = true;
  }

  addInitializer(name: string, t: Tensor): void {
    this.g.initializers.set(name, t);
    this.g.values.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
    this.initReaders.set(name, { n: 0 });
    this.ownValues.add(name);
    this.changed = true;
  }

  /**
   * The analysis cache `key` stands for, made on first use and kept as long as this working copy: the place for any
   * cache derived from the graph (a module-level one would hand one graph's facts to the next graph that looks alike).
   */
  memo<T>(key: MemoKey<T>): T {
    let m = this.memos.get(key) as T | undefined;
    if (m === undefined) this.memos.set(key, (m = key.make()));
    return m;
  }

  /** The initializer made earlier for the same (identical, memoised) parameters, while it still exists. */
  sharedInitializer(key: object): string | undefined {
    const name = this.sharedInits.get(key);
    return name !== undefined && this.g.initializers.has(name) ? name : undefined;
  }

  shareInitializer(key: object, name: string): void {
    this.sharedInits.set(key, name);
  }

  /** A name not yet used by any value (the value table holds every input, initializer and node output). */
  freshValueName(base: string): string {
    let name = base;
    for (let k = 1; this.g.values.has(name); k++) name = `${base}_${k}`;
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
    if (!this.initUse(to, n)) this.addUses(to, this.slotOf(to), n);
    this.drop(from);
    this.renames.set(from, to);
  }

  /** `from`'s producer produces `to` instead (a graph output name handed to the tensor that replaces it). */
  renameProduced(from: string, to: string): void {
    const p = this.slotOf(from);
    if (p < 0) throw new Error(`work: '${from}' is not produced by a node`);
    const info = this.g.values.get(from)!;
    const readers = this.uses(from) + this.uses(to);
    const node = this.slots[p]!;
    this.remove(p);
    this.drop(from, p);
    const q = this.slotOf(to);
    if (q >= 0) this.drop(to, q);
    this.place(p, { ...node, outputs: node.outputs.map((o) => (o === from ? to : o)) });
    this.setReaders(p, to, readers);
    this.g.values.set(to, { ...info, name: to });
    this.ownValues.add(to);
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

  /** The dropped values as a set (built from the log on first use). */
  private dropped(): NameSet {
    if (!this.droppedSet) {
      this.droppedSet = new NameSet(this.droppedLog);
      this.droppedLog = [];
    }
    return this.droppedSet;
  }

  /**
   * Hands back the edited graph (the source itself when nothing changed): nodes compacted, dead values dropped. Ends
   * the Work: its slot array becomes the graph's node array.
   */
  finish(): Graph {
    this.flush();
    if (!this.finished) give(this.uses0, this.parkedAt, this.dead0); // per-slot scratch (see scratch.ts)
    this.finished = true;
    if (!this.changed) return this.src;
    const g = this.g;
    g.nodes = compact(this.slots);
    const dropped = this.dropped();
    // own entries are deleted one by one; the rest are source entries, hidden by handing the layer the whole set
    for (const v of this.ownValues) {
      if (!dropped.has(v)) continue;
      g.values.delete(v);
      dropped.delete(v);
    }
    if (g.values instanceof LayeredMap) g.values.hide(dropped);
    else for (const v of dropped) g.values.delete(v);
    if (this.orphanCandidates.size) this.dropOrphans(g);
    return g;
  }

  /** Deletes the initializers no node reads any more (counted by every edit: no sweep over a million inputs). */
  private dropOrphans(g: Graph): void {
    // (this.outputs is the graph's output names: flush() ran first and keeps it so)
    for (const name of this.orphanCandidates) {
      if (this.initReaders.get(name)?.n !== 0 || this.outputs.has(name)) continue;
      g.initializers.delete(name);
      g.values.delete(name);
      this.initReaders.delete(name);
    }
    this.orphanCandidates.clear();
  }
}

/**
 * The live nodes in order, compacted in place: the slot array is this Work's own copy and finish() ends the Work, so it
 * becomes the graph's node array (a second million-entry array per pass would be one more old-generation object).
 */
function compact(slots: (Node | null)[]): Node[] {
  // an indexed loop: this runs once per pass, often before the optimizing compiler takes over, and a for-of there
  // allocates an iterator result per element
  let k = 0;
  for (let i = 0; i < slots.length; i++) {
    const n = slots[i];
    if (n) {
      if (k !== i) slots[k] = n;
      k++;
    }
  }
  slots.length = k;
  return slots as Node[];
}
