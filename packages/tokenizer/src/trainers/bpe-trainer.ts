/**
 * Byte-level BPE training that writes a Hugging Face `tokenizer.json`.
 *
 * Algorithm (the usual efficient one, as in Hugging Face's BpeTrainer):
 * 1. Count: split every text with the pre-tokenizer regex and count the distinct pieces
 *    ("words"), each occurrence weighted by its document's language weight.
 * 2. Each distinct word becomes a run of byte symbol ids (Int32Array), and every adjacent pair of
 *    symbols is counted (weighted by the word's count) in a hash table of pairs, together with a
 *    posting list of the words that contain it.
 * 3. A max-heap holds (count, pair). Merge step: pop the top; if its count is stale (the pair's
 *    count changed since it was pushed) push it back with the current count; otherwise add the
 *    merged token, rewrite only the words on the pair's posting list, and apply the count changes
 *    of the neighbouring pairs incrementally; pairs that gained occurrences are pushed.
 *
 * Determinism and Hugging Face parity: vocabulary ids are special tokens first (0..n-1, as
 * Hugging Face's trainer does), then the 256 byte symbols in code-point order (GPT-2's order), then
 * one id per merge. Equal counts are broken by the smaller pair of ids (left, then right), which is
 * the order of Hugging Face's `Merge`; with the same words, weights 1 and `minFrequency` 0 the
 * merges are those of `tokenizers`' BpeTrainer.
 *
 * Memory is bounded by the distinct pre-tokens, not by the corpus. With D distinct words of
 * B UTF-8 bytes in all (B - D adjacent pairs at the start, at most B - D merge applications in
 * total, each adding at most 2 pair occurrences): symbols 4B bytes; word table 20D; pairs
 * P <= 3B (in practice ~B/5) at ~100 bytes each with the hash slots and heap; posting lists
 * 4(B - D) contiguous + at most 8 * 2(B - D) linked. So O(B + D): in practice about 45 bytes per
 * distinct-word byte (the 5.4 MB eu24 corpus: D = 168k words, B = 1.6 MB, P = 315k, 74 MB of
 * typed arrays at vocabulary 30000). Counting holds one `Map<string, number>` entry per distinct
 * pre-token; the texts themselves are not kept.
 *
 * Differences from Hugging Face's trainer: the alphabet is always the 256 bytes (theirs: the
 * bytes seen), so at the same vocabulary size it may learn a few merges fewer, the same ones;
 * when a merge yields a string that is already a token (two pairs, one string), Hugging Face
 * merges only in the words its heap entry lists, we merge in every word holding the pair (rare);
 * `maxTokenLength` allows tokens of exactly that length (theirs stops one byte short for pairs
 * formed during training); non-integer language weights give fixed-point counts (1/65536).
 */

import { BYTE_TO_CHAR } from '../unicode.js';
import { MergeHeap } from './heap.js';
import { PairTable } from './pair-table.js';
import {
  type BpePreTokenizer,
  BYTE_ALPHABET,
  SPLIT_PATTERNS,
  splitIsolated,
  splitRegExp,
  utf8Length,
  writeUtf8Mapped,
} from './pretokenize.js';

/** A training text: plain, or with its language (for `languageWeights`). */
export type TrainingText = string | { text: string; lang?: string };

export interface TrainBpeProgress {
  phase: 'count' | 'merge';
  /** Documents counted, or merges learned. */
  done: number;
  /** Number of documents when known (arrays), or the number of merges asked for. */
  total?: number;
}

