/** Post-processors and the factory that reads them from tokenizer.json. */
import {
  asArray,
  asObject,
  describe,
  type JsonObject,
  type JsonPath,
  readBoolean,
  typeOf,
  unknownType,
  within,
} from '../json.js';
import { ByteLevelPostProcessor } from './byte-level.js';
import type { PostProcessor } from './post-processor.js';
import { BertProcessing, RobertaProcessing } from './roberta.js';
import { PostProcessorSequence } from './sequence.js';
import { type TemplatePiece, TemplateProcessing, type TemplateSpecialToken } from './template.js';

export type { PostProcessor } from './post-processor.js';
export type { TemplatePiece, TemplateSpecialToken } from './template.js';
export {
  BertProcessing,
  ByteLevelPostProcessor,
  PostProcessorSequence,
  RobertaProcessing,
  TemplateProcessing,
};

/** The post-processor types this package reads. */
export type PostProcessorType =
  | 'TemplateProcessing'
  | 'ByteLevel'
  | 'RobertaProcessing'
  | 'BertProcessing'
  | 'Sequence';

/** The types the factory reads. */
export const POST_PROCESSOR_TYPES: readonly PostProcessorType[] = [
  'TemplateProcessing',
  'ByteLevel',
  'RobertaProcessing',
  'BertProcessing',
  'Sequence',
];

function readTokenPair(obj: JsonObject, key: string, at: JsonPath): [string, number] {
  const v = obj[key];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && Number.isInteger(v[1])) {
    return [v[0], v[1] as number];
  }
  throw at.key(key).error(`expected [token, id], got ${describe(v)}`);
}

function readTemplate(value: unknown, at: JsonPath): TemplatePiece[] {
  if (typeof value === 'string') return within(at, () => TemplateProcessing.parseTemplate(value));
  return asArray(value, at).map((item, i) => {
    const here = at.index(i);
    const o = asObject(item, here);
    if (o.SpecialToken !== undefined) {
      const s = asObject(o.SpecialToken, here.key('SpecialToken'));
      if (typeof s.id !== 'string')
        throw here.key('SpecialToken.id').error(`expected a string, got ${describe(s.id)}`);
      return { kind: 'special', id: s.id, typeId: Number(s.type_id ?? 0) };
    }
    if (o.Sequence !== undefined) {
      const s = asObject(o.Sequence, here.key('Sequence'));
      if (s.id !== 'A' && s.id !== 'B')
        throw here.key('Sequence.id').error(`expected 'A' or 'B', got ${describe(s.id)}`);
      return { kind: 'sequence', id: s.id, typeId: Number(s.type_id ?? 0) };
    }
    throw here.error(`expected {"SpecialToken": …} or {"Sequence": …}, got ${describe(item)}`);
  });
}

function readSpecialTokens(value: unknown, at: JsonPath): Map<string, TemplateSpecialToken> {
  const map = new Map<string, TemplateSpecialToken>();
  const obj = value == null ? {} : asObject(value, at);
  for (const name of Object.keys(obj)) {
    const here = at.key(name);
    const t = asObject(obj[name], here);
    const ids = asArray(t.ids, here.key('ids'));
    const tokens = asArray(t.tokens, here.key('tokens'));
    if (
      !ids.every((x) => Number.isInteger(x)) ||
      !tokens.every((x) => typeof x === 'string') ||
      ids.length !== tokens.length
    ) {
      throw here.error(`expected ids and tokens of the same length, got ${describe(t)}`);
    }
    map.set(name, {
      id: typeof t.id === 'string' ? t.id : name,
      ids: ids as number[],
      tokens: tokens as string[],
    });
  }
  return map;
}

/** Reads a post-processor from its tokenizer.json form; `at` names where it sits in the file. */
export function postProcessorFromJSON(json: unknown, at: JsonPath): PostProcessor {
  const type = typeOf(json, at, 'post-processor') as PostProcessorType;
  const obj = asObject(json, at);
  const here = at.withComponent(type);
  switch (type) {
    case 'TemplateProcessing': {
      const single = readTemplate(obj.single, here.key('single'));
      const pair = obj.pair == null ? single : readTemplate(obj.pair, here.key('pair'));
      const special = readSpecialTokens(obj.special_tokens, here.key('special_tokens'));
      return within(here, () => new TemplateProcessing(single, pair, special));
    }
    case 'ByteLevel':
      return new ByteLevelPostProcessor(
        readBoolean(obj, 'add_prefix_space', here, true),
        readBoolean(obj, 'trim_offsets', here, true),
        readBoolean(obj, 'use_regex', here, true),
      );
    case 'RobertaProcessing':
      return new RobertaProcessing(
        readTokenPair(obj, 'sep', here),
        readTokenPair(obj, 'cls', here),
        readBoolean(obj, 'trim_offsets', here, true),
        readBoolean(obj, 'add_prefix_space', here, true),
      );
    case 'BertProcessing':
      return new BertProcessing(readTokenPair(obj, 'sep', here), readTokenPair(obj, 'cls', here));
    case 'Sequence': {
      const list = asArray(obj.processors, here.key('processors'));
      return new PostProcessorSequence(
        list.map((p, i) => postProcessorFromJSON(p, at.key('processors').index(i))),
      );
    }
    default:
      return unknownType(type, at, 'post-processor', POST_PROCESSOR_TYPES);
  }
}
