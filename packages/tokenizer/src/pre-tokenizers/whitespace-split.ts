import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { CharPattern } from '../pattern.js';
import { isWhitespace } from '../unicode.js';
import type { PreTokenizer } from './pre-tokenizer.js';

const WHITESPACE = new CharPattern(isWhitespace);

/** Splits on whitespace, dropping it. */
export class WhitespaceSplit implements PreTokenizer {
  readonly type = 'WhitespaceSplit';

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    text.split(WHITESPACE, 'Removed', out);
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