export interface TrainBpeOptions {
  /** Final vocabulary size, special tokens and the 256 byte symbols included. */
  vocabSize: number;
  /** A pair is merged only if its (weighted) count is at least this. Default 2. */
  minFrequency?: number;
  /** Added as special tokens with ids 0..n-1, in this order. Default none. */
  specialTokens?: string[];
  /**
   * Per-language sampling weight: every word of a document with `lang` counts `weight` times
   * (`languageWeights[lang] ?? 1`; 0 drops the language).
   */
  languageWeights?: Record<string, number>;
  /** Longest token, in bytes; pairs that would make a longer one are never merged. */
  maxTokenLength?: number;
  /** Called every few hundred documents while counting and every 1024 merges. */
  onProgress?: (p: TrainBpeProgress) => void;
  /** Split regex in front of the byte-level BPE. Default 'llama3'. */
  preTokenizer?: BpePreTokenizer;
}

/** The `tokenizer.json` written by `trainBpe` (plain JSON, Hugging Face's schema). */
export interface TrainedTokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: {
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }[];
  normalizer: null;
  pre_tokenizer: {
    type: 'Sequence';
    pretokenizers: [
      { type: 'Split'; pattern: { Regex: string }; behavior: 'Isolated'; invert: false },
      { type: 'ByteLevel'; add_prefix_space: false; trim_offsets: boolean; use_regex: false },
    ];
  };
  post_processor: {
    type: 'ByteLevel';
    add_prefix_space: boolean;
    trim_offsets: boolean;
    use_regex: boolean;
  };
  decoder: {
    type: 'ByteLevel';
    add_prefix_space: boolean;
    trim_offsets: boolean;
    use_regex: boolean;
  };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: false;
    byte_fallback: false;
    ignore_merges: false;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

interface Settings {
  vocabSize: number;
  minFrequency: number;
  specialTokens: string[];
  languageWeights: Record<string, number> | undefined;
  maxTokenLength: number;
  onProgress: ((p: TrainBpeProgress) => void) | undefined;
  preTokenizer: BpePreTokenizer;
}

/**
 * Trains a byte-level BPE tokenizer on `texts` (an array, any iterable, or an async iterable of
 * strings or `{ text, lang }`) and returns its `tokenizer.json` object, which loads in
 * `Tokenizer.fromJSON` and in Hugging Face tokenizers. Special tokens in the texts are trained
 * on as ordinary text, as Hugging Face's trainer does.
 */
export async function trainBpe(
  texts: Iterable<TrainingText> | AsyncIterable<TrainingText>,
  options: TrainBpeOptions,
): Promise<TrainedTokenizerJson> {
  const s = checkOptions(options);
  const counter = new WordCounter(s);
  if (typeof texts === 'string') {
    throw new TypeError(
      'trainBpe: texts must be an iterable of texts, not a single string (wrap it: [text])',
    );
  }
  if (
    texts != null &&
    typeof (texts as AsyncIterable<TrainingText>)[Symbol.asyncIterator] === 'function'
  ) {
    for await (const t of texts as AsyncIterable<TrainingText>) counter.add(t);
  } else if (
    texts != null &&
    typeof (texts as Iterable<TrainingText>)[Symbol.iterator] === 'function'
  ) {
    const total = Array.isArray(texts) ? texts.length : undefined;
    counter.total = total;
    for (const t of texts as Iterable<TrainingText>) counter.add(t);
  } else {
    throw new TypeError(
      `trainBpe: texts must be an iterable or async iterable of strings or { text, lang }, received ${describe(texts)}`,
    );
  }
  counter.finish();
  return bpeFromWordCounts(counter.words, { ...options, ...s, countScale: counter.scale });
}

/**
 * The merge phase alone: trains from already counted words (pre-tokens as they come out of the
 * split regex, not byte-mapped) with their counts. Counts are rounded to integers (exact sums);
 * `countScale` > 1 means they are fixed-point, count / countScale being the weighted frequency
 * that `minFrequency` is compared with.
 */
