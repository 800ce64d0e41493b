import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';
import { isChineseChar, isControlOrFormat, isMarkNonspacing, isWhitespace } from '../unicode.js';
import type { Normalizer } from './normalizer.js';

export interface BertNormalizerOptions {
  /** Remove control characters and turn all whitespace into a plain space. */
  cleanText?: boolean;
  /** Put spaces around CJK ideographs. */
  handleChineseChars?: boolean;
  /** Remove accents; null follows `lowercase`. */
  stripAccents?: boolean | null;
  lowercase?: boolean;
}

const isBertControl = (cp: number) => cp !== 9 && cp !== 10 && cp !== 13 && isControlOrFormat(cp);
const isBertWhitespace = (cp: number) => cp === 9 || cp === 10 || cp === 13 || isWhitespace(cp);

/** BERT's normalizer: clean text, pad CJK, strip accents, lowercase. */
export class BertNormalizer implements Normalizer {
  readonly type = 'BertNormalizer';
  readonly cleanText: boolean;
  readonly handleChineseChars: boolean;
  readonly stripAccents: boolean | null;
  readonly lowercase: boolean;

  constructor(options: BertNormalizerOptions = {}) {
    this.cleanText = options.cleanText ?? true;
    this.handleChineseChars = options.handleChineseChars ?? true;
    this.stripAccents = options.stripAccents ?? null;
    this.lowercase = options.lowercase ?? true;
  }

  normalize(text: NormalizedString): void {
    if (this.cleanText) {
      text.filter((cp) => !(cp === 0 || cp === 0xfffd || isBertControl(cp)));
      text.map((cp) => (isBertWhitespace(cp) ? 32 : cp));
    }
    if (this.handleChineseChars) {
      const s = text.normalized;
      let any = false;
      for (const ch of s) {
        if (isChineseChar(ch.codePointAt(0)!)) {
          any = true;
          break;
        }
      }
      if (any) {
        const cps: number[] = [];
        const changes: number[] = [];
        for (const ch of s) {
          const cp = ch.codePointAt(0)!;
          if (isChineseChar(cp)) {
            cps.push(32, cp, 32);
            changes.push(0, 1, 1);
          } else {
            cps.push(cp);
            changes.push(0);
          }
        }
        text.transform(cps, changes);
      }
    }
    if (this.stripAccents ?? this.lowercase) {
      text.normalizeUnicode('NFD');
      text.filter((cp) => !isMarkNonspacing(cp));
    }
    if (this.lowercase) text.lowercase();
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      clean_text: this.cleanText,
      handle_chinese_chars: this.handleChineseChars,
      strip_accents: this.stripAccents,
      lowercase: this.lowercase,
    };
  }
}
