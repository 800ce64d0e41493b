/**
 * Added tokens (special or not) and how they are split out of the text before the model sees
 * it, as Hugging Face tokenizers does: first the tokens with `normalized: false` are found in
 * the raw text (leftmost-longest), then each remaining piece is normalized and the tokens with
 * `normalized: true` are found in the normalized text. `single_word`, `lstrip` and `rstrip`
 * refine a match.
 */
import { NormalizedString } from './normalized-string.js';
import type { Normalizer } from './normalizers/index.js';
import { normalizeString } from './normalizers/index.js';
import { isWhitespace, isWordChar } from './unicode.js';

/** The fields of an added token as given by a user (ids are assigned by the tokenizer). */
export interface AddedTokenInit {
  content: string;
  /** Special tokens are skipped by decode({ skipSpecialTokens: true }). Default false. */
  special?: boolean;
  /** Only match when not inside a word. Default false. */
  singleWord?: boolean;
  /** Also take the whitespace on the left. Default false. */
  lstrip?: boolean;
  /** Also take the whitespace on the right. Default false. */
  rstrip?: boolean;
  /** Match in the normalized text (true) or the raw text (false). Default: !special. */
  normalized?: boolean;
}

/** An added token with its id. */
export class AddedToken {
  readonly special: boolean;
  readonly singleWord: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly normalized: boolean;

  constructor(
    readonly id: number,
    readonly content: string,
    init: Omit<AddedTokenInit, 'content'> = {},
  ) {
    this.special = init.special ?? false;
    this.singleWord = init.singleWord ?? false;
    this.lstrip = init.lstrip ?? false;
    this.rstrip = init.rstrip ?? false;
    this.normalized = init.normalized ?? !this.special;
  }

  toJSON() {
    return {
      id: this.id,
      content: this.content,
      single_word: this.singleWord,
      lstrip: this.lstrip,
      rstrip: this.rstrip,
      normalized: this.normalized,
      special: this.special,
    };
  }
}

interface TrieNode {
  id: number;
  children: Map<number, TrieNode>;
}

/** Leftmost-longest matching of a set of strings. */
class TokenTrie {
  private readonly root: TrieNode = { id: -1, children: new Map() };
  private readonly first = new Uint8Array(0x10000);
  size = 0;

  add(s: string, id: number): void {
    if (s.length === 0) return;
    let node = this.root;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let child = node.children.get(c);
      if (!child) {
        child = { id: -1, children: new Map() };
        node.children.set(c, child);
      }
      node = child;
    }
    if (node.id < 0) this.size++;
    node.id = id;
    this.first[s.charCodeAt(0)] = 1;
  }

  /** The next match at or after `from`: [start, end, id], or null. */
  next(s: string, from: number): [number, number, number] | null {
    const first = this.first;
    for (let i = from; i < s.length; i++) {
      if (!first[s.charCodeAt(i)]) continue;
      let node: TrieNode | undefined = this.root;
      let bestEnd = -1;
      let bestId = -1;
      for (let j = i; j < s.length; j++) {
        node = node.children.get(s.charCodeAt(j));
        if (!node) break;
        if (node.id >= 0) {
          bestEnd = j + 1;
          bestId = node.id;
        }
      }
      if (bestEnd >= 0) return [i, bestEnd, bestId];
    }
    return null;
  }
}

/** A piece of the text after added tokens are split out: either an added token or text. */
export interface AddedSplit {
  text: NormalizedString;
  /** The added token's id, or -1 for text the pipeline still has to tokenize. */
  id: number;
}

function lastChar(s: string, end: number): number {
  if (end <= 0) return -1;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xdc00 && c <= 0xdfff && end >= 2) {
    const h = s.charCodeAt(end - 2);
    if (h >= 0xd800 && h <= 0xdbff) return s.codePointAt(end - 2)!;
  }
  return c;
}

