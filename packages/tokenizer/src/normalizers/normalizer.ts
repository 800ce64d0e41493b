import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';

/** A normalizer: changes a piece of text in place, keeping alignments to the original. */
export interface Normalizer {
  /** The `type` tag in tokenizer.json. */
  readonly type: string;
  normalize(text: NormalizedString): void;
  /** The tokenizer.json form, with its `type` tag. */
  toJSON(): JsonObject;
}
