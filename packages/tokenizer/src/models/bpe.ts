/**
 * Byte-pair encoding as Hugging Face tokenizers runs it: a word starts as one symbol per
 * character (or per byte with byte fallback, or `unk_token` for unknown characters), then the
 * pair with the lowest merge rank (leftmost first) is merged until no pair has a rank.
 *
 * Speed: the result of each word is cached (bounded); the merge table is keyed by integer id
 * pairs; single characters map to ids through a 64K table; a priority queue of
 * (rank, position) keys drives the merges, so long words stay O(n log n).
 */
import type { JsonObject } from '../json.js';
import { byteToSourceUnits, type NormalizedString, toByteLevel } from '../normalized-string.js';
import { BYTE_TO_CODE, CODE_TO_BYTE, encodeUtf8 } from '../unicode.js';
import { BoundedCache, type TokenSink, VocabModel } from './model.js';
import { PairMap } from './pair-map.js';

export interface BpeOptions {
  /** Token for characters not in the vocabulary (null: drop them, as HF does). */
  unkToken?: string | null;
  /** Prefix added to every symbol that does not start a word (e.g. "##"). */
  continuingSubwordPrefix?: string | null;
  /** Suffix added to the last symbol of a word (e.g. "</w>"). */
  endOfWordSuffix?: string | null;
  /** Merge consecutive unknown characters into one unk token. */
  fuseUnk?: boolean;
  /** Spell unknown characters as <0xXX> byte tokens when the vocabulary has them. */
  byteFallback?: boolean;
  /** A word that is in the vocabulary as a whole is one token, whatever the merges say (Llama 3). */
  ignoreMerges?: boolean;
  /** Entries in the per-word cache (0 disables it); default 100,000 (multilingual text has many distinct words; a few tens of MB at most). */
  cacheCapacity?: number;
}

/** Words longer than this (in UTF-16 units) are not cached, as in HF. */
const MAX_CACHED_LENGTH = 256;

/** Words with at most this many symbols merge by scanning instead of with a queue. */
const SMALL_WORD = 48;

/** Cached result of one word: triples [id, start, end] in units of the word. */
type Word = Int32Array;

export class BPE extends VocabModel {
  readonly type = 'BPE';
  readonly unkToken: string | null;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;

  /** rank -> (left id, right id, merged id) */
  private readonly mergeLeft: Int32Array;
  private readonly mergeRight: Int32Array;
  private readonly mergeNew: Int32Array;
  private readonly ranks: PairMap;
  /** id of each single BMP character token, -1 when none (only without prefix/suffix) */
  private readonly charIds: Int32Array | null;
  private readonly byteIds: Int32Array;
  private readonly cache: BoundedCache<Word>;
  private readonly byteLevelCache: BoundedCache<Word>;
  /** Ids only, for `appendByteLevelIds` (no offsets to keep). */
  private readonly idsCache: BoundedCache<Int32Array>;
  /** UTF-8 byte -> id of its GPT-2 byte character, when the vocabulary has all 256 (else null). */
  private readonly byteCharIds: Int32Array | null;
  /** For ignore_merges: the tokens that are whole UTF-8 text, keyed by that text (lazy). */
  private textVocab: Map<string, number> | null = null;
  private readonly utf8 = { buf: new Uint8Array(256) };
  // scratch space for merging
  private ids = new Int32Array(64);
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private prev = new Int32Array(64);
  private next = new Int32Array(64);
  private heap: number[] = [];
  private pairRank = new Int32Array(64);
  private lastAscii = true;

