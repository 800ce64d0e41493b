/** WordLevel: each word is one token of the vocabulary, or the unknown token. */
import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import type { Model, TokenSink } from './model.js';

export class WordLevel implements Model {
  readonly type = 'WordLevel';
  private readonly vocab: Map<string, number>;
  private readonly vocabR: string[] = [];

  constructor(
    vocab: Map<string, number> | Record<string, number>,
    readonly unkToken = '<unk>',
  ) {
    this.vocab = vocab instanceof Map ? new Map(vocab) : new Map(Object.entries(vocab));
    for (const [token, id] of this.vocab) this.vocabR[id] = token;
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocabR[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  tokenize(piece: NormalizedString, sink: TokenSink): void {
    const s = piece.normalized;
    const id = this.vocab.get(s);
    if (id !== undefined) {
      sink.push(id, s, 0, s.length, piece);
      return;
    }
    const unk = this.vocab.get(this.unkToken);
    if (unk === undefined) {
      throw new Error(
        `WordLevel: unk_token ${JSON.stringify(this.unkToken)} is not in the vocabulary`,
      );
    }
    sink.push(unk, this.unkToken, 0, s.length, piece);
  }

  toJSON(): JsonObject {
    const vocab: Record<string, number> = {};
    for (const [token, id] of [...this.vocab].sort((x, y) => x[1] - y[1])) vocab[token] = id;
    return { type: this.type, vocab, unk_token: this.unkToken };
  }
}
