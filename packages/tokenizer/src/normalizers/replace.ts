import type { JsonObject, PatternJson } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { type Pattern, RegexPattern, StringPattern } from '../pattern.js';
import type { Normalizer } from './normalizer.js';

/** Builds the Pattern for a `{"String": …}` / `{"Regex": …}` JSON pattern. */
export function patternFromJson(pattern: PatternJson): Pattern {
  return 'String' in pattern ? new StringPattern(pattern.String) : new RegexPattern(pattern.Regex);
}

/** Replaces every match of a string or regex pattern by `content`. */
export class Replace implements Normalizer {
  readonly type = 'Replace';
  private readonly matcher: Pattern;

  constructor(
    readonly pattern: PatternJson,
    readonly content: string,
  ) {
    this.matcher = patternFromJson(pattern);
  }

  normalize(text: NormalizedString): void {
    text.replace(this.matcher, this.content);
  }

  toJSON(): JsonObject {
    return { type: this.type, pattern: { ...this.pattern }, content: this.content };
  }
}
