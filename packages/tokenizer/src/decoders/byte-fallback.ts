import type { JsonObject } from '../json.js';
import { decodeUtf8Strict } from '../unicode.js';
import type { Decoder } from './decoder.js';

/** The byte a `<0xXX>` token stands for, or -1 (accepts what Rust's from_str_radix does). */
function byteOf(token: string): number {
  if (token.length !== 6 || !token.startsWith('<0x') || token[5] !== '>') return -1;
  const hex = token.slice(3, 5);
  if (!/^(?:[0-9a-fA-F]{2}|\+[0-9a-fA-F])$/.test(hex)) return -1;
  return Number.parseInt(hex.replace('+', ''), 16);
}

/**
 * Byte fallback decoding: runs of <0xXX> tokens become the UTF-8 text they spell, or one
 * U+FFFD per byte when they are not valid UTF-8.
 */
export class ByteFallbackDecoder implements Decoder {
  readonly type = 'ByteFallback';

  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let pending: number[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      const s = decodeUtf8Strict(Uint8Array.from(pending));
      if (s !== null) out.push(s);
      else for (let i = 0; i < pending.length; i++) out.push('\ufffd');
      pending = [];
    };
    for (const token of tokens) {
      const b = byteOf(token);
      if (b >= 0) {
        pending.push(b);
      } else {
        flush();
        out.push(token);
      }
    }
    flush();
    return out;
  }

  toJSON(): JsonObject {
    return { type: this.type };
  }
}
