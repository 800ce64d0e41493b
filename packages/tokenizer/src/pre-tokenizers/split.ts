import type { JsonObject, PatternJson } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { patternFromJson } from '../normalizers/replace.js';
import { InvertedPattern, type Pattern, type SplitBehavior } from '../pattern.js';
import type { PreTokenizer } from './pre-tokenizer.js';

/** Splits on a string or regex pattern, keeping or dropping the delimiters as `behavior` says. */
export class Split implements PreTokenizer {
  readonly type = 'Split';
  /** The pattern as applied (inverted when `invert` is set). */
  readonly matcher: Pattern;

  constructor(
    readonly pattern: PatternJson,
    readonly behavior: SplitBehavior,
    readonly invert = false,
  ) {
    const p = patternFromJson(pattern);
    this.matcher = invert ? new InvertedPattern(p) : p;
  }

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    text.split(this.matcher, this.behavior, out);
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      pattern: { ...this.pattern },
      behavior: this.behavior,
      invert: this.invert,
    };
  }
}
