/** Pre-tokenizers and the factory that reads them from tokenizer.json. */
import {
  asArray,
  asObject,
  describe,
  type JsonObject,
  type JsonPath,
  readBoolean,
  readOptionalString,
  readPattern,
  readString,
  typeOf,
  unknownType,
  within,
} from '../json.js';
import { NormalizedString } from '../normalized-string.js';
import { SPLIT_BEHAVIORS, type SplitBehavior } from '../pattern.js';
import { toWellFormed } from '../unicode.js';
import { BertPreTokenizer } from './bert.js';
import { ByteLevelPreTokenizer } from './byte-level.js';
import { CharDelimiterSplit } from './char-delimiter-split.js';
import { Digits } from './digits.js';
import { Metaspace, type PrependScheme } from './metaspace.js';
import type { PreTokenizer } from './pre-tokenizer.js';
import { Punctuation } from './punctuation.js';
import { PreTokenizerSequence } from './sequence.js';
import { Split } from './split.js';
import { Whitespace } from './whitespace.js';
import { WhitespaceSplit } from './whitespace-split.js';

export type { ByteLevelOptions } from './byte-level.js';
export type { PrependScheme } from './metaspace.js';
export type { PreTokenizer } from './pre-tokenizer.js';
export {
  BertPreTokenizer,
  ByteLevelPreTokenizer,
  CharDelimiterSplit,
  Digits,
  Metaspace,
  PreTokenizerSequence,
  Punctuation,
  Split,
  Whitespace,
  WhitespaceSplit,
};

/** The pre-tokenizer types this package reads. */
export type PreTokenizerType =
  | 'ByteLevel'
  | 'Split'
  | 'Metaspace'
  | 'Whitespace'
  | 'WhitespaceSplit'
  | 'Digits'
  | 'Punctuation'
  | 'BertPreTokenizer'
  | 'CharDelimiterSplit'
  | 'Sequence';

/** The types the factory reads. */
export const PRE_TOKENIZER_TYPES: readonly PreTokenizerType[] = [
  'ByteLevel',
  'Split',
  'Metaspace',
  'Whitespace',
  'WhitespaceSplit',
  'Digits',
  'Punctuation',
  'BertPreTokenizer',
  'CharDelimiterSplit',
  'Sequence',
];

export function readBehavior(obj: JsonObject, key: string, at: JsonPath): SplitBehavior {
  const v = obj[key];
  if (typeof v === 'string' && (SPLIT_BEHAVIORS as readonly string[]).includes(v)) {
    return v as SplitBehavior;
  }
  throw at.key(key).error(`expected one of ${SPLIT_BEHAVIORS.join(', ')}, got ${describe(v)}`);
}

/** Reads Metaspace's options, including the older `add_prefix_space` form. */
export function readMetaspace(obj: JsonObject, at: JsonPath): [string, PrependScheme, boolean] {
  const replacement = readString(obj, 'replacement', at, '\u2581');
  if ([...replacement].length !== 1) {
    throw at.key('replacement').error(`expected one character, got ${describe(replacement)}`);
  }
  let scheme: PrependScheme;
  const s = readOptionalString(obj, 'prepend_scheme', at);
  if (s === null) scheme = readBoolean(obj, 'add_prefix_space', at, true) ? 'always' : 'never';
  else if (s === 'first' || s === 'always' || s === 'never') scheme = s;
  else throw at.key('prepend_scheme').error(`expected first, always or never, got '${s}'`);
  return [replacement, scheme, readBoolean(obj, 'split', at, true)];
}

/** Reads a pre-tokenizer from its tokenizer.json form; `at` names where it sits in the file. */
export function preTokenizerFromJSON(json: unknown, at: JsonPath): PreTokenizer {
  const type = typeOf(json, at, 'pre-tokenizer') as PreTokenizerType;
  const obj = asObject(json, at);
  const here = at.withComponent(type);
  switch (type) {
    case 'ByteLevel':
      return new ByteLevelPreTokenizer({
        addPrefixSpace: readBoolean(obj, 'add_prefix_space', here, true),
        useRegex: readBoolean(obj, 'use_regex', here, true),
        trimOffsets: readBoolean(obj, 'trim_offsets', here, true),
      });
    case 'Split': {
      const pattern = readPattern(obj, 'pattern', here);
      const behavior = readBehavior(obj, 'behavior', here);
      const invert = readBoolean(obj, 'invert', here, false);
      return within(here.key('pattern'), () => new Split(pattern, behavior, invert));
    }
    case 'Metaspace':
      return new Metaspace(...readMetaspace(obj, here));
    case 'Whitespace':
      return new Whitespace();
    case 'WhitespaceSplit':
      return new WhitespaceSplit();
    case 'Digits':
      return new Digits(readBoolean(obj, 'individual_digits', here, false));
    case 'Punctuation':
      return new Punctuation(
        obj.behavior == null ? 'Isolated' : readBehavior(obj, 'behavior', here),
      );
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'CharDelimiterSplit':
      return new CharDelimiterSplit(readString(obj, 'delimiter', here));
    case 'Sequence': {
      const list = asArray(obj.pretokenizers, here.key('pretokenizers'));
      return new PreTokenizerSequence(
        list.map((p, i) => preTokenizerFromJSON(p, at.key('pretokenizers').index(i))),
      );
    }
    default:
      return unknownType(type, at, 'pre-tokenizer', PRE_TOKENIZER_TYPES);
  }
}

/**
 * Runs a pre-tokenizer on a plain string: the pieces and their [start, end) in the string
 * (UTF-16 units by default, or code points as Hugging Face's pre_tokenize_str reports them).
 */
export function preTokenizeString(
  preTokenizer: PreTokenizer,
  text: string,
  options: { offsets?: 'utf16' | 'codePoint' } = {},
): [string, [number, number]][] {
  const pieces: NormalizedString[] = [];
  const source = NormalizedString.fromOriginal(toWellFormed(text));
  if (source.length > 0) preTokenizer.preTokenize(source, pieces);
  let index: Int32Array | null = null;
  if (options.offsets === 'codePoint') {
    index = new Int32Array(text.length + 1);
    let cp = 0;
    for (let i = 0; i < text.length; i++) {
      index[i] = cp;
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) index[++i] = cp;
      }
      cp++;
    }
    index[text.length] = cp;
  }
  return pieces.map((p) => {
    const [s, e] = p.originalRange(0, p.length);
    return [p.normalized, index ? [index[s], index[e]] : [s, e]];
  });
}
