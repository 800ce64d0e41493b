import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { StringPattern } from '../pattern.js';
import type { PreTokenizer } from './pre-tokenizer.js';

/** When Metaspace adds the replacement before a piece. */
export type PrependScheme = 'first' | 'always' | 'never';

const SPACE = new StringPattern(' ');

/** SentencePiece-style: spaces become `replacement` (▁), which then starts each word. */
export class Metaspace implements PreTokenizer {
  readonly type = 'Metaspace';
  private readonly replacementPattern: StringPattern;

  constructor(
    readonly replacement = '\u2581',
    readonly prependScheme: PrependScheme = 'always',
    readonly split = true,
  ) {
    this.replacementPattern = new StringPattern(replacement);
  }

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    text.replace(SPACE, this.replacement);
    const starts = text.normalized.startsWith(this.replacement);
    if (this.prependScheme === 'always' && !starts) text.prepend(this.replacement);
    if (this.prependScheme === 'first' && !starts && text.origStart === 0) {
      text.prepend(this.replacement);
    }
    if (this.split) text.split(this.replacementPattern, 'MergedWithNext', out);
    else if (text.length > 0) out.push(text);
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
