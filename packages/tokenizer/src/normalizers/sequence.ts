import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import type { Normalizer } from './normalizer.js';

/** Applies normalizers in order. */
export class NormalizerSequence implements Normalizer {
  readonly type = 'Sequence';

  constructor(readonly normalizers: Normalizer[]) {}

  normalize(text: NormalizedString): void {
    for (const n of this.normalizers) n.normalize(text);
  }

  toJSON(): JsonObject {
    return { type: this.type, normalizers: this.normalizers.map((n) => n.toJSON()) };
  }
}
