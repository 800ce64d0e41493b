/** Decoders and the factory that reads them from tokenizer.json. */
import {
  asArray,
  asObject,
  type JsonPath,
  readBoolean,
  readInteger,
  readPattern,
  readString,
  typeOf,
  unknownType,
  within,
} from '../json.js';
import { readMetaspace } from '../pre-tokenizers/index.js';
import { BPEDecoder } from './bpe.js';
import { ByteFallbackDecoder } from './byte-fallback.js';
import { ByteLevelDecoder } from './byte-level.js';
import type { Decoder } from './decoder.js';
import { Fuse } from './fuse.js';
import { MetaspaceDecoder } from './metaspace.js';
import { ReplaceDecoder } from './replace.js';
import { DecoderSequence } from './sequence.js';
import { StripDecoder } from './strip.js';
import { WordPieceDecoder } from './wordpiece.js';

export type { Decoder } from './decoder.js';
export { decodeTokens } from './decoder.js';
export {
  BPEDecoder,
  ByteFallbackDecoder,
  ByteLevelDecoder,
  DecoderSequence,
  Fuse,
  MetaspaceDecoder,
  ReplaceDecoder,
  StripDecoder,
  WordPieceDecoder,
};

/** The decoder types this package reads. */
export type DecoderType =
  | 'ByteLevel'
  | 'Metaspace'
  | 'ByteFallback'
  | 'Fuse'
  | 'Strip'
  | 'Replace'
  | 'WordPiece'
  | 'BPEDecoder'
  | 'Sequence';

/** The types the factory reads. */
export const DECODER_TYPES: readonly DecoderType[] = [
  'ByteLevel',
  'Metaspace',
  'ByteFallback',
  'Fuse',
  'Strip',
  'Replace',
  'WordPiece',
  'BPEDecoder',
  'Sequence',
];

/** Reads a decoder from its tokenizer.json form; `at` names where it sits in the file. */
export function decoderFromJSON(json: unknown, at: JsonPath): Decoder {
  const type = typeOf(json, at, 'decoder') as DecoderType;
  const obj = asObject(json, at);
  const here = at.withComponent(type);
  switch (type) {
    case 'ByteLevel':
      return new ByteLevelDecoder(
        readBoolean(obj, 'add_prefix_space', here, true),
        readBoolean(obj, 'trim_offsets', here, true),
        readBoolean(obj, 'use_regex', here, true),
      );
    case 'Metaspace':
      return new MetaspaceDecoder(...readMetaspace(obj, here));
    case 'ByteFallback':
      return new ByteFallbackDecoder();
    case 'Fuse':
      return new Fuse();
    case 'Strip':
      return new StripDecoder(
        readString(obj, 'content', here),
        readInteger(obj, 'start', here, 0),
        readInteger(obj, 'stop', here, 0),
      );
    case 'Replace':
      return within(
        here.key('pattern'),
        () =>
          new ReplaceDecoder(readPattern(obj, 'pattern', here), readString(obj, 'content', here)),
      );
    case 'WordPiece':
      return new WordPieceDecoder(
        readString(obj, 'prefix', here, '##'),
        readBoolean(obj, 'cleanup', here, true),
      );
    case 'BPEDecoder':
      return new BPEDecoder(readString(obj, 'suffix', here, '</w>'));
    case 'Sequence': {
      const list = asArray(obj.decoders, here.key('decoders'));
      return new DecoderSequence(
        list.map((d, i) => decoderFromJSON(d, at.key('decoders').index(i))),
      );
    }
    default:
      return unknownType(type, at, 'decoder', DECODER_TYPES);
  }
}