export function bpeFromWordCounts(
  wordCounts: ReadonlyMap<string, number>,
  options: TrainBpeOptions & { countScale?: number },
): TrainedTokenizerJson {
  const s = checkOptions(options);
  const scale = options.countScale ?? 1;
  if (!(scale >= 1) || !Number.isFinite(scale)) {
    throw new RangeError(
      `bpeFromWordCounts: options.countScale must be a number >= 1, received ${describe(scale)}`,
    );
  }
  if (!(wordCounts instanceof Map)) {
    throw new TypeError(
      `bpeFromWordCounts: wordCounts must be a Map of word -> count, received ${describe(wordCounts)}`,
    );
  }
  const learner = new BpeLearner(s, scale);
  learner.loadWords(wordCounts);
  learner.learn();
  return learner.toJSON();
}

// ---------------------------------------------------------------------------------------------
// Counting

/** Fixed-point unit for weighted counts: exact integer sums in a double up to 2^37 units. */
const WEIGHTED_SCALE = 65536;

class WordCounter {
  words = new Map<string, number>();
  docs = 0;
  total: number | undefined;
  /** 1 when every weight is an integer (plain counts, as Hugging Face), else WEIGHTED_SCALE. */
  readonly scale: number;
  private readonly re: RegExp;

  constructor(private readonly s: Settings) {
    this.re = splitRegExp(s.preTokenizer);
    const w = s.languageWeights ? Object.values(s.languageWeights) : [];
    this.scale = w.every((x) => Number.isInteger(x)) ? 1 : WEIGHTED_SCALE;
  }

  add(t: TrainingText): void {
    let text: string;
    let weight = 1;
    if (typeof t === 'string') text = t;
    else if (t !== null && typeof t === 'object' && typeof t.text === 'string') {
      text = t.text;
      const lw = this.s.languageWeights;
      if (t.lang !== undefined && lw && Object.hasOwn(lw, t.lang)) weight = lw[t.lang];
    } else {
      throw new TypeError(
        `trainBpe: each text must be a string or { text: string, lang?: string }; text #${this.docs} is ${describe(t)}`,
      );
    }
    this.docs++;
    if (weight > 0 && text.length > 0) {
      const pieces = splitIsolated(text, this.re);
      const words = this.words;
      for (let i = 0; i < pieces.length; i++) {
        const p = pieces[i];
        words.set(p, (words.get(p) ?? 0) + weight);
      }
    }
    if ((this.docs & 255) === 0)
      this.s.onProgress?.({ phase: 'count', done: this.docs, total: this.total });
  }

  /** Converts weighted counts to integers in units of 1/scale (drops words that round to 0). */
  finish(): void {
    if (this.scale !== 1) {
      for (const [w, c] of this.words) {
        const q = Math.round(c * this.scale);
        if (q > 0) this.words.set(w, q);
        else this.words.delete(w);
      }
    }
    this.s.onProgress?.({ phase: 'count', done: this.docs, total: this.total ?? this.docs });
  }
}

// ---------------------------------------------------------------------------------------------
// Merging

/** Tie key of a pair: smaller is merged first among equal counts (ids below 2^26). */
const TIE_SHIFT = 67108864;

class BpeLearner {
  /** Token strings (byte-level characters) by id, and the reverse map. */
  readonly vocab: string[] = [];
  private readonly ids = new Map<string, number>();
  /** Length of each token in bytes. */
  private tokenBytes: Int32Array;
  /** Byte value -> symbol id. */
  private readonly byteId = new Int32Array(256);

  // Words (only those of two or more symbols take part): symbols[start .. start + length).
  private symbols = new Int32Array(0);
  private start = new Int32Array(0);
  private length = new Int32Array(0);
  private weight = new Float64Array(0);
  private stamp = new Int32Array(0);

  private pairs = new PairTable(16, 16);
  private heap = new MergeHeap(16);
  private readonly touched: number[] = [];
  private step = 0;

  readonly mergeLeft: number[] = [];
  readonly mergeRight: number[] = [];

