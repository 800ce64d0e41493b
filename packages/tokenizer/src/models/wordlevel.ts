/** WordLevel: each word is one token of the vocabulary, or the unknown token. */
import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { type TokenSink, VocabModel } from './model.js';

export class WordLevel extends VocabModel {
  readonly type = 'WordLevel';

  constructor(
    vocab: Map<string, number> | Record<string, number>,
    readonly unkToken = '<unk>',
  ) {
    super(vocab);
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
