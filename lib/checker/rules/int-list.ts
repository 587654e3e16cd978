// A growable list of 32-bit integers in one typed array: how the checker keeps
// each branch's apply order (indexes into the write table) without an object
// or a boxed number per applied write, so millions of them fit in megabytes.

export class IntList {
  private data: Int32Array;
  private size = 0;

  constructor(capacity = 16) {
    this.data = new Int32Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  at(i: number): number {
    return this.data[i] ?? -1;
  }

  /** Drops the spare capacity (call when no more will be pushed). */
  trimmed(): this {
    if (this.data.length > this.size) this.data = this.data.slice(0, Math.max(1, this.size));
    return this;
  }

  /** The values, as a view (valid until the next push). */
  view(): Int32Array {
    return this.data.subarray(0, this.size);
  }
}
