import type { Encoding } from '../encoding.js';
import type { JsonObject } from '../json.js';

/** A post-processor: adds special tokens (and may adjust offsets) after the model. */
export interface PostProcessor {
  /** The `type` tag in tokenizer.json. */
  readonly type: string;
  /** Processes the encodings of a text (one) or a pair (two); the results are concatenated. */
  process(encodings: Encoding[], addSpecialTokens: boolean): Encoding[];
  /** The tokenizer.json form, with its `type` tag. */
  toJSON(): JsonObject;
}
