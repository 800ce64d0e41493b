import type { JsonObject } from '../json.js';
import { NormalizedString } from '../normalized-string.js';
import { RegexPattern } from '../pattern.js';
import type { PreTokenizer } from './pre-tokenizer.js';

/** GPT-2's word-splitting regex, used when `useRegex` is on. */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

let gpt2: RegexPattern | null = null;

/** GPT-2's word-splitting regex, compiled once. */
export function gpt2Pattern(): RegexPattern {
  gpt2 ??= new RegexPattern(GPT2_PATTERN);
  return gpt2;
}

export interface ByteLevelOptions {
  /** Add a space before a piece that does not start with one (default true). */
  addPrefixSpace?: boolean;
  /** Split with GPT-2's regex first (default true). */
  useRegex?: boolean;
  /** Used by the post-processor: trim offsets of tokens to exclude whitespace (default true). */
  trimOffsets?: boolean;
}

/** GPT-2's byte-level pre-tokenizer: each UTF-8 byte becomes one visible character. */
export class ByteLevelPreTokenizer implements PreTokenizer {
  readonly type = 'ByteLevel';
  readonly addPrefixSpace: boolean;
  readonly useRegex: boolean;
  readonly trimOffsets: boolean;

  constructor(options: ByteLevelOptions = {}) {
    this.addPrefixSpace = options.addPrefixSpace ?? true;
    this.useRegex = options.useRegex ?? true;
    this.trimOffsets = options.trimOffsets ?? true;
  }

  preTokenize(text: NormalizedString, out: NormalizedString[]): void {
    if (this.addPrefixSpace && text.normalized.charCodeAt(0) !== 32) text.prepend(' ');
    if (!this.useRegex) {
      if (text.length > 0) out.push(NormalizedString.byteLevel(text));
      return;
    }
    const parts = text.split(gpt2Pattern(), 'Isolated');
    for (const p of parts) out.push(NormalizedString.byteLevel(p));
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      add_prefix_space: this.addPrefixSpace,
      trim_offsets: this.trimOffsets,
      use_regex: this.useRegex,
    };
  }
}