  constructor(
    private readonly s: Settings,
    private readonly scale: number,
  ) {
    this.tokenBytes = new Int32Array(Math.max(s.vocabSize, s.specialTokens.length + 256));
    for (const t of s.specialTokens) this.addToken(t, t.length);
    for (const c of BYTE_ALPHABET) if (!this.ids.has(c)) this.addToken(c, 1);
    for (let b = 0; b < 256; b++) this.byteId[b] = this.ids.get(BYTE_TO_CHAR[b])!;
  }

  private addToken(token: string, bytes: number): number {
    const id = this.vocab.length;
    this.vocab.push(token);
    this.ids.set(token, id);
    this.tokenBytes[id] = bytes;
    return id;
  }

  private allowed(a: number, b: number): boolean {
    return this.tokenBytes[a] + this.tokenBytes[b] <= this.s.maxTokenLength;
  }

  loadWords(wordCounts: ReadonlyMap<string, number>): void {
    let n = 0;
    let bytes = 0;
    for (const [w, c] of wordCounts) {
      if (!(Math.round(c) > 0)) continue;
      const len = utf8Length(w);
      if (len < 2) continue; // a single byte never merges
      n++;
      bytes += len;
    }
    this.symbols = new Int32Array(bytes);
    this.start = new Int32Array(n);
    this.length = new Int32Array(n);
    this.weight = new Float64Array(n);
    this.stamp = new Int32Array(n);
    let at = 0;
    let i = 0;
    for (const [w, c] of wordCounts) {
      if (!(Math.round(c) > 0)) continue;
      const len = utf8Length(w);
      if (len < 2) continue;
      this.start[i] = at;
      at = writeUtf8Mapped(w, this.byteId, this.symbols, at);
      this.length[i] = len;
      this.weight[i] = Math.round(c);
      i++;
    }

    // Sized from what a 30k-vocabulary run on multilingual text ends with (pairs ~ bytes / 5,
    // linked posting nodes ~ 1.05 * bytes), so the tables rarely grow.
    this.pairs = new PairTable(bytes >> 2, bytes + (bytes >> 2) + 1024);
    const { pairs, symbols } = this;
    // Pass 1: intern and count the pairs, remember each position's pair, and count the distinct
    // words per pair (in firstEnd) to lay out the initial posting lists contiguously.
    const pairAt = new Int32Array(bytes);
    for (let w = 0; w < n; w++) {
      const c = this.weight[w];
      const e = this.start[w] + this.length[w] - 1;
      for (let k = this.start[w]; k < e; k++) {
        const a = symbols[k];
        const b = symbols[k + 1];
        if (!this.allowed(a, b)) {
          pairAt[k] = -1;
          continue;
        }
        const id = pairs.intern(a, b);
        pairs.count[id] += c;
        pairAt[k] = id;
        if (pairs.lastWord[id] !== w) {
          pairs.lastWord[id] = w;
          pairs.firstEnd[id]++;
        }
      }
    }
    let total = 0;
    for (let id = 0; id < pairs.size; id++) {
      const len = pairs.firstEnd[id];
      pairs.firstStart[id] = total;
      pairs.firstEnd[id] = total;
      pairs.lastWord[id] = -1;
      total += len;
    }
    // Pass 2: fill the posting lists, each in ascending word order.
    const firstWords = new Int32Array(total);
    for (let w = 0; w < n; w++) {
      const e = this.start[w] + this.length[w] - 1;
      for (let k = this.start[w]; k < e; k++) {
        const id = pairAt[k];
        if (id < 0 || pairs.lastWord[id] === w) continue;
        pairs.lastWord[id] = w;
        firstWords[pairs.firstEnd[id]++] = w;
      }
    }
    pairs.firstWords = firstWords;

    this.heap = new MergeHeap(pairs.size + (pairs.size >> 1));
    for (let id = 0; id < pairs.size; id++) {
      const c = pairs.count[id];
      if (c > 0) this.heap.append(c, pairs.left[id] * TIE_SHIFT + pairs.right[id], id);
    }
    this.heap.heapify();
  }