  /**
   * @param vocab token -> id
   * @param merges the merge list in rank order, each a pair of tokens of `vocab`
   * @throws Error naming the merge (by its rank) whose tokens are not in the vocabulary
   */
  constructor(
    vocab: Map<string, number> | Record<string, number>,
    merges: [string, string][],
    options: BpeOptions = {},
  ) {
    super(vocab);
    this.unkToken = options.unkToken ?? null;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? null;
    this.endOfWordSuffix = options.endOfWordSuffix ?? null;
    this.fuseUnk = options.fuseUnk ?? false;
    this.byteFallback = options.byteFallback ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    const capacity = options.cacheCapacity ?? 100_000;
    this.cache = new BoundedCache(capacity);
    this.byteLevelCache = new BoundedCache(capacity);
    this.idsCache = new BoundedCache(capacity);

    const n = merges.length;
    this.mergeLeft = new Int32Array(n);
    this.mergeRight = new Int32Array(n);
    this.mergeNew = new Int32Array(n);
    this.ranks = new PairMap(n);
    const prefixLength = this.continuingSubwordPrefix?.length ?? 0;
    for (let r = 0; r < n; r++) {
      const [a, b] = merges[r];
      const ia = this.vocab.get(a);
      const ib = this.vocab.get(b);
      if (ia === undefined || ib === undefined) {
        throw new Error(
          `merges[${r}]: token ${JSON.stringify(ia === undefined ? a : b)} is not in the vocabulary`,
        );
      }
      const merged = a + b.slice(prefixLength);
      const im = this.vocab.get(merged);
      if (im === undefined) {
        throw new Error(
          `merges[${r}]: merged token ${JSON.stringify(merged)} is not in the vocabulary`,
        );
      }
      this.mergeLeft[r] = ia;
      this.mergeRight[r] = ib;
      this.mergeNew[r] = im;
      // a repeated pair keeps its last rank, as HF's HashMap collect does
      this.ranks.set(ia, ib, r);
    }

    if (!this.continuingSubwordPrefix && !this.endOfWordSuffix) {
      const table = new Int32Array(0x10000).fill(-1);
      for (const [token, id] of this.vocab) {
        if (token.length === 1) table[token.charCodeAt(0)] = id;
      }
      this.charIds = table;
    } else {
      this.charIds = null;
    }
    let byteCharIds: Int32Array | null = null;
    if (this.charIds !== null) {
      byteCharIds = new Int32Array(256);
      for (let b = 0; b < 256 && byteCharIds !== null; b++) {
        byteCharIds[b] = this.charIds[BYTE_TO_CODE[b]];
        if (byteCharIds[b] < 0) byteCharIds = null;
      }
    }
    this.byteCharIds = byteCharIds;
    this.byteIds = new Int32Array(256).fill(-1);
    for (let b = 0; b < 256; b++) {
      const id = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      if (id !== undefined) this.byteIds[b] = id;
    }
  }

  /** Number of merges. */
  get mergeCount(): number {
    return this.mergeLeft.length;
  }

  /** The merges as token pairs, in rank order. */
  getMerges(): [string, string][] {
    const out: [string, string][] = [];
    for (let r = 0; r < this.mergeLeft.length; r++) {
      out.push([this.vocabR[this.mergeLeft[r]], this.vocabR[this.mergeRight[r]]]);
    }
    return out;
  }

  tokenize(piece: NormalizedString, sink: TokenSink): void {
    const vocabR = this.vocabR;
    const source = piece.byteSource;
    if (source !== null) {
      // byte-level piece: cached by the source text, offsets in units of the source
      const key = source.normalized;
      if (key.length === 0) return;
      const word = this.byteLevelWord(key, piece);
      for (let k = 0; k < word.length; k += 3) {
        const id = word[k];
        sink.push(id, vocabR[id], word[k + 1], word[k + 2], source);
      }
      return;
    }
    const key = piece.normalized;
    if (key.length === 0) return;
    let word = this.cache.get(key);
    if (word === undefined) {
      word = this.wordOf(key);
      if (key.length < MAX_CACHED_LENGTH && this.cache.capacity > 0) this.cache.set(key, word);
    }
    for (let k = 0; k < word.length; k += 3) {
      const id = word[k];
      sink.push(id, vocabR[id], word[k + 1], word[k + 2], piece);
    }
  }

  /**
   * Appends the ids of `source` as a byte-level piece (what the ByteLevel pre-tokenizer makes of
   * it) to `out`: the ids-only path of `Tokenizer.encodeIds`, sharing the per-word cache.
   */
  appendByteLevelIds(source: string, out: number[]): void {
    if (source.length === 0) return;
    let ids = this.idsCache.get(source);
    if (ids === undefined) {
      ids = this.byteLevelIds(source);
      if (source.length < MAX_CACHED_LENGTH && this.idsCache.capacity > 0) {
        this.idsCache.set(source, ids);
      }
    }
    for (let k = 0; k < ids.length; k++) out.push(ids[k]);
  }

