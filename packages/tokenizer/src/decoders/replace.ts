import type { JsonObject, PatternJson } from '../json.js';
import { patternFromJson } from '../normalizers/replace.js';
import type { Pattern } from '../pattern.js';
import type { Decoder } from './decoder.js';

/** Replaces every match of a pattern in each token (e.g. ▁ by a space). */
export class ReplaceDecoder implements Decoder {
  readonly type = 'Replace';
  private readonly matcher: Pattern;

  constructor(
    readonly pattern: PatternJson,
    readonly content: string,
  ) {
    this.matcher = patternFromJson(pattern);
  }

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token) => {
      if ('String' in this.pattern && this.pattern.String.length > 0) {
        return token.split(this.pattern.String).join(this.content);
      }
      const m = this.matcher.findMatches(token);
      let out = '';
      for (let k = 0; k < m.length; k += 3) {
        out += m[k + 2] ? this.content : token.slice(m[k], m[k + 1]);
      }
      return out;
    });
  }

  toJSON(): JsonObject {
    return { type: this.type, pattern: { ...this.pattern }, content: this.content };
  }
}