  learn(): void {
    const { heap, pairs, s } = this;
    // Stop below minFrequency, and in any case at count 0 (in count units: 1 unit = 1/scale).
    const threshold = Math.max(1, s.minFrequency * this.scale);
    const totalMerges = s.vocabSize - this.vocab.length;
    while (this.vocab.length < s.vocabSize && heap.size > 0) {
      const p = heap.topPair;
      const current = pairs.count[p];
      if (heap.topCount !== current) {
        // Stale entry: the pair lost occurrences since it was pushed.
        if (current > 0) heap.replaceTopCount(current);
        else heap.pop();
        continue;
      }
      if (current < threshold) break;
      heap.pop();
      this.merge(p);
      if ((this.mergeLeft.length & 1023) === 0) {
        s.onProgress?.({ phase: 'merge', done: this.mergeLeft.length, total: totalMerges });
      }
    }
    s.onProgress?.({ phase: 'merge', done: this.mergeLeft.length, total: totalMerges });
  }

  /** Adds the token for pair `p` and rewrites every word that contains the pair. */
  private merge(p: number): void {
    const { pairs } = this;
    const a = pairs.left[p];
    const b = pairs.right[p];
    const token = this.vocab[a] + this.vocab[b];
    // The same string can come from two different pairs; like Hugging Face, reuse its id.
    const id = this.ids.get(token) ?? this.addToken(token, this.tokenBytes[a] + this.tokenBytes[b]);
    this.mergeLeft.push(a);
    this.mergeRight.push(b);

    const step = ++this.step;
    const { stamp } = this;
    const first = pairs.firstWords;
    for (let k = pairs.firstStart[p], end = pairs.firstEnd[p]; k < end; k++) {
      const w = first[k];
      stamp[w] = step;
      this.mergeWord(w, a, b, id);
    }
    for (let node = pairs.head[p]; node !== -1; node = pairs.nodeNext[node]) {
      const w = pairs.nodeWord[node];
      if (stamp[w] === step) continue;
      stamp[w] = step;
      this.mergeWord(w, a, b, id);
    }
    const touched = this.touched;
    for (let i = 0; i < touched.length; i++) {
      const t = touched[i];
      const c = pairs.count[t];
      if (c > 0) this.heap.push(c, pairs.left[t] * TIE_SHIFT + pairs.right[t], t);
    }
    touched.length = 0;
  }

  /**
   * Replaces every non-overlapping (a, b), left to right, in word w by `id`, and updates the
   * counts of the neighbouring pairs: (prev, a) and (b, next) lose the word's weight, (prev, id)
   * and (id, next) gain it. The pair (a, b) itself is left as is (it is not in the heap any more).
   */
  private mergeWord(w: number, a: number, b: number, id: number): void {
    const sym = this.symbols;
    const c = this.weight[w];
    const s = this.start[w];
    const e = s + this.length[w];
    let r = s;
    let o = s;
    while (r < e) {
      const x = sym[r];
      if (x === a && r + 1 < e && sym[r + 1] === b) {
        if (o > s) {
          const prev = sym[o - 1];
          this.lose(prev, a, c);
          this.gain(prev, id, c, w);
        }
        if (r + 2 < e) {
          const next = sym[r + 2];
          this.lose(b, next, c);
          this.gain(id, next, c, w);
        }
        sym[o++] = id;
        r += 2;
      } else {
        sym[o++] = x;
        r++;
      }
    }
    this.length[w] = o - s;
  }

  private lose(x: number, y: number, c: number): void {
    if (!this.allowed(x, y)) return;
    const p = this.pairs.find(x, y);
    if (p >= 0) this.pairs.count[p] -= c;
  }

  private gain(x: number, y: number, c: number, w: number): void {
    if (!this.allowed(x, y)) return;
    const pairs = this.pairs;
    const p = pairs.intern(x, y);
    pairs.count[p] += c;
    pairs.addWord(p, w);
    if (pairs.mark[p] !== this.step) {
      pairs.mark[p] = this.step;
      this.touched.push(p);
    }
  }

