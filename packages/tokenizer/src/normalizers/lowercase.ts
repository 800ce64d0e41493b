import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import type { Normalizer } from './normalizer.js';

/** Lowercases each character on its own (no final-sigma rule, as Rust's char::to_lowercase). */
export class Lowercase implements Normalizer {
  readonly type = 'Lowercase';

  normalize(text: NormalizedString): void {
    text.lowercase();
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
