import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';

/** A pre-tokenizer: splits a piece into the words the model sees (and may transform them). */
export interface PreTokenizer {
  /** The `type` tag in tokenizer.json. */
  readonly type: string;
  /** Appends the pieces `text` splits into to `out` (it may change `text`). */
  preTokenize(text: NormalizedString, out: NormalizedString[]): void;
  /** The tokenizer.json form, with its `type` tag. */
  toJSON(): JsonObject;
}
