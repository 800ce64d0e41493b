import type { JsonObject } from '../json.js';
import type { Decoder } from './decoder.js';

/** Applies decoders in order, each to the tokens the previous one produced. */
export class DecoderSequence implements Decoder {
  readonly type = 'Sequence';

  constructor(readonly decoders: Decoder[]) {}

  decodeChain(tokens: string[]): string[] {
    let list = tokens;
    for (const d of this.decoders) list = d.decodeChain(list);
    return list;
  }

  toJSON(): JsonObject {
    return { type: this.type, decoders: this.decoders.map((d) => d.toJSON()) };
  }
}
