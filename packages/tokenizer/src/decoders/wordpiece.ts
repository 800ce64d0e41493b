import type { JsonObject } from '../json.js';
import type { Decoder } from './decoder.js';

/** BERT's cleanup of spaces before punctuation and contractions. */
export function cleanup(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** WordPiece decoding: `##` pieces join the previous word, other tokens get a space. */
export class WordPieceDecoder implements Decoder {
  readonly type = 'WordPiece';

  constructor(
    readonly prefix = '##',
    readonly cleanup = true,
  ) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token, i) => {
      let t = token;
      if (i !== 0) t = t.startsWith(this.prefix) ? t.replace(this.prefix, '') : ` ${t}`;
      return this.cleanup ? cleanup(t) : t;
    });
  }

  toJSON(): JsonObject {
    return { type: this.type, prefix: this.prefix, cleanup: this.cleanup };
  }
}
