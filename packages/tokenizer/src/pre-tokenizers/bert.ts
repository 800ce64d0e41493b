import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { CharPattern } from '../pattern.js';
import { isWhitespace } from '../unicode.js';
import type { PreTokenizer } from './pre-tokenizer.js';
import { PUNCTUATION } from './punctuation.js';

const WHITESPACE = new CharPattern(isWhitespace);

/** BERT's pre-tokenizer: split on whitespace (dropped), then isolate each punctuation char. */
export class BertPreTokenizer implements PreTokenizer {
  readonly type = 'BertPreTokenizer';

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    for (const word of text.split(WHITESPACE, 'Removed')) word.split(PUNCTUATION, 'Isolated', out);
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
