/**
 * An open-addressing hash map from a pair of non-negative int32 ids to an int32 value: the
 * BPE merge table, keyed by (left id, right id), without string keys or boxed numbers.
 * Each slot is four int32 (left, right, value, unused) in one array, so a probe touches one
 * cache line: the table of a 128k vocabulary is megabytes, and lookups land at random.
 */
export class PairMap {
  /** slot i: [4i] left, [4i + 1] right, [4i + 2] value (-1: empty) */
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.slots = PairMap.empty(cap);
    this.mask = cap - 1;
  }

  private static empty(cap: number): Int32Array {
    const slots = new Int32Array(cap * 4);
    for (let i = 2; i < slots.length; i += 4) slots[i] = -1;
    return slots;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d);
  }

  /** The value for (a, b), or -1. */
  get(a: number, b: number): number {
    const { slots, mask } = this;
    let h = PairMap.hash(a, b) & mask;
    for (;;) {
      const at = h << 2;
      const v = slots[at + 2];
      if (v === -1) return -1;
      if (slots[at] === a && slots[at + 1] === b) return v;
      h = (h + 1) & mask;
    }
  }

  /** Sets (a, b) to `value` (>= 0), replacing an earlier value. */
  set(a: number, b: number, value: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const { slots, mask } = this;
    let h = PairMap.hash(a, b) & mask;
    for (;;) {
      const at = h << 2;
      if (slots[at + 2] === -1) {
        slots[at] = a;
        slots[at + 1] = b;
        slots[at + 2] = value;
        this.count++;
        return;
      }
      if (slots[at] === a && slots[at + 1] === b) {
        slots[at + 2] = value;
        return;
      }
      h = (h + 1) & mask;
    }
  }

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.slots = PairMap.empty(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 4)
      if (old[i + 2] !== -1) this.set(old[i], old[i + 1], old[i + 2]);
  }
}
