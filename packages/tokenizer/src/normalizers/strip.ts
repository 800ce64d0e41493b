import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { isWhitespace } from '../unicode.js';
import type { Normalizer } from './normalizer.js';

/** Strips whitespace on the left and/or right. */
export class Strip implements Normalizer {
  readonly type = 'Strip';

  constructor(
    readonly stripLeft = true,
    readonly stripRight = true,
  ) {}

  normalize(text: NormalizedString): void {
    text.strip(this.stripLeft, this.stripRight, isWhitespace);
  }

  toJSON(): JsonObject {
    return { type: this.type, strip_left: this.stripLeft, strip_right: this.stripRight };
  }
}
