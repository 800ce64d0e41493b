import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { CharPattern, type SplitBehavior } from '../pattern.js';
import { isPunctuation } from '../unicode.js';
import type { PreTokenizer } from './pre-tokenizer.js';

export const PUNCTUATION = new CharPattern(isPunctuation);

/** Splits off punctuation (ASCII punctuation and Unicode P*). */
export class Punctuation implements PreTokenizer {
  readonly type = 'Punctuation';

  constructor(readonly behavior: SplitBehavior = 'Isolated') {}

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    text.split(PUNCTUATION, this.behavior, out);
  }

  toJSON(): JsonObject {
    return { type: this.type, behavior: this.behavior };
  }
}