  /** The ids of a byte-level piece, its symbols made straight from the UTF-8 bytes of `source`. */
  private byteLevelIds(source: string): Int32Array {
    const table = this.byteCharIds;
    if (this.ignoreMerges) {
      // a word that is a token is that token (Llama-3)
      this.textVocab ??= this.tokensAsText();
      const id = this.textVocab.get(source);
      if (id !== undefined) return Int32Array.of(id);
    }
    if (table === null) {
      const word = this.wordOf(toByteLevel(source));
      const ids = new Int32Array(word.length / 3);
      for (let k = 0; k < ids.length; k++) ids[k] = word[3 * k];
      return ids;
    }
    const len = source.length;
    this.ensure(3 * len + 4);
    const { ids, ends } = this;
    let n = 0;
    for (let i = 0; i < len; i++) {
      let cp = source.charCodeAt(i);
      if (cp < 0x80) {
        ids[n] = table[cp];
        ends[n] = ++n;
        continue;
      }
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const d = i + 1 < len ? source.charCodeAt(i + 1) : 0;
        if (cp <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else {
          cp = 0xfffd;
        }
      }
      if (cp < 0x800) {
        ids[n] = table[0xc0 | (cp >> 6)];
        ends[n] = ++n;
      } else if (cp < 0x10000) {
        ids[n] = table[0xe0 | (cp >> 12)];
        ends[n] = ++n;
        ids[n] = table[0x80 | ((cp >> 6) & 0x3f)];
        ends[n] = ++n;
      } else {
        ids[n] = table[0xf0 | (cp >> 18)];
        ends[n] = ++n;
        ids[n] = table[0x80 | ((cp >> 12) & 0x3f)];
        ends[n] = ++n;
        ids[n] = table[0x80 | ((cp >> 6) & 0x3f)];
        ends[n] = ++n;
      }
      ids[n] = table[0x80 | (cp & 0x3f)];
      ends[n] = ++n;
    }
    const alive = this.mergeSymbols(n);
    const out = new Int32Array(alive);
    for (let i = 0, k = 0; i < n && k < alive; i++) if (ends[i] >= 0) out[k++] = ids[i];
    return out;
  }

  /**
   * The byte-level tokens whose bytes are well-formed UTF-8, keyed by the text they spell: a
   * word's byte-level form is a token exactly when the word is a key here.
   */
  private tokensAsText(): Map<string, number> {
    const out = new Map<string, number>();
    // ignoreBOM: a token spelling U+FEFF keeps it (by default the decoder would drop it)
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let bytes = new Uint8Array(64);
    for (const [token, id] of this.vocab) {
      if (bytes.length < token.length) bytes = new Uint8Array(token.length * 2);
      let ok = true;
      for (let i = 0; i < token.length && ok; i++) {
        const c = token.charCodeAt(i);
        const b = c < CODE_TO_BYTE.length ? CODE_TO_BYTE[c] : -1;
        if (b < 0) ok = false;
        else bytes[i] = b;
      }
      if (!ok) continue;
      try {
        out.set(decoder.decode(bytes.subarray(0, token.length)), id);
      } catch {
        // not whole UTF-8 (a piece of a character): no word spells it
      }
    }
    return out;
  }

  /** The cached triples [id, start, end] of a byte-level piece, offsets in units of `source`. */
  private byteLevelWord(source: string, piece: NormalizedString | null): Word {
    let word = this.byteLevelCache.get(source);
    if (word !== undefined) return word;
    word = this.wordOf(piece === null ? toByteLevel(source) : piece.normalized);
    const units = byteToSourceUnits(source);
    for (let k = 0; k < word.length; k += 3) {
      word[k + 1] = units[2 * word[k + 1]];
      word[k + 2] = units[2 * (word[k + 2] - 1) + 1];
    }
    if (source.length < MAX_CACHED_LENGTH && this.byteLevelCache.capacity > 0) {
      this.byteLevelCache.set(source, word);
    }
    return word;
  }

