/**
 * Pre-tokenization for the BPE trainer: the split regexes of GPT-2 and Llama-3 (as the Oniguruma
 * pattern written into `tokenizer.json` and as the equivalent JavaScript RegExp used to count
 * words), and the byte-level alphabet in vocabulary order.
 */
import { BYTE_TO_CHAR } from '../unicode.js';

/** Which split regex a trained tokenizer uses in front of its byte-level BPE. */
export type BpePreTokenizer = 'gpt2' | 'llama3';

export interface SplitPattern {
  /** The pattern as Hugging Face tokenizers (Oniguruma) reads it from `tokenizer.json`. */
  readonly hf: string;
  /** The same split as a JavaScript RegExp source, for the `gu` flags. */
  readonly js: string;
}

// Oniguruma's Unicode `\s` is the White_Space property; JavaScript's `\s` differs from it
// (it adds U+FEFF and lacks U+0085), so the JavaScript versions spell the property out.
const WS = '\\p{White_Space}';
const NOT_WS = '\\P{White_Space}';

/**
 * The split patterns. In `js`, `(?i:'s|'t|...)` (Node 20 has no inline modifiers) becomes explicit
 * case classes; `ſ` (U+017F) is there because Unicode case folding maps it to `s`.
 */
export const SPLIT_PATTERNS: Readonly<Record<BpePreTokenizer, SplitPattern>> = {
  gpt2: {
    hf: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
    js: `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${WS}+(?!${NOT_WS})|${WS}+`,
  },
  llama3: {
    hf: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    js:
      "'(?:[sSſ]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])" +
      `|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*` +
      `|${WS}*[\\r\\n]+|${WS}+(?!${NOT_WS})|${WS}+`,
  },
};

/** A fresh global RegExp for the named split (each caller gets its own `lastIndex`). */
export function splitRegExp(kind: BpePreTokenizer): RegExp {
  const p = SPLIT_PATTERNS[kind];
  if (!p) {
    throw new Error(
      `trainBpe: options.preTokenizer must be 'gpt2' or 'llama3', received ${JSON.stringify(kind)}`,
    );
  }
  return new RegExp(p.js, 'gu');
}

/**
 * Splits `text` the way a `Split` pre-tokenizer with behavior `Isolated` does: every match is a
 * piece, and so is every stretch between matches (both patterns match every character, so in
 * practice the pieces are exactly the matches). `re` must carry the `g` flag.
 */
export function splitIsolated(text: string, re: RegExp): string[] {
  const pieces = text.match(re);
  if (pieces === null) return text.length > 0 ? [text] : [];
  let covered = 0;
  for (let i = 0; i < pieces.length; i++) covered += pieces[i].length;
  if (covered === text.length) return pieces;
  // Some characters were not matched: walk the matches and keep the gaps as pieces too.
  const out: string[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/**
 * The 256 byte-level symbols in vocabulary order: sorted by code point, which is the order of
 * GPT-2's vocabulary and of Hugging Face's trainer (it sorts its alphabet by code point).
 */
export const BYTE_ALPHABET: readonly string[] = [...BYTE_TO_CHAR].sort(
  (x, y) => x.charCodeAt(0) - y.charCodeAt(0),
);

/** UTF-8 length of `s` (a lone surrogate counts 3 bytes, as its U+FFFD replacement). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/**
 * Writes the UTF-8 bytes of `s` (lone surrogates become U+FFFD, as TextEncoder does) mapped
 * through `map` into `out` from `at`; returns the position after the last byte. `out` must have
 * room for `3 * s.length` entries.
 */
export function writeUtf8Mapped(s: string, map: Int32Array, out: Int32Array, at: number): number {
  let o = at;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = map[c];
      continue;
    }
    if (c < 0x800) {
      out[o++] = map[0xc0 | (c >> 6)];
      out[o++] = map[0x80 | (c & 63)];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[o++] = map[0xf0 | (c >> 18)];
        out[o++] = map[0x80 | ((c >> 12) & 63)];
        out[o++] = map[0x80 | ((c >> 6) & 63)];
        out[o++] = map[0x80 | (c & 63)];
        continue;
      }
      c = 0xfffd; // lone surrogate
    }
    out[o++] = map[0xe0 | (c >> 12)];
    out[o++] = map[0x80 | ((c >> 6) & 63)];
    out[o++] = map[0x80 | (c & 63)];
  }
  return o;
}
