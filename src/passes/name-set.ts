// Stage: graph passes, support. A set of value names sized for bulk building: the names a pass drops, hidden from its output.
// Contract: exact Set semantics (has/add/delete/size/iteration in insertion order); a name is any string.

/**
 * Why not a Set: a pass over a million-node graph drops ~400k value names at once, and a native Set grows to that size
 * by rehashing into ever larger garbage-collected tables, a cache miss per name at the end (CPU profile of
 * `npm run bench -- fuse`: ~350 ns per name at 1M nodes, ~100 ns at 100k, the largest cost that grew faster than the
 * graph). Here the table is sized once from the count (load <= 1/2) and lives off the heap (an Int32Array the garbage
 * collector never scans); the names stay in one array. Open addressing with linear probing on a 32-bit FNV-1a hash.
 */
export class NameSet implements Iterable<string> {
  /**
   * Names by entry index, the first `used` of them; undefined marks a deleted entry (its table slot stays as a
   * tombstone until a rebuild). Grown by hand (doubling) so that building from a list allocates it once.
   */
  private names: (string | undefined)[];
  private used = 0;
  /** Open-addressing table: 0 empty, else entry index + 1. */
  private table: Int32Array;
  private live = 0;

  /** A set of `names` (duplicates are kept once), its table sized for them. */
  constructor(names: readonly string[] = []) {
    this.table = new Int32Array(tableSize(names.length));
    this.names = new Array<string | undefined>(names.length).fill(undefined);
    for (let i = 0; i < names.length; i++) this.add(names[i]!);
  }

  get size(): number {
    return this.live;
  }

  has(name: string): boolean {
    return this.find(name) >= 0;
  }

  add(name: string): this {
    if ((this.used + 1) * 2 > this.table.length) this.rebuild(this.live + 1);
    // one hash and one probe sequence: it ends at the name's entry or at the empty slot the name goes into
    const t = this.table, mask = t.length - 1;
    let s = hash(name) & mask;
    for (let e = t[s]!; e !== 0; s = (s + 1) & mask, e = t[s]!) if (this.names[e - 1] === name) return this;
    if (this.used === this.names.length) this.names.length = Math.max(16, this.used * 2);
    this.names[this.used++] = name;
    t[s] = this.used;
    this.live++;
    return this;
  }

  delete(name: string): boolean {
    const e = this.find(name);
    if (e < 0) return false;
    this.names[e] = undefined;
    this.live--;
    return true;
  }

  clear(): void {
    this.names = [];
    this.used = 0;
    this.table = new Int32Array(tableSize(0));
    this.live = 0;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    const names = this.names;
    for (let i = 0; i < this.used; i++) {
      const n = names[i];
      if (n !== undefined) yield n;
    }
  }

  /** Entry index of a live name, or -1. */
  private find(name: string): number {
    const t = this.table, mask = t.length - 1;
    for (let s = hash(name) & mask; ; s = (s + 1) & mask) {
      const e = t[s]!;
      if (e === 0) return -1;
      if (this.names[e - 1] === name) return e - 1;
    }
  }

  /** Drops tombstones and sizes the table for `count` live names (and as many again before the next rebuild). */
  private rebuild(count: number): void {
    const live: string[] = [];
    for (const n of this) live.push(n);
    this.names = new Array<string | undefined>(count * 2).fill(undefined);
    this.used = 0;
    this.live = 0;
    this.table = new Int32Array(tableSize(count * 2));
    for (let i = 0; i < live.length; i++) this.add(live[i]!);
  }
}

/** A power of two at least twice `count` (and at least 16). */
function tableSize(count: number): number {
  let n = 16;
  while (n < count * 2) n *= 2;
  return n;
}

/** 32-bit FNV-1a over UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