  /** Tokenizes one word (a pre-tokenized piece's text); triples [id, start, end]. */
  wordOf(text: string): Word {
    if (this.ignoreMerges) {
      const id = this.vocab.get(text);
      if (id !== undefined) return Int32Array.of(id, 0, text.length);
    }
    const n = this.initialSymbols(text);
    const word = this.mergeAll(n);
    if (!this.lastAscii) {
      // UTF-8 byte positions -> UTF-16 units of the text (a position inside a character maps to
      // the whole character, as HF's per-byte alignments do)
      const units = byteToSourceUnits(text);
      const last = units.length / 2 - 1;
      for (let k = 0; k < word.length; k += 3) {
        word[k + 1] = units[2 * Math.min(word[k + 1], last)];
        word[k + 2] = units[2 * Math.min(word[k + 2] - 1, last) + 1];
      }
    }
    return word;
  }

  private ensure(n: number): void {
    if (this.ids.length >= n) return;
    let cap = this.ids.length;
    while (cap < n) cap *= 2;
    this.ids = new Int32Array(cap);
    this.starts = new Int32Array(cap);
    this.ends = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
  }

  /**
   * Fills the scratch arrays with the word's first symbols; returns their count. Positions are
   * in UTF-8 bytes of `text`, accumulated from the symbols added (as HF does, so that a dropped
   * character shifts the offsets after it the same way).
   */
  private initialSymbols(text: string): number {
    // byte fallback can make up to 4 symbols per unit
    this.ensure(this.byteFallback ? text.length * 4 + 4 : text.length + 4);
    const { ids, starts, ends, vocab, charIds } = this;
    const prefix = this.continuingSubwordPrefix;
    const suffix = this.endOfWordSuffix;
    let n = 0;
    let pos = 0;
    let unkId = -1;
    let unkLength = 0;
    let ascii = true;
    const len = text.length;
    for (let i = 0; i < len; ) {
      const c = text.charCodeAt(i);
      const w = c >= 0xd800 && c <= 0xdbff && i + 1 < len ? 2 : 1;
      const bytes = w === 2 ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      if (c >= 0x80) ascii = false;
      let id: number;
      let s: string | null = null;
      if (charIds !== null && w === 1) {
        id = charIds[c];
      } else {
        s = text.slice(i, i + w);
        if (prefix && i > 0) s = prefix + s;
        if (suffix && i + w === len) s += suffix;
        id = vocab.get(s) ?? -1;
      }
      if (id >= 0) {
        if (unkId >= 0) {
          ids[n] = unkId;
          starts[n] = pos;
          ends[n] = pos + unkLength;
          n++;
          pos += unkLength;
          unkId = -1;
        }
        ids[n] = id;
        starts[n] = pos;
        ends[n] = pos + bytes;
        n++;
        pos += bytes;
        i += w;
        continue;
      }
      if (this.byteFallback) {
        s ??= text.slice(i, i + w);
        const nb = encodeUtf8(s, this.utf8);
        let ok = true;
        for (let b = 0; b < nb; b++) {
          if (this.byteIds[this.utf8.buf[b]] < 0) {
            ok = false;
            break;
          }
        }
        if (ok) {
          // one byte each; all of them map back to the character
          for (let b = 0; b < nb; b++) {
            ids[n] = this.byteIds[this.utf8.buf[b]];
            starts[n] = pos;
            ends[n] = pos + 1;
            n++;
            pos++;
          }
          i += w;
          continue;
        }
      }
      if (this.unkToken !== null) {
        const unk = vocab.get(this.unkToken);
        if (unk === undefined) {
          throw new Error(
            `BPE: unk_token ${JSON.stringify(this.unkToken)} is not in the vocabulary`,
          );
        }
        if (unkId >= 0 && this.fuseUnk) {
          unkLength += bytes;
        } else {
          if (unkId >= 0) {
            ids[n] = unkId;
            starts[n] = pos;
            ends[n] = pos + unkLength;
            n++;
            pos += unkLength;
          }
          unkId = unk;
          unkLength = bytes;
        }
      }
      // without unk_token the character is dropped (HF behaviour)
      i += w;
    }
    if (unkId >= 0) {
      ids[n] = unkId;
      starts[n] = pos;
      ends[n] = pos + unkLength;
      n++;
    }
    this.lastAscii = ascii;
    return n;
  }

  /** Applies the merges to the n scratch symbols; returns the word's triples. */
  private mergeAll(n: number): Word {
    const alive = this.mergeSymbols(n);
    const { ids, starts, ends } = this;
    const word = new Int32Array(alive * 3);
    let k = 0;
    for (let i = 0; i < n && k < word.length; i++) {
      if (ends[i] < 0) continue;
      word[k++] = ids[i];
      word[k++] = starts[i];
      word[k++] = ends[i];
    }
    return word;
  }

