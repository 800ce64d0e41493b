import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { CharPattern } from '../pattern.js';
import { isNumeric } from '../unicode.js';
import type { PreTokenizer } from './pre-tokenizer.js';

const NUMERIC = new CharPattern(isNumeric);

/** Splits numbers from the rest: each digit alone, or runs of digits together. */
export class Digits implements PreTokenizer {
  readonly type = 'Digits';

  constructor(readonly individualDigits = false) {}

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    text.split(NUMERIC, this.individualDigits ? 'Isolated' : 'Contiguous', out);
  }

  toJSON(): JsonObject {
    return { type: this.type, individual_digits: this.individualDigits };
  }
}
