import type { JsonObject } from '../json.js';
import type { Decoder } from './decoder.js';

/** Decoding for BPE with an end-of-word suffix (e.g. `</w>`): the suffix becomes a space. */
export class BPEDecoder implements Decoder {
  readonly type = 'BPEDecoder';

  constructor(readonly suffix = '</w>') {}

  decodeChain(tokens: string[]): string[] {
    const last = tokens.length - 1;
    return tokens.map((t, i) => t.split(this.suffix).join(i === last ? '' : ' '));
  }

  toJSON(): JsonObject {
    return { type: this.type, suffix: this.suffix };
  }
}
