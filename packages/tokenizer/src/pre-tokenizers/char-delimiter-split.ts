import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { CharPattern } from '../pattern.js';
import type { PreTokenizer } from './pre-tokenizer.js';

/** Splits on one character, dropping it. */
export class CharDelimiterSplit implements PreTokenizer {
  readonly type = 'CharDelimiterSplit';
  private readonly pattern: CharPattern;

  constructor(readonly delimiter: string) {
    const cp = delimiter.codePointAt(0);
    this.pattern = new CharPattern((c) => c === cp);
  }

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    text.split(this.pattern, 'Removed', out);
  }

  toJSON(): JsonObject {
    return { type: this.type, delimiter: this.delimiter };
  }
}
