import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { isMark } from '../unicode.js';
import type { Normalizer } from './normalizer.js';

/** Removes combining marks (Mn, Mc, Me; use after NFD to strip accents). */
export class StripAccents implements Normalizer {
  readonly type = 'StripAccents';

  normalize(text: NormalizedString): void {
    text.filter((cp) => !isMark(cp));
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
