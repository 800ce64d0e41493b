/**
 * WordPiece (BERT): greedy longest-match-first from the start of the word; pieces after the
 * first carry the `##` prefix. A word with no segmentation, or longer than
 * `maxInputCharsPerWord`, becomes the unknown token.
 */
import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { type TokenSink, VocabModel } from './model.js';

export interface WordPieceOptions {
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
}

export class WordPiece extends VocabModel {
  readonly type = 'WordPiece';
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;

  constructor(vocab: Map<string, number> | Record<string, number>, options: WordPieceOptions = {}) {
    super(vocab);
    this.unkToken = options.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
  }

  private unk(piece: NormalizedString, sink: TokenSink, length: number): void {
    const id = this.vocab.get(this.unkToken);
    if (id === undefined) {
      throw new Error(
        `WordPiece: unk_token ${JSON.stringify(this.unkToken)} is not in the vocabulary`,
      );
    }
    sink.push(id, this.unkToken, 0, length, piece);
  }

  tokenize(piece: NormalizedString, sink: TokenSink): void {
    const s = piece.normalized;
    let chars = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (
        !(
          c >= 0xdc00 &&
          c <= 0xdfff &&
          i > 0 &&
          s.charCodeAt(i - 1) >= 0xd800 &&
          s.charCodeAt(i - 1) <= 0xdbff
        )
      )
        chars++;
    }
    if (chars > this.maxInputCharsPerWord) {
      this.unk(piece, sink, s.length);
      return;
    }
    const found: [number, string, number, number][] = [];
    let start = 0;
    while (start < s.length) {
      let end = s.length;
      let hit: [number, string, number, number] | null = null;
      while (start < end) {
        const sub =
          start > 0 ? this.continuingSubwordPrefix + s.slice(start, end) : s.slice(start, end);
        const id = this.vocab.get(sub);
        if (id !== undefined) {
          hit = [id, sub, start, end];
          break;
        }
        const c = s.charCodeAt(end - 1);
        end -= c >= 0xdc00 && c <= 0xdfff && end - 2 >= start ? 2 : 1;
      }
      if (hit === null) {
        this.unk(piece, sink, s.length);
        return;
      }
      found.push(hit);
      start = end;
    }
    for (const [id, value, a, b] of found) sink.push(id, value, a, b, piece);
  }

  toJSON(): JsonObject {
    const vocab: Record<string, number> = {};
    for (const [token, id] of [...this.vocab].sort((x, y) => x[1] - y[1])) vocab[token] = id;
    return {
      type: this.type,
      unk_token: this.unkToken,
      continuing_subword_prefix: this.continuingSubwordPrefix,
      max_input_chars_per_word: this.maxInputCharsPerWord,
      vocab,
    };
  }
}
