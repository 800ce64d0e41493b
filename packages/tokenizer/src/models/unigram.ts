/**
 * The Unigram language model (SentencePiece, XLM-R, T5): the segmentation of a word with the
 * highest total log-probability, found by Viterbi over a trie of the vocabulary. Characters no
 * token covers score `min score - 10` as unknown; consecutive unknowns fuse into one token,
 * which byte fallback spells as <0xXX> tokens when the vocabulary has them.
 */
import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { encodeUtf8 } from '../unicode.js';
import { BoundedCache, type Model, type TokenSink } from './model.js';
import { serdeJsonFloat } from './serde-float.js';

const UNK_PENALTY = 10;

interface TrieNode {
  id: number;
  children: Map<number, TrieNode> | null;
}

export interface UnigramOptions {
  /** Id of the unknown token (required when text can contain characters no token covers). */
  unkId?: number | null;
  byteFallback?: boolean;
  cacheCapacity?: number;
}

export class Unigram implements Model {
  readonly type = 'Unigram';
  readonly unkId: number | null;
  readonly byteFallback: boolean;
  private readonly pieces: [string, number][];
  /** The scores as Hugging Face reads them from JSON (see serde-float.ts), used by Viterbi. */
  private readonly scores: Float64Array;
  private readonly ids = new Map<string, number>();
  private readonly root: TrieNode = { id: -1, children: new Map() };
  private readonly minScore: number;
  private readonly cache: BoundedCache<Int32Array>;
  private readonly utf8 = { buf: new Uint8Array(64) };

  /** @param vocab [token, log-probability] pairs; the index is the id */
  constructor(vocab: [string, number][], options: UnigramOptions = {}) {
    this.pieces = vocab.map(([t, s]) => [t, s]);
    this.scores = Float64Array.from(vocab, ([, s]) => serdeJsonFloat(s));
    this.unkId = options.unkId ?? null;
    this.byteFallback = options.byteFallback ?? false;
    this.cache = new BoundedCache(options.cacheCapacity ?? 10_000);
    if (this.unkId !== null && (this.unkId < 0 || this.unkId >= vocab.length)) {
      throw new Error(`unk_id ${this.unkId} is outside the vocabulary (size ${vocab.length})`);
    }
    let min = Number.POSITIVE_INFINITY;
    vocab.forEach(([token], id) => {
      this.ids.set(token, id);
      if (this.scores[id] < min) min = this.scores[id];
      let node = this.root;
      for (let i = 0; i < token.length; i++) {
        const c = token.charCodeAt(i);
        node.children ??= new Map();
        let child = node.children.get(c);
        if (!child) {
          child = { id: -1, children: null };
          node.children.set(c, child);
        }
        node = child;
      }
      node.id = id;
    });
    this.minScore = min;
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id]?.[0];
  }

  getVocab(): Map<string, number> {
    return new Map(this.ids);
  }

  /** The [token, score] pairs. */
  getPieces(): [string, number][] {
    return this.pieces.map(([t, s]) => [t, s]);
  }

  tokenize(piece: NormalizedString, sink: TokenSink): void {
    const s = piece.normalized;
    if (s.length === 0) return;
    let bounds = this.cache.get(s);
    if (bounds === undefined) {
      bounds = this.segment(s);
      this.cache.set(s, bounds);
    }
    let start = 0;
    for (let k = 0; k < bounds.length; k++) {
      const end = bounds[k];
      const text = s.slice(start, end);
      const id = this.ids.get(text);
      if (id !== undefined) {
        sink.push(id, text, start, end, piece);
      } else {
        let done = false;
        if (this.byteFallback) {
          const nb = encodeUtf8(text, this.utf8);
          const byteIds: number[] = [];
          const names: string[] = [];
          for (let b = 0; b < nb; b++) {
            const name = `<0x${this.utf8.buf[b].toString(16).toUpperCase().padStart(2, '0')}>`;
            const bid = this.ids.get(name);
            if (bid === undefined) break;
            byteIds.push(bid);
            names.push(name);
          }
          if (byteIds.length === nb) {
            for (let b = 0; b < nb; b++) sink.push(byteIds[b], names[b], start, end, piece);
            done = true;
          }
        }
        if (!done) {
          if (this.unkId === null) throw new Error('Unigram: unknown text and no unk_id');
          // HF keeps the text as the token's value
          sink.push(this.unkId, text, start, end, piece);
        }
      }
      start = end;
    }
  }

  /** Viterbi segmentation; returns the end of each token (unknown runs fused). */
  private segment(s: string): Int32Array {
    const size = s.length;
    const score = new Float64Array(size + 1);
    const from = new Int32Array(size + 1).fill(-1);
    const tokenId = new Int32Array(size + 1).fill(-1);
    const unkScore = this.minScore - UNK_PENALTY;
    for (let start = 0; start < size; ) {
      const c = s.charCodeAt(start);
      const mblen = c >= 0xd800 && c <= 0xdbff && start + 1 < size ? 2 : 1;
      const base = score[start];
      let hasSingle = false;
      let node: TrieNode | undefined = this.root;
      for (let i = start; i < size && node?.children; i++) {
        node = node.children.get(s.charCodeAt(i));
        if (!node) break;
        if (node.id >= 0) {
          const end = i + 1;
          const candidate = this.scores[node.id] + base;
          if (from[end] < 0 || candidate > score[end]) {
            score[end] = candidate;
            from[end] = start;
            tokenId[end] = node.id;
          }
          if (end - start === mblen) hasSingle = true;
        }
      }
      if (!hasSingle) {
        const end = start + mblen;
        const candidate = unkScore + base;
        if (from[end] < 0 || candidate > score[end]) {
          if (this.unkId === null) {
            throw new Error(
              `Unigram: ${JSON.stringify(s.slice(start, end))} is not in the vocabulary and there is no unk_id`,
            );
          }
          score[end] = candidate;
          from[end] = start;
          tokenId[end] = this.unkId;
        }
      }
      start += mblen;
    }
    // walk back, fusing consecutive unknown tokens
    const ends: number[] = [];
    let end = size;
    let fusing = false;
    while (end > 0) {
      const start = from[end];
      const isUnk = this.unkId !== null && tokenId[end] === this.unkId;
      if (isUnk) {
        if (!fusing) ends.push(end);
        fusing = true;
      } else {
        fusing = false;
        ends.push(end);
      }
      end = start;
    }
    ends.reverse();
    return Int32Array.from(ends);
  }

  clearCache(): void {
    this.cache.clear();
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      unk_id: this.unkId,
      vocab: this.getPieces(),
      byte_fallback: this.byteFallback,
    };
  }
}