  toJSON(): TrainedTokenizerJson {
    const vocab: Record<string, number> = {};
    for (let i = 0; i < this.vocab.length; i++) vocab[this.vocab[i]] = i;
    const merges: [string, string][] = new Array(this.mergeLeft.length);
    for (let i = 0; i < merges.length; i++) {
      merges[i] = [this.vocab[this.mergeLeft[i]], this.vocab[this.mergeRight[i]]];
    }
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.s.specialTokens.map((content) => ({
        id: this.ids.get(content)!,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          {
            type: 'Split',
            pattern: { Regex: SPLIT_PATTERNS[this.s.preTokenizer].hf },
            behavior: 'Isolated',
            invert: false,
          },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: {
        type: 'ByteLevel',
        add_prefix_space: false,
        trim_offsets: false,
        use_regex: false,
      },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges,
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function checkOptions(o: TrainBpeOptions): Settings {
  if (o === null || typeof o !== 'object') {
    throw new TypeError(
      `trainBpe: options must be an object with vocabSize, received ${describe(o)}`,
    );
  }
  const specialTokens = o.specialTokens ?? [];
  if (
    !Array.isArray(specialTokens) ||
    specialTokens.some((t) => typeof t !== 'string' || t === '')
  ) {
    throw new TypeError(
      `trainBpe: options.specialTokens must be an array of non-empty strings, received ${describe(specialTokens)}`,
    );
  }
  if (new Set(specialTokens).size !== specialTokens.length) {
    throw new Error(
      `trainBpe: options.specialTokens has duplicates: ${JSON.stringify(specialTokens)}`,
    );
  }
  const min = specialTokens.length + 256;
  if (!Number.isInteger(o.vocabSize) || o.vocabSize < min || o.vocabSize >= TIE_SHIFT) {
    throw new RangeError(
      `trainBpe: options.vocabSize must be an integer from ${min} (256 byte symbols + ${specialTokens.length} special tokens) to ${TIE_SHIFT - 1}, received ${describe(o.vocabSize)}`,
    );
  }
  const minFrequency = o.minFrequency ?? 2;
  if (typeof minFrequency !== 'number' || !(minFrequency >= 0) || !Number.isFinite(minFrequency)) {
    throw new RangeError(
      `trainBpe: options.minFrequency must be a number >= 0, received ${describe(minFrequency)}`,
    );
  }
  const maxTokenLength = o.maxTokenLength ?? Number.POSITIVE_INFINITY;
  if (!(maxTokenLength >= 1)) {
    throw new RangeError(
      `trainBpe: options.maxTokenLength must be >= 1 (bytes), received ${describe(o.maxTokenLength)}`,
    );
  }
  if (o.languageWeights !== undefined) {
    if (o.languageWeights === null || typeof o.languageWeights !== 'object') {
      throw new TypeError(
        `trainBpe: options.languageWeights must be an object { lang: weight }, received ${describe(o.languageWeights)}`,
      );
    }
    for (const [lang, w] of Object.entries(o.languageWeights)) {
      if (typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w)) {
        throw new RangeError(
          `trainBpe: options.languageWeights.${lang} must be a finite number >= 0, received ${describe(w)}`,
        );
      }
    }
  }
  const preTokenizer = o.preTokenizer ?? 'llama3';
  if (preTokenizer !== 'gpt2' && preTokenizer !== 'llama3') {
    throw new RangeError(
      `trainBpe: options.preTokenizer must be 'gpt2' or 'llama3', received ${describe(preTokenizer)}`,
    );
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new TypeError(
      `trainBpe: options.onProgress must be a function, received ${describe(o.onProgress)}`,
    );
  }
  return {
    vocabSize: o.vocabSize,
    minFrequency,
    specialTokens,
    languageWeights: o.languageWeights,
    maxTokenLength,
    onProgress: o.onProgress,
    preTokenizer,
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
