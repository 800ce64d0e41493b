import type { Encoding } from '../encoding.js';
import { isWhitespace } from '../unicode.js';

/**
 * Byte-level offset trimming (HF `process_offsets`): a token's offsets leave out its leading
 * and trailing spaces ('Ġ' or whitespace), except the prefix space added to the first token.
 */
export function trimOffsets(encoding: Encoding, addPrefixSpace: boolean): void {
  const { tokens, offsets } = encoding;
  for (let i = 0; i < tokens.length; i++) {
    const chars = [...tokens[i]];
    const isSpace = (c: string) => c === '\u0120' || isWhitespace(c.codePointAt(0)!);
    let leading = 0;
    while (leading < chars.length && isSpace(chars[leading])) leading++;
    let trailing = 0;
    while (trailing < chars.length && isSpace(chars[chars.length - 1 - trailing])) trailing++;
    if (leading === 0 && trailing === 0) continue;
    const o = offsets[i];
    let start = o[0];
    let end = o[1];
    if (leading > 0) {
      const isFirst = i === 0 || start === 0;
      if (isFirst && addPrefixSpace && leading === 1) leading = 0;
      start = Math.min(start + leading, end);
    }
    if (trailing > 0 && end >= trailing) end = Math.max(end - trailing, start);
    offsets[i] = [start, end];
  }
}
