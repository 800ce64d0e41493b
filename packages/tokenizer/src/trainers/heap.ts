/**
 * Max-heap of merge candidates for the BPE trainer, stored in typed arrays. An entry is
 * `(count, tie, pair)`: larger count first, then smaller `tie` (the trainer passes
 * `left id * 2^26 + right id`, so equal counts pop in ascending pair order, as in Hugging Face's
 * trainer). Entries are not updated in place: the trainer checks a popped count against the
 * current one and pushes it again when stale (lazy invalidation).
 */
export class MergeHeap {
  private count: Float64Array;
  private tie: Float64Array;
  private pair: Int32Array;
  size = 0;

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.count = new Float64Array(n);
    this.tie = new Float64Array(n);
    this.pair = new Int32Array(n);
  }

  /** Count of the top entry (undefined behaviour when empty: check `size`). */
  get topCount(): number {
    return this.count[0];
  }

  get topPair(): number {
    return this.pair[0];
  }

  /** Appends without restoring the heap order; call `heapify()` after a batch of these. */
  append(count: number, tie: number, pair: number): void {
    if (this.size === this.count.length) this.grow();
    const i = this.size++;
    this.count[i] = count;
    this.tie[i] = tie;
    this.pair[i] = pair;
  }

  /** Restores heap order over everything appended (O(n)). */
  heapify(): void {
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  push(count: number, tie: number, pair: number): void {
    this.append(count, tie, pair);
    this.siftUp(this.size - 1);
  }

  /** Removes the top entry (read it first with `topCount` / `topPair`). */
  pop(): void {
    const last = --this.size;
    if (last > 0) {
      this.count[0] = this.count[last];
      this.tie[0] = this.tie[last];
      this.pair[0] = this.pair[last];
      this.siftDown(0);
    }
  }

  /** Replaces the top entry's count and restores order (cheaper than pop + push). */
  replaceTopCount(count: number): void {
    this.count[0] = count;
    this.siftDown(0);
  }

  /** True when entry i should be above entry j. */
  private above(ci: number, ti: number, cj: number, tj: number): boolean {
    return ci > cj || (ci === cj && ti < tj);
  }

  private siftUp(i: number): void {
    const { count, tie, pair } = this;
    const c = count[i];
    const t = tie[i];
    const p = pair[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(c, t, count[parent], tie[parent])) break;
      count[i] = count[parent];
      tie[i] = tie[parent];
      pair[i] = pair[parent];
      i = parent;
    }
    count[i] = c;
    tie[i] = t;
    pair[i] = p;
  }

  private siftDown(i: number): void {
    const { count, tie, pair, size } = this;
    const c = count[i];
    const t = tie[i];
    const p = pair[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && this.above(count[right], tie[right], count[child], tie[child])) {
        child = right;
      }
      if (!this.above(count[child], tie[child], c, t)) break;
      count[i] = count[child];
      tie[i] = tie[child];
      pair[i] = pair[child];
      i = child;
    }
    count[i] = c;
    tie[i] = t;
    pair[i] = p;
  }

  private grow(): void {
    const n = this.count.length * 2;
    const count = new Float64Array(n);
    count.set(this.count);
    const tie = new Float64Array(n);
    tie.set(this.tie);
    const pair = new Int32Array(n);
    pair.set(this.pair);
    this.count = count;
    this.tie = tie;
    this.pair = pair;
  }
}