  /**
   * Merges the n scratch symbols in place (a merged-away symbol gets `ends[i] = -1`); returns
   * how many are left.
   */
  private mergeSymbols(n: number): number {
    const { ids, ends, prev, next, ranks, mergeNew } = this;
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    let alive = n;
    if (n > 1 && n <= SMALL_WORD) alive = this.mergeSmall(n);
    else if (n > 1) {
      // min-heap of keys rank * 2^32 + position
      const heap = this.heap;
      heap.length = 0;
      for (let i = 0; i + 1 < n; i++) {
        const r = ranks.get(ids[i], ids[i + 1]);
        if (r >= 0) heapPush(heap, r * 4294967296 + i);
      }
      while (heap.length > 0) {
        const top = heapPop(heap);
        const rank = Math.floor(top / 4294967296);
        const pos = top - rank * 4294967296;
        // removed symbol, last symbol, or an expired entry (the pair no longer makes this token)
        if (ends[pos] < 0) continue;
        const right = next[pos];
        if (right < 0) continue;
        const r = ranks.get(ids[pos], ids[right]);
        const newId = mergeNew[rank];
        if (r < 0 || mergeNew[r] !== newId) continue;
        ids[pos] = newId;
        ends[pos] = ends[right];
        ends[right] = -1;
        const after = next[right];
        next[pos] = after;
        if (after >= 0) prev[after] = pos;
        alive--;
        const before = prev[pos];
        if (before >= 0) {
          const rb = ranks.get(ids[before], newId);
          if (rb >= 0) heapPush(heap, rb * 4294967296 + before);
        }
        if (after >= 0) {
          const ra = ranks.get(newId, ids[after]);
          if (ra >= 0) heapPush(heap, ra * 4294967296 + pos);
        }
      }
    }
    return alive;
  }

  /**
   * The same merges for short words without the queue: each step merges the pair with the
   * lowest rank, leftmost first (what the queue yields, since a pair's token is unique).
   */
  private mergeSmall(n: number): number {
    const { ids, ends, prev, next, ranks, mergeNew } = this;
    if (this.pairRank.length < n) this.pairRank = new Int32Array(n * 2);
    const pairRank = this.pairRank;
    for (let i = 0; i + 1 < n; i++) pairRank[i] = ranks.get(ids[i], ids[i + 1]);
    pairRank[n - 1] = -1;
    let alive = n;
    for (;;) {
      let best = -1;
      let bestRank = 0x7fffffff;
      for (let i = 0; i >= 0; i = next[i]) {
        const r = pairRank[i];
        if (r >= 0 && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) return alive;
      const right = next[best];
      const newId = mergeNew[bestRank];
      ids[best] = newId;
      ends[best] = ends[right];
      ends[right] = -1;
      const after = next[right];
      next[best] = after;
      if (after >= 0) prev[after] = best;
      alive--;
      pairRank[best] = after >= 0 ? ranks.get(newId, ids[after]) : -1;
      const before = prev[best];
      if (before >= 0) pairRank[before] = ranks.get(ids[before], newId);
    }
  }

  /** Drops cached words (e.g. to measure cold speed). */
  clearCache(): void {
    this.cache.clear();
    this.byteLevelCache.clear();
    this.idsCache.clear();
  }

  toJSON(): JsonObject {
    const vocab: Record<string, number> = {};
    const entries = [...this.vocab].sort((x, y) => x[1] - y[1]);
    for (const [token, id] of entries) vocab[token] = id;
    return {
      type: this.type,
      dropout: null,
      unk_token: this.unkToken,
      continuing_subword_prefix: this.continuingSubwordPrefix,
      end_of_word_suffix: this.endOfWordSuffix,
      fuse_unk: this.fuseUnk,
      byte_fallback: this.byteFallback,
      ignore_merges: this.ignoreMerges,
      vocab,
      merges: this.getMerges(),
    };
  }
}

function heapPush(heap: number[], key: number): void {
  let i = heap.length;
  heap.push(key);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent];
    if (p <= key) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = key;
}

function heapPop(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop()!;
  const n = heap.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r] < heap[l] ? r : l;
      if (heap[c] >= last) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
  }
  return top;
}
