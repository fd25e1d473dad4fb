// Stage: graph passes, support. A Map layered over a base map it never changes (a pass's output shares the value table).
// Contract: behaves as a Map (get/has/set/delete/size/iteration); the base must not be mutated while the layer lives.

/**
 * Copying a million-entry Map costs more than the whole fusion pass; a graph pass changes a few percent of the
 * entries. Own entries shadow the base; `deleted` hides base entries; the base is never written.
 */
export class LayeredMap<K, V> extends Map<K, V> {
  private deleted = new Set<K>();
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
  hide(keys: Set<K>): void {
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
    const own = super.get(k);
    if (own !== undefined || super.has(k)) return own;
    return this.deleted.size !== 0 && this.deleted.has(k) ? undefined : this.base.get(k);
  }

  override has(k: K): boolean {
    return super.has(k) || this.inBase(k);
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