export class AddedVocabulary {
  private readonly list: AddedToken[] = [];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  private raw = new TokenTrie();
  private normalizedTrie = new TokenTrie();

  /** All added tokens, in the order they were added. */
  get tokens(): readonly AddedToken[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** Adds a token with a known id (replacing one with the same content). */
  add(token: AddedToken): void {
    const old = this.byContent.get(token.content);
    if (old) {
      this.list.splice(this.list.indexOf(old), 1);
      this.byId.delete(old.id);
    }
    this.list.push(token);
    this.byContent.set(token.content, token);
    this.byId.set(token.id, token);
  }

  byToken(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  byTokenId(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  /** The largest id among the added tokens, or -1. */
  maxId(): number {
    let max = -1;
    for (const t of this.list) if (t.id > max) max = t.id;
    return max;
  }

  /** Rebuilds the matchers; call after adding tokens or changing the normalizer. */
  refresh(normalizer: Normalizer | null): void {
    this.raw = new TokenTrie();
    this.normalizedTrie = new TokenTrie();
    for (const t of this.list) {
      if (t.content.length === 0) continue;
      if (t.normalized) this.normalizedTrie.add(normalizeString(normalizer, t.content), t.id);
      else this.raw.add(t.content, t.id);
    }
  }

  /** Triples [start, end, id] covering `s` (id -1 for text between tokens). */
  private findMatches(s: string, trie: TokenTrie): number[] {
    if (s.length === 0) return [0, 0, -1];
    const out: number[] = [];
    let startOffset = 0;
    if (trie.size > 0) {
      let from = 0;
      for (let m = trie.next(s, from); m !== null; m = trie.next(s, from)) {
        let [start, stop] = m;
        const id = m[2];
        from = stop;
        const token = this.byId.get(id)!;
        if (token.singleWord) {
          const before = lastChar(s, start);
          const after = stop < s.length ? s.codePointAt(stop)! : -1;
          const startSpace = start === 0 || !isWordChar(before);
          const stopSpace = stop === s.length || !isWordChar(after);
          if (!startSpace || !stopSpace) continue;
        }
        if (token.lstrip) {
          let newStart = start;
          while (newStart > 0) {
            const cp = lastChar(s, newStart);
            if (!isWhitespace(cp)) break;
            newStart -= cp > 0xffff ? 2 : 1;
          }
          start = Math.max(newStart, startOffset);
        }
        if (token.rstrip) {
          while (stop < s.length) {
            const cp = s.codePointAt(stop)!;
            if (!isWhitespace(cp)) break;
            stop += cp > 0xffff ? 2 : 1;
          }
        }
        if (startOffset < start) out.push(startOffset, start, -1);
        out.push(start, stop, id);
        startOffset = stop;
      }
    }
    if (startOffset !== s.length) out.push(startOffset, s.length, -1);
    return out;
  }

  /**
   * Splits `text` into added tokens and normalized text pieces (empty pieces dropped).
   */
  extractAndNormalize(normalizer: Normalizer | null, text: string): AddedSplit[] {
    const out: AddedSplit[] = [];
    const whole = NormalizedString.fromOriginal(text);
    const first = this.findMatches(text, this.raw);
    for (let k = 0; k < first.length; k += 3) {
      const start = first[k];
      const end = first[k + 1];
      if (start >= end) continue;
      const piece = whole.slice(start, end);
      if (first[k + 2] >= 0) {
        out.push({ text: piece, id: first[k + 2] });
        continue;
      }
      normalizer?.normalize(piece);
      if (this.normalizedTrie.size === 0) {
        if (piece.length > 0) out.push({ text: piece, id: -1 });
        continue;
      }
      const second = this.findMatches(piece.normalized, this.normalizedTrie);
      for (let j = 0; j < second.length; j += 3) {
        if (second[j] >= second[j + 1]) continue;
        out.push({ text: piece.slice(second[j], second[j + 1]), id: second[j + 2] });
      }
    }
    return out;
  }
}
