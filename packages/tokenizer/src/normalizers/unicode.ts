/** Unicode normalization forms: NFC, NFD, NFKC, NFKD. */
import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import type { Normalizer } from './normalizer.js';

abstract class UnicodeNormalizer implements Normalizer {
  abstract readonly type: 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

  normalize(text: NormalizedString): void {
    text.normalizeUnicode(this.type);
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}

/** Canonical composition. */
export class NFC extends UnicodeNormalizer {
  readonly type = 'NFC';
}

/** Canonical decomposition. */
export class NFD extends UnicodeNormalizer {
  readonly type = 'NFD';
}

/** Compatibility composition. */
export class NFKC extends UnicodeNormalizer {
  readonly type = 'NFKC';
}

/** Compatibility decomposition. */
export class NFKD extends UnicodeNormalizer {
  readonly type = 'NFKD';
}
