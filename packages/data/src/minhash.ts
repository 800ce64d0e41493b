/**
 * MinHash signatures and an LSH index for near-duplicate detection (Broder 1997; bands as in
 * Leskovec, Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3).
 *
 * - Shingles: word n-grams (default 5 words) of the text lowercased, with everything that is
 *   not a letter or digit read as a word break. A text of fewer words is one shingle.
 * - Hash functions: `hashes` (default 112) bijections of the (well mixed) 32-bit shingle
 *   hashes, h_i(x) = s15(a_i * (x xor b_i)) with odd a_i and b_i from a seeded generator and
 *   s15(v) = v xor (v >>> 15).
 * - LSH: `bands` bands (default 14) of `hashes / bands` rows (8); two documents become
 *   candidates when all rows of one band agree. The chance for a pair of Jaccard similarity s
 *   is 1 - (1 - s^rows)^bands: with 14 x 8, 5% at s = 0.5, 56% at 0.7, 92% at 0.8, 99.96% at
 *   0.9 (threshold about (1/bands)^(1/rows) = 0.72). FineWeb uses the same 5-gram, 14 x 8 setup.
 *
 * The index stores 8 bytes per band per kept document in an open-addressing table of typed
 * arrays (about 250 bytes per document with 14 bands at the table's load), not the signatures.
 */
import { mix32 } from './hash.js';

export interface MinHashOptions {
  /** Words per shingle. Default 5. */
  shingleSize?: number;
  /** Number of hash functions (signature length). Default 112. */
  hashes?: number;
  /** LSH bands; must divide `hashes`. Default 14. */
  bands?: number;
  /** Seed of the hash functions. Default 1. */
  seed?: number;
}

const WORD_BREAK = /[^\p{L}\p{N}]+/u;

/** 32-bit hashes of the word shingles of a text. */
export function shingleHashes(text: string, size: number): Uint32Array {
  const words = text
    .toLowerCase()
    .split(WORD_BREAK)
    .filter((w) => w !== '');
  if (words.length === 0) return new Uint32Array(0);
  const wh = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let h = 0x1b873593 ^ w.length;
    for (let k = 0; k < w.length; k++) h = Math.imul(h ^ w.charCodeAt(k), 0x01000193);
    wh[i] = mix32(h);
  }
  const n = Math.min(size, words.length);
  const out = new Uint32Array(words.length - n + 1);
  for (let i = 0; i < out.length; i++) {
    let h = 0x811c9dc5;
    for (let k = 0; k < n; k++) h = Math.imul((h << 7) | (h >>> 25), 0x9e3779b1) ^ wh[i + k];
    out[i] = mix32(h);
  }
  return out;
}

/** splitmix32-style generator for the hash coefficients. */
function coefficients(count: number, seed: number): { a: Uint32Array; b: Uint32Array } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    return mix32(s ^ 0x5bd1e995);
  };
  const a = new Uint32Array(count);
  const b = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    a[i] = next() | 1;
    b[i] = next();
  }
  return { a, b };
}

export class MinHasher {
  readonly shingleSize: number;
  readonly hashes: number;
  readonly bands: number;
  readonly rows: number;
  private readonly a: Uint32Array;
  private readonly b: Uint32Array;

  constructor(options: MinHashOptions = {}) {
    this.shingleSize = options.shingleSize ?? 5;
    this.hashes = options.hashes ?? 112;
    this.bands = options.bands ?? 14;
    if (!Number.isInteger(this.shingleSize) || this.shingleSize < 1) {
      throw new Error(
        `MinHasher: options.shingleSize must be a positive integer, got ${this.shingleSize}`,
      );
    }
    if (!Number.isInteger(this.hashes) || this.hashes < 1) {
      throw new Error(`MinHasher: options.hashes must be a positive integer, got ${this.hashes}`);
    }
    if (!Number.isInteger(this.bands) || this.bands < 1 || this.hashes % this.bands !== 0) {
      throw new Error(
        `MinHasher: options.bands must divide options.hashes (${this.hashes}), got ${this.bands}`,
      );
    }
    this.rows = this.hashes / this.bands;
    const c = coefficients(this.hashes, options.seed ?? 1);
    this.a = c.a;
    this.b = c.b;
  }

  /** The MinHash signature of a text (empty when it has no words). */
  signature(text: string): Uint32Array {
    const sh = shingleHashes(text, this.shingleSize);
    if (sh.length === 0) return new Uint32Array(0);
    const sig = new Uint32Array(this.hashes);
    const { a, b } = this;
    for (let i = 0; i < sig.length; i++) {
      const ai = a[i];
      const bi = b[i];
      let min = 0xffffffff;
      for (let j = 0; j < sh.length; j++) {
        let v = Math.imul(sh[j] ^ bi, ai);
        v = (v ^ (v >>> 15)) >>> 0;
        if (v < min) min = v;
      }
      sig[i] = min;
    }
    return sig;
  }

