import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { InvertedPattern, RegexPattern } from '../pattern.js';
import type { PreTokenizer } from './pre-tokenizer.js';

// HF runs this one with Rust's regex crate, whose \w also has the join controls (ZWJ, ZWNJ)
const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const SOURCE = `[${WORD}]+|[^${WORD}\\p{White_Space}]+`;
let words: InvertedPattern | null = null;

/** Splits into runs of word characters and runs of other non-space characters (`\w+|[^\w\s]+`). */
export class Whitespace implements PreTokenizer {
  readonly type = 'Whitespace';

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    words ??= new InvertedPattern(new RegexPattern(SOURCE, new RegExp(SOURCE, 'gv')));
    text.split(words, 'Removed', out);
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
