import type { JsonObject } from '../json.js';
import type { PrependScheme } from '../pre-tokenizers/metaspace.js';
import type { Decoder } from './decoder.js';

/** Metaspace decoding: ▁ back to spaces; the first token loses its ▁ unless the scheme is never. */
export class MetaspaceDecoder implements Decoder {
  readonly type = 'Metaspace';

  constructor(
    readonly replacement = '\u2581',
    readonly prependScheme: PrependScheme = 'always',
    readonly split = true,
  ) {}

  decodeChain(tokens: string[]): string[] {
    const r = this.replacement;
    return tokens.map((token, i) => {
      if (!token.includes(r)) return token;
      const drop = i === 0 && this.prependScheme !== 'never';
      return token.split(r).join(drop ? '' : ' ');
    });
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      replacement: this.replacement,
      prepend_scheme: this.prependScheme,
      split: this.split,
    };
  }
}
