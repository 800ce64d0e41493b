/**
 * Decontamination against evaluation texts by word n-gram overlap: a document sharing at
 * least `minMatches` word n-grams (default 13-grams, as GPT-3's contamination analysis,
 * Brown et al. 2020, appendix C) with any evaluation text is removed. Words are the
 * lowercased runs of letters and digits. An evaluation text shorter than n words contributes
 * itself as one n-gram (matched when a document contains its words in a row).
 */
import { hash64, mix32 } from '../hash.js';
import { Key64Map } from '../minhash.js';
import { documentStage, type Stage } from '../pipeline.js';

export interface DecontaminateOptions {
  /** The evaluation texts (benchmark questions, answers, references). */
  evalTexts: Iterable<string>;
  /** Words per n-gram. Default 13. */
  n?: number;
  /** Shared n-grams needed to remove a document. Default 1. */
  minMatches?: number;
  /** Name of the evaluation set(s), recorded in the ledger. */
  evalName?: string;
}

const WORD = /[\p{L}\p{N}]+/gu;

/** Two 32-bit hashes per word of the text. */
function wordHashes(text: string): Uint32Array {
  const w = text.toLowerCase().match(WORD) ?? [];
  const out = new Uint32Array(w.length * 2);
  for (let i = 0; i < w.length; i++) {
    const [hi, lo] = hash64(w[i]);
    out[i * 2] = hi;
    out[i * 2 + 1] = lo;
  }
  return out;
}

/** Calls `fn(hi, lo)` with the 64-bit key of every run of `len` words. */
function forEachNgram(wh: Uint32Array, len: number, fn: (hi: number, lo: number) => boolean): void {
  const count = wh.length / 2;
  for (let i = 0; i + len <= count; i++) {
    let a = 0x243f6a88 ^ len;
    let b = 0x85a308d3;
    for (let k = i; k < i + len; k++) {
      a = Math.imul(a ^ wh[k * 2], 0x01000193);
      b = Math.imul((b << 11) | (b >>> 21), 0x9e3779b1) ^ wh[k * 2 + 1];
    }
    if (fn(mix32(a ^ (b >>> 3)), mix32(b ^ a)) === true) return;
  }
}

/** An index of the word n-grams of evaluation texts. */
export class NgramIndex {
  readonly n: number;
  private readonly table = new Key64Map();
  /** Lengths (in words) of the short texts that are one n-gram each. */
  private readonly shortLengths = new Set<number>();

  constructor(texts: Iterable<string>, n = 13) {
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`NgramIndex: n must be a positive integer, got ${n}`);
    }
    this.n = n;
    for (const t of texts) {
      const wh = wordHashes(t);
      const count = wh.length / 2;
      if (count === 0) continue;
      if (count < n) this.shortLengths.add(count);
      forEachNgram(wh, Math.min(n, count), (hi, lo) => {
        this.table.set(hi, lo);
        return false;
      });
    }
  }

  /** Number of distinct n-grams indexed. */
  get size(): number {
    return this.table.size;
  }

  /** Number of n-grams of `text` found in the index (stops counting at `limit`). */
  matches(text: string, limit = Number.POSITIVE_INFINITY): number {
    const wh = wordHashes(text);
    let found = 0;
    for (const len of [this.n, ...this.shortLengths]) {
      forEachNgram(wh, len, (hi, lo) => this.table.has(hi, lo) && ++found >= limit);
      if (found >= limit) break;
    }
    return found;
  }
}

/** Decontamination stage (ledger name 'decontaminate', reason 'eval-overlap'). */
export function decontaminate(options: DecontaminateOptions): Stage {
  if (!options || options.evalTexts == null) {
    throw new Error('decontaminate: options.evalTexts (an iterable of strings) is required');
  }
  const n = options.n ?? 13;
  const minMatches = options.minMatches ?? 1;
  const index = new NgramIndex(options.evalTexts, n);
  return documentStage(
    'decontaminate',
    { n, minMatches, evalName: options.evalName ?? null, evalNgrams: index.size },
    () => (doc, o) => {
      const m = index.matches(doc.text, minMatches);
      if (m >= minMatches) {
        doc.meta.evalOverlap = m;
        return o.remove('eval-overlap');
      }
      return doc;
    },
  );
}
