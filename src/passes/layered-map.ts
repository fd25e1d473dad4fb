// Stage: graph passes, support. A Map layered over a base map it never changes (a pass's output shares the value table).
// Contract: behaves as a Map (get/has/set/delete/size/iteration); the base must not be mutated while the layer lives.

/** What a LayeredMap needs of the set of base keys it hides: a Set, or a NameSet of the value names a pass dropped. */
export interface KeySet<K> extends Iterable<K> {
  readonly size: number;
  has(k: K): boolean;
  add(k: K): unknown;
  delete(k: K): boolean;
}

/**
 * Copying a million-entry Map costs more than the whole fusion pass; a graph pass changes a few percent of the
 * entries. Own entries shadow the base; `deleted` hides base entries; the base is never written.
 */
export class LayeredMap<K, V> extends Map<K, V> {
  private deleted: KeySet<K> = new Set<K>();
  /** Own keys that are also (undeleted) base keys, so size counts them once. */
  private shadowed = 0;

  constructor(private readonly base: ReadonlyMap<K, V>) {
    super();
  }

  /** Layers at most two deep: a map over a layered map is flattened into a plain one first. */
  static over<K, V>(base: ReadonlyMap<K, V>): LayeredMap<K, V> {
    if (base instanceof LayeredMap && base.base instanceof LayeredMap) return new LayeredMap(new Map(base));
    return new LayeredMap(base);
  }

  /**
   * Hides many base keys at once by adopting the caller's set (no per-key work: a pass drops ~40% of a graph's values).
   * Every key must be a base key with no own entry, and nothing may have been deleted yet; else it falls back to delete().
   */
  hide(keys: KeySet<K>): void {
    if (this.deleted.size !== 0) {
      for (const k of keys) this.delete(k);
      return;
    }
    this.deleted = keys;
  }

  private inBase(k: K): boolean {
    return !this.deleted.has(k) && this.base.has(k);
  }

  override get(k: K): V | undefined {
    // a pass's layer mostly has no own entries yet: no probe of an empty table (a third of a lookup's cost)
    if (super.size !== 0) {
      const own = super.get(k);
      if (own !== undefined || super.has(k)) return own;
    }
    return this.deleted.size !== 0 && this.deleted.has(k) ? undefined : this.base.get(k);
  }

  override has(k: K): boolean {
    return (super.size !== 0 && super.has(k)) || this.inBase(k);
  }

  /**
   * get() of many keys, answered by walking the innermost plain map in its insertion order beside the keys (see
   * getInOrder); this layer's and the inner layers' own entries and deletions still take precedence.
   */
  getAll(keys: readonly K[]): (V | undefined)[] {
    const out = this.base instanceof LayeredMap ? (this.base as LayeredMap<K, V>).getAll(keys) : getInOrder(this.base, keys);
    if (super.size === 0 && this.deleted.size === 0) return out;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (super.has(k)) out[i] = super.get(k);
      else if (this.deleted.has(k)) out[i] = undefined;
    }
    return out;
  }

  override set(k: K, v: V): this {
    if (!super.has(k)) {
      if (this.deleted.has(k)) this.deleted.delete(k);
      if (this.base.has(k)) this.shadowed++;
    }
    return super.set(k, v);
  }

  override delete(k: K): boolean {
    const own = super.delete(k);
    if (!this.base.has(k)) return own;
    if (own) this.shadowed--;
    const before = this.deleted.size;
    this.deleted.add(k);
    return own || this.deleted.size > before;
  }

  override clear(): void {
    super.clear();
    this.shadowed = 0;
    for (const k of this.base.keys()) this.deleted.add(k);
  }

  override get size(): number {
    return super.size + this.base.size - this.deleted.size - this.shadowed;
  }

  override *entries(): MapIterator<[K, V]> {
    yield* super.entries();
    for (const e of this.base.entries()) if (!super.has(e[0]) && !this.deleted.has(e[0])) yield e;
  }

  override *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  override *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}

/** How many entries getInOrder() looks ahead for a key before asking the hash table. */
const WINDOW = 32;

/**
 * map.get() of every key, for keys that mostly come in the map's insertion order (value tables are filled in
 * topological order, and passes ask about values in that order). Hashing into a million-entry table costs a cache miss
 * or three per key; walking its entries in order beside the keys is a sequential read. A key is looked for among the
 * entries walked past by the last failed look (a key out of order must not make the next ones miss too) and then among
 * the next WINDOW entries; not found there, the table is asked. Once misses outnumber hits by WINDOW, the order does not
 * match and the rest are asked directly. Exact either way: a walked entry answers only its own key.
 */
export function getInOrder<K, V>(map: ReadonlyMap<K, V>, keys: readonly K[]): (V | undefined)[] {
  const out = new Array<V | undefined>(keys.length);
  // two iterators over one map advance in step: each entry's key and value without a pair array per entry
  const ks = map.keys(), vs = map.values();
  const pastK = new Array<K>(WINDOW), pastV = new Array<V>(WINDOW);
  let pastFrom = 0, pastTo = 0, hits = 0, misses = 0, done = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    let found = false;
    for (let j = pastFrom; j < pastTo; j++) {
      if (pastK[j] !== k) continue;
      out[i] = pastV[j];
      pastFrom = j + 1;
      found = true;
      break;
    }
    if (!found && !done && misses <= hits + WINDOW) {
      pastFrom = pastTo = 0;
      for (let step = 0; step < WINDOW; step++) {
        const kr = ks.next(), vr = vs.next();
        if (kr.done) {
          done = true;
          break;
        }
        if (kr.value === k) {
          out[i] = vr.value as V;
          pastTo = 0; // the entries walked past on the way are behind this key: dropped
          found = true;
          break;
        }
        pastK[pastTo] = kr.value;
        pastV[pastTo++] = vr.value as V;
      }
    }
    if (found) hits++;
    else {
      misses++;
      out[i] = map.get(k);
    }
  }
  return out;
}
