/** Normalizers and the factory that reads them from tokenizer.json. */
import {
  asArray,
  asObject,
  type JsonPath,
  readBoolean,
  readPattern,
  readString,
  typeOf,
  unknownType,
  within,
} from '../json.js';
import { NormalizedString } from '../normalized-string.js';
import { toWellFormed } from '../unicode.js';
import { BertNormalizer } from './bert.js';
import { Lowercase } from './lowercase.js';
import type { Normalizer } from './normalizer.js';
import { Prepend } from './prepend.js';
import { Replace } from './replace.js';
import { NormalizerSequence } from './sequence.js';
import { Strip } from './strip.js';
import { StripAccents } from './strip-accents.js';
import { NFC, NFD, NFKC, NFKD } from './unicode.js';

export type { Normalizer } from './normalizer.js';
export {
  BertNormalizer,
  Lowercase,
  NFC,
  NFD,
  NFKC,
  NFKD,
  NormalizerSequence,
  Prepend,
  Replace,
  Strip,
  StripAccents,
};

/** The normalizer types this package reads. */
export type NormalizerType =
  | 'NFC'
  | 'NFD'
  | 'NFKC'
  | 'NFKD'
  | 'Lowercase'
  | 'Replace'
  | 'Prepend'
  | 'Strip'
  | 'StripAccents'
  | 'BertNormalizer'
  | 'Sequence';

/** The types the factory reads. */
export const NORMALIZER_TYPES: readonly NormalizerType[] = [
  'NFC',
  'NFD',
  'NFKC',
  'NFKD',
  'Lowercase',
  'Replace',
  'Prepend',
  'Strip',
  'StripAccents',
  'BertNormalizer',
  'Sequence',
];

/** Reads a normalizer from its tokenizer.json form; `at` names where it sits in the file. */
export function normalizerFromJSON(json: unknown, at: JsonPath): Normalizer {
  const type = typeOf(json, at, 'normalizer') as NormalizerType;
  const obj = asObject(json, at);
  const here = at.withComponent(type);
  switch (type) {
    case 'NFC':
      return new NFC();
    case 'NFD':
      return new NFD();
    case 'NFKC':
      return new NFKC();
    case 'NFKD':
      return new NFKD();
    case 'Lowercase':
      return new Lowercase();
    case 'Replace':
      return within(
        here.key('pattern'),
        () => new Replace(readPattern(obj, 'pattern', here), readString(obj, 'content', here)),
      );
    case 'Prepend':
      return new Prepend(readString(obj, 'prepend', here));
    case 'Strip':
      return new Strip(
        readBoolean(obj, 'strip_left', here, true),
        readBoolean(obj, 'strip_right', here, true),
      );
    case 'StripAccents':
      return new StripAccents();
    case 'BertNormalizer':
      return new BertNormalizer({
        cleanText: readBoolean(obj, 'clean_text', here, true),
        handleChineseChars: readBoolean(obj, 'handle_chinese_chars', here, true),
        stripAccents: obj.strip_accents == null ? null : readBoolean(obj, 'strip_accents', here),
        lowercase: readBoolean(obj, 'lowercase', here, true),
      });
    case 'Sequence': {
      const list = asArray(obj.normalizers, here.key('normalizers'));
      return new NormalizerSequence(
        list.map((n, i) => normalizerFromJSON(n, at.key('normalizers').index(i))),
      );
    }
    default:
      return unknownType(type, at, 'normalizer', NORMALIZER_TYPES);
  }
}

/** Normalizes a plain string (for added tokens whose content is normalized). */
export function normalizeString(normalizer: Normalizer | null, s: string): string {
  const text = toWellFormed(s);
  if (!normalizer) return text;
  const ns = NormalizedString.fromOriginal(text);
  normalizer.normalize(ns);
  return ns.normalized;
}
