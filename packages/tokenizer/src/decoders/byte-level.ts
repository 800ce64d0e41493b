import type { JsonObject } from '../json.js';
import { CODE_TO_BYTE, decodeUtf8Lossy, encodeUtf8 } from '../unicode.js';
import type { Decoder } from './decoder.js';

/**
 * Byte-level decoding: byte characters back to bytes, then UTF-8 with U+FFFD for invalid
 * sequences. A token that is not all byte characters (an added token) keeps its own UTF-8.
 */
export class ByteLevelDecoder implements Decoder {
  readonly type = 'ByteLevel';
  private readonly scratch = { buf: new Uint8Array(64) };

  constructor(
    readonly addPrefixSpace = true,
    readonly trimOffsets = true,
    readonly useRegex = true,
  ) {}

  decodeChain(tokens: string[]): string[] {
    let total = 0;
    for (const t of tokens) total += t.length * 3;
    const bytes = new Uint8Array(total);
    let n = 0;
    for (const t of tokens) {
      let all = true;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (c >= CODE_TO_BYTE.length || CODE_TO_BYTE[c] < 0) {
          all = false;
          break;
        }
      }
      if (all) {
        for (let i = 0; i < t.length; i++) bytes[n++] = CODE_TO_BYTE[t.charCodeAt(i)];
      } else {
        const len = encodeUtf8(t, this.scratch);
        bytes.set(this.scratch.buf.subarray(0, len), n);
        n += len;
      }
    }
    return [decodeUtf8Lossy(bytes.subarray(0, n))];
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      add_prefix_space: this.addPrefixSpace,
      trim_offsets: this.trimOffsets,
      use_regex: this.useRegex,
    };
  }
}
