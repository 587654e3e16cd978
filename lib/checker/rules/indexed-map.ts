// A read-only map from write id to a value, stored as an array indexed by
// the model's write table (writeIndex): 8 bytes per write instead of a hash
// entry of its own, for the per-write maps of a history with a million writes.

export class IndexedMap<V> implements ReadonlyMap<string, V> {
  private count = 0;

  /** `order`: the write indexes to iterate, in that order (default: every index holding a value, ascending). */
  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly ids: readonly string[],
    private readonly values_: ReadonlyArray<V | undefined>,
    private readonly order?: Int32Array,
  ) {
    if (order !== undefined) this.count = order.length;
    else for (const v of values_) if (v !== undefined) this.count++;
  }

  get size(): number {
    return this.count;
  }

  get(id: string): V | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.values_[i];
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** By write index: the value of writeIds[i]. */
  at(i: number): V | undefined {
    return this.values_[i];
  }

  /** Calls fn(value, write index, position) in iteration order, without an entry array per value. */
  forEachIndexed(fn: (value: V, i: number, k: number) => void): void {
    const n = this.order?.length ?? this.values_.length;
    let k = 0;
    for (let j = 0; j < n; j++) {
      const i = this.order === undefined ? j : (this.order[j] ?? -1);
      const v = this.values_[i];
      if (v !== undefined) fn(v, i, k++);
    }
  }

  *entries(): MapIterator<[string, V]> {
    const n = this.order?.length ?? this.values_.length;
    for (let k = 0; k < n; k++) {
      const i = this.order === undefined ? k : (this.order[k] ?? -1);
      const v = this.values_[i];
      if (v !== undefined) yield [this.ids[i] ?? "", v];
    }
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
