/**
 * Pair statistics for the BPE trainer: every adjacent symbol pair `(left, right)` seen so far gets
 * a dense pair id (open-addressing hash on the two symbol ids), a weighted count, and a posting
 * list of the words it occurred in. Posting lists only grow (a word stays listed after the pair
 * left it); the trainer skips such stale entries and duplicates when it merges.
 */

export class PairTable {
  /** Left and right symbol id per pair id. */
  left: Int32Array;
  right: Int32Array;
  /** Weighted occurrence count per pair id (integers in the trainer's count unit). */
  count: Float64Array;
  /** Head node of the pair's posting list, or -1. */
  head: Int32Array;
  /** Last word appended to the pair's posting list (avoids consecutive duplicates). */
  lastWord: Int32Array;
  /** Scratch stamp per pair for the trainer (which merge step last touched the pair). */
  mark: Int32Array;
  size = 0;

  /**
   * Posting lists in two parts. The words a pair occurs in when counting starts are stored
   * contiguously (ascending word order, cache-friendly): `firstWords[firstStart[p] ..
   * firstEnd[p])`. Words gained later are linked nodes from `head[p]`.
   */
  firstStart: Int32Array;
  firstEnd: Int32Array;
  firstWords = new Int32Array(0);

  /** Linked posting-list nodes: word index and next node (-1 ends the list). */
  nodeWord: Int32Array;
  nodeNext: Int32Array;
  nodes = 0;

  /** Hash index, one 16-byte slot per entry (one cache line holds it): see allocSlots. */
  private slots!: Int32Array;
  private mask = 0;

  constructor(pairCapacity = 1 << 16, nodeCapacity = 1 << 16) {
    const n = Math.max(16, pairCapacity);
    this.left = new Int32Array(n);
    this.right = new Int32Array(n);
    this.count = new Float64Array(n);
    this.head = new Int32Array(n);
    this.lastWord = new Int32Array(n);
    this.mark = new Int32Array(n);
    this.firstStart = new Int32Array(n);
    this.firstEnd = new Int32Array(n);
    let slots = 16;
    while (slots < 2 * n) slots *= 2;
    this.allocSlots(slots);
    this.nodeWord = new Int32Array(Math.max(16, nodeCapacity));
    this.nodeNext = new Int32Array(Math.max(16, nodeCapacity));
  }

  private slotOf(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    return h & this.mask;
  }

  /** Pair id of (a, b), or -1 when the pair was never seen. */
  find(a: number, b: number): number {
    const { slots, mask } = this;
    let s = this.slotOf(a, b);
    for (;;) {
      const id1 = slots[4 * s + 2];
      if (id1 === 0 || (slots[4 * s] === a && slots[4 * s + 1] === b)) return id1 - 1;
      s = (s + 1) & mask;
    }
  }

  /** Pair id of (a, b), created with count 0 and an empty posting list when new. */
  intern(a: number, b: number): number {
    const { slots, mask } = this;
    let s = this.slotOf(a, b);
    for (;;) {
      const id1 = slots[4 * s + 2];
      if (id1 === 0) break;
      if (slots[4 * s] === a && slots[4 * s + 1] === b) return id1 - 1;
      s = (s + 1) & mask;
    }
    if (this.size === this.left.length) this.growPairs();
    const id = this.size++;
    this.left[id] = a;
    this.right[id] = b;
    this.count[id] = 0;
    this.head[id] = -1;
    this.lastWord[id] = -1;
    this.mark[id] = 0;
    this.firstStart[id] = 0;
    this.firstEnd[id] = 0;
    slots[4 * s] = a;
    slots[4 * s + 1] = b;
    slots[4 * s + 2] = id + 1;
    if (2 * this.size > this.mask) this.rehash();
    return id;
  }

  /** Records that `word` contains pair `id` (skipped when it was the last word recorded). */
  addWord(id: number, word: number): void {
    if (this.lastWord[id] === word) return;
    this.lastWord[id] = word;
    if (this.nodes === this.nodeWord.length) this.growNodes();
    const n = this.nodes++;
    this.nodeWord[n] = word;
    this.nodeNext[n] = this.head[id];
    this.head[id] = n;
  }

  private growPairs(): void {
    const n = this.left.length * 2;
    this.left = grow32(this.left, n);
    this.right = grow32(this.right, n);
    this.head = grow32(this.head, n);
    this.lastWord = grow32(this.lastWord, n);
    this.mark = grow32(this.mark, n);
    this.firstStart = grow32(this.firstStart, n);
    this.firstEnd = grow32(this.firstEnd, n);
    const count = new Float64Array(n);
    count.set(this.count);
    this.count = count;
  }

  private growNodes(): void {
    const n = this.nodeWord.length * 2;
    this.nodeWord = grow32(this.nodeWord, n);
    this.nodeNext = grow32(this.nodeNext, n);
  }

  private rehash(): void {
    this.allocSlots(2 * (this.mask + 1));
    const { slots, left, right, mask } = this;
    for (let id = 0; id < this.size; id++) {
      const a = left[id];
      const b = right[id];
      let s = this.slotOf(a, b);
      while (slots[4 * s + 2] !== 0) s = (s + 1) & mask;
      slots[4 * s] = a;
      slots[4 * s + 1] = b;
      slots[4 * s + 2] = id + 1;
    }
  }

  /** `n` empty hash slots (a power of two), 4 ints each: left, right, pair id + 1 (0: empty), unused. */
  private allocSlots(n: number): void {
    this.slots = new Int32Array(4 * n);
    this.mask = n - 1;
  }
}

function grow32(a: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n);
  out.set(a);
  return out;
}
