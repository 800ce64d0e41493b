import type { JsonObject } from '../json.js';
import type { Decoder } from './decoder.js';

/** Joins all tokens into one. */
export class Fuse implements Decoder {
  readonly type = 'Fuse';

  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
