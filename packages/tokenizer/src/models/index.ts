/** Models and the factory that reads them from tokenizer.json. */
import {
  asArray,
  asObject,
  describe,
  type JsonObject,
  type JsonPath,
  readBoolean,
  readInteger,
  readOptionalString,
  readString,
  unknownType,
  within,
} from '../json.js';
import { BPE } from './bpe.js';
import type { Model } from './model.js';
import { Unigram } from './unigram.js';
import { WordLevel } from './wordlevel.js';
import { WordPiece } from './wordpiece.js';

export type { BpeOptions } from './bpe.js';
export type { Model, TokenSink } from './model.js';
export type { UnigramOptions } from './unigram.js';
export type { WordPieceOptions } from './wordpiece.js';
export { BPE, Unigram, WordLevel, WordPiece };

/** The model types this package reads. */
export type ModelType = 'BPE' | 'Unigram' | 'WordPiece' | 'WordLevel';

/** The types the factory reads. */
export const MODEL_TYPES: readonly ModelType[] = ['BPE', 'Unigram', 'WordPiece', 'WordLevel'];

function readVocabObject(obj: JsonObject, at: JsonPath): Map<string, number> {
  const here = at.key('vocab');
  const v = asObject(obj.vocab, here);
  const map = new Map<string, number>();
  for (const token of Object.keys(v)) {
    const id = v[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw here.error(
        `token ${describe(token)} has id ${describe(id)}, expected a non-negative integer`,
      );
    }
    map.set(token, id);
  }
  return map;
}

function readMerges(obj: JsonObject, at: JsonPath): [string, string][] {
  const here = at.key('merges');
  const list = obj.merges === undefined ? [] : asArray(obj.merges, here);
  const out: [string, string][] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (typeof m === 'string') {
      const sp = m.indexOf(' ');
      if (sp < 0 || m.indexOf(' ', sp + 1) >= 0) {
        throw here.index(i).error(`expected "a b" (one space) or ["a", "b"], got ${describe(m)}`);
      }
      out[i] = [m.slice(0, sp), m.slice(sp + 1)];
    } else if (
      Array.isArray(m) &&
      m.length === 2 &&
      typeof m[0] === 'string' &&
      typeof m[1] === 'string'
    ) {
      out[i] = [m[0], m[1]];
    } else {
      throw here.index(i).error(`expected "a b" or ["a", "b"], got ${describe(m)}`);
    }
  }
  return out;
}

/** Old files leave out the model's type: infer it from the fields, as HF does. */
function inferType(obj: JsonObject): string | undefined {
  if (typeof obj.type === 'string') return obj.type;
  if ('merges' in obj) return 'BPE';
  if (Array.isArray(obj.vocab)) return 'Unigram';
  if ('max_input_chars_per_word' in obj || 'continuing_subword_prefix' in obj) return 'WordPiece';
  if ('vocab' in obj) return 'WordLevel';
  return undefined;
}

/** Reads a model from its tokenizer.json form; `at` names where it sits in the file. */
export function modelFromJSON(json: unknown, at: JsonPath): Model {
  const obj = asObject(json, at);
  const type = inferType(obj) as ModelType | undefined;
  if (type === undefined) throw at.error(`model has no 'type' (got ${describe(obj.type)})`);
  const here = at.withComponent(type);
  switch (type) {
    case 'BPE': {
      const dropout = obj.dropout;
      if (dropout !== undefined && dropout !== null && dropout !== 0) {
        throw here
          .key('dropout')
          .error(`dropout ${describe(dropout)} is not supported (only null)`);
      }
      const vocab = readVocabObject(obj, here);
      const merges = readMerges(obj, here);
      return within(
        here,
        () =>
          new BPE(vocab, merges, {
            unkToken: readOptionalString(obj, 'unk_token', here),
            continuingSubwordPrefix: readOptionalString(obj, 'continuing_subword_prefix', here),
            endOfWordSuffix: readOptionalString(obj, 'end_of_word_suffix', here),
            fuseUnk: readBoolean(obj, 'fuse_unk', here, false),
            byteFallback: readBoolean(obj, 'byte_fallback', here, false),
            ignoreMerges: readBoolean(obj, 'ignore_merges', here, false),
          }),
      );
    }
    case 'Unigram': {
      const list = asArray(obj.vocab, here.key('vocab'));
      const vocab: [string, number][] = list.map((entry, i) => {
        if (
          !Array.isArray(entry) ||
          entry.length !== 2 ||
          typeof entry[0] !== 'string' ||
          typeof entry[1] !== 'number'
        ) {
          throw here
            .key('vocab')
            .index(i)
            .error(`expected [token, score], got ${describe(entry)}`);
        }
        return [entry[0], entry[1]];
      });
      const unkId = obj.unk_id == null ? null : readInteger(obj, 'unk_id', here);
      return within(
        here,
        () =>
          new Unigram(vocab, {
            unkId,
            byteFallback: readBoolean(obj, 'byte_fallback', here, false),
          }),
      );
    }
    case 'WordPiece':
      return new WordPiece(readVocabObject(obj, here), {
        unkToken: readString(obj, 'unk_token', here, '[UNK]'),
        continuingSubwordPrefix: readString(obj, 'continuing_subword_prefix', here, '##'),
        maxInputCharsPerWord: readInteger(obj, 'max_input_chars_per_word', here, 100),
      });
    case 'WordLevel':
      return new WordLevel(readVocabObject(obj, here), readString(obj, 'unk_token', here, '<unk>'));
    default:
      return unknownType(type, at, 'model', MODEL_TYPES);
  }
}
