/**
 * An open-addressing hash map from a pair of non-negative int32 ids to an int32 value: the
 * BPE merge table, keyed by (left id, right id), without string keys or boxed numbers.
 */
export class PairMap {
  private left: Int32Array;
  private right: Int32Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.left = new Int32Array(cap);
    this.right = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d);
  }

  /** The value for (a, b), or -1. */
  get(a: number, b: number): number {
    const mask = this.mask;
    let h = PairMap.hash(a, b) & mask;
    for (;;) {
      const v = this.values[h];
      if (v === -1) return -1;
      if (this.left[h] === a && this.right[h] === b) return v;
      h = (h + 1) & mask;
    }
  }

  /** Sets (a, b) to `value` (>= 0), replacing an earlier value. */
  set(a: number, b: number, value: number): void {
    if ((this.count + 1) * 2 > this.values.length) this.grow();
    const mask = this.mask;
    let h = PairMap.hash(a, b) & mask;
    for (;;) {
      const v = this.values[h];
      if (v === -1) {
        this.left[h] = a;
        this.right[h] = b;
        this.values[h] = value;
        this.count++;
        return;
      }
      if (this.left[h] === a && this.right[h] === b) {
        this.values[h] = value;
        return;
      }
      h = (h + 1) & mask;
    }
  }

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const { left, right, values } = this;
    const cap = values.length * 2;
    this.left = new Int32Array(cap);
    this.right = new Int32Array(cap);
    this.values = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < values.length; i++)
      if (values[i] !== -1) this.set(left[i], right[i], values[i]);
  }
}
