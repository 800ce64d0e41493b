import type { JsonObject } from '../json.js';
import type { Decoder } from './decoder.js';

/** Removes up to `start` leading and `stop` trailing `content` characters from each token. */
export class StripDecoder implements Decoder {
  readonly type = 'Strip';

  constructor(
    readonly content: string,
    readonly start: number,
    readonly stop: number,
  ) {}

  decodeChain(tokens: string[]): string[] {
    return tokens.map((token) => {
      const chars = [...token];
      let startCut = 0;
      for (let i = 0; i < Math.min(this.start, chars.length); i++) {
        if (chars[i] !== this.content) break;
        startCut = i + 1;
      }
      let stopCut = chars.length;
      for (let i = 0; i < Math.min(this.stop, chars.length); i++) {
        const index = chars.length - i - 1;
        if (chars[index] !== this.content) break;
        stopCut = index;
      }
      return stopCut <= startCut ? '' : chars.slice(startCut, stopCut).join('');
    });
  }

  toJSON(): JsonObject {
    return { type: this.type, content: this.content, start: this.start, stop: this.stop };
  }
}
