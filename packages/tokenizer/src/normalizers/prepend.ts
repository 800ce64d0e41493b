import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import type { Normalizer } from './normalizer.js';

/** Prepends a string to every non-empty piece (SentencePiece's "▁"). */
export class Prepend implements Normalizer {
  readonly type = 'Prepend';

  constructor(readonly prepend: string) {}

  normalize(text: NormalizedString): void {
    text.prepend(this.prepend);
  }

  toJSON(): JsonObject {
    return { type: this.type, prepend: this.prepend };
  }
}