  /** One 64-bit key per band, as pairs [hi0, lo0, hi1, lo1, ...]. */
  bandKeys(sig: Uint32Array): Uint32Array {
    const keys = new Uint32Array(this.bands * 2);
    for (let band = 0; band < this.bands; band++) {
      let h1 = 0x9e3779b9 ^ band;
      let h2 = 0x7f4a7c15 ^ Math.imul(band, 0x85ebca6b);
      for (let r = 0; r < this.rows; r++) {
        const v = sig[band * this.rows + r];
        h1 = Math.imul(h1 ^ v, 0x01000193);
        h2 = Math.imul((h2 << 13) | (h2 >>> 19), 5) + 0xe6546b64 + v;
      }
      keys[band * 2] = mix32(h1 ^ band);
      keys[band * 2 + 1] = mix32(h2 ^ (h1 >>> 7));
    }
    return keys;
  }

  /** Estimated Jaccard similarity: the share of signature positions that agree. */
  static similarity(x: Uint32Array, y: Uint32Array): number {
    if (x.length !== y.length || x.length === 0) return 0;
    let same = 0;
    for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
    return same / x.length;
  }
}

/**
 * A set of 64-bit keys (pairs of uint32) with a uint32 value each, open addressing with
 * linear probing over typed arrays; 12 bytes a slot, grown at 2/3 load.
 */
export class Key64Map {
  private keys: Uint32Array;
  private values: Uint32Array;
  private used: Uint8Array;
  private count = 0;

  constructor(capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity) cap <<= 1;
    this.keys = new Uint32Array(cap * 2);
    this.values = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.keys.byteLength + this.values.byteLength + this.used.byteLength;
  }

  private slot(hi: number, lo: number): number {
    const mask = this.used.length - 1;
    let i = mix32(hi ^ Math.imul(lo, 0x9e3779b1)) & mask;
    while (this.used[i] === 1 && (this.keys[i * 2] !== hi || this.keys[i * 2 + 1] !== lo)) {
      i = (i + 1) & mask;
    }
    return i;
  }

  get(hi: number, lo: number): number | undefined {
    const i = this.slot(hi >>> 0, lo >>> 0);
    return this.used[i] === 1 ? this.values[i] : undefined;
  }

  has(hi: number, lo: number): boolean {
    return this.used[this.slot(hi >>> 0, lo >>> 0)] === 1;
  }

  /** Sets the value of a key (keeps the first value when `keepFirst`). */
  set(hi: number, lo: number, value = 0, keepFirst = true): void {
    hi >>>= 0;
    lo >>>= 0;
    if ((this.count + 1) * 3 > this.used.length * 2) this.grow();
    const i = this.slot(hi, lo);
    if (this.used[i] === 1) {
      if (!keepFirst) this.values[i] = value;
      return;
    }
    this.used[i] = 1;
    this.keys[i * 2] = hi;
    this.keys[i * 2 + 1] = lo;
    this.values[i] = value;
    this.count++;
  }

  private grow(): void {
    const { keys, values, used } = this;
    const cap = used.length * 2;
    this.keys = new Uint32Array(cap * 2);
    this.values = new Uint32Array(cap);
    this.used = new Uint8Array(cap);
    for (let i = 0; i < used.length; i++) {
      if (used[i] !== 1) continue;
      const j = this.slot(keys[i * 2], keys[i * 2 + 1]);
      this.used[j] = 1;
      this.keys[j * 2] = keys[i * 2];
      this.keys[j * 2 + 1] = keys[i * 2 + 1];
      this.values[j] = values[i];
    }
  }
}

/**
 * An LSH index of MinHash signatures: `query` says whether a text is a near duplicate of one
 * added before (and of which, by insertion number), `add` remembers it.
 */
export class MinHashIndex {
  readonly hasher: MinHasher;
  private readonly table = new Key64Map();
  private n = 0;

  constructor(options: MinHashOptions = {}) {
    this.hasher = new MinHasher(options);
  }

  /** Number of documents added. */
  get size(): number {
    return this.n;
  }

  /** Bytes held by the index. */
  get byteLength(): number {
    return this.table.byteLength;
  }

  /** The insertion number of an earlier document sharing a band with `sig`, or -1. */
  match(sig: Uint32Array): number {
    if (sig.length === 0) return -1;
    const keys = this.hasher.bandKeys(sig);
    for (let k = 0; k < keys.length; k += 2) {
      const v = this.table.get(keys[k], keys[k + 1]);
      if (v !== undefined) return v;
    }
    return -1;
  }

  /** Adds a signature; returns its insertion number. */
  add(sig: Uint32Array): number {
    const id = this.n++;
    if (sig.length === 0) return id;
    const keys = this.hasher.bandKeys(sig);
    for (let k = 0; k < keys.length; k += 2) this.table.set(keys[k], keys[k + 1], id);
    return id;
  }

  /** Adds the text unless it is a near duplicate; returns the earlier document's number or -1. */
  check(text: string): number {
    const sig = this.hasher.signature(text);
    const m = this.match(sig);
    if (m < 0) this.add(sig);
    return m;
  }
}
