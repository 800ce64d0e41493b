/**
 * Character classes and byte-level tables shared by the pipeline stages. The classes follow
 * what Hugging Face tokenizers uses (Rust `char` methods and Oniguruma classes), which is not
 * always what JavaScript's regex shorthands mean: `\s` here is Unicode White_Space (with U+0085,
 * without U+FEFF), `\w` is Alphabetic | Mark | Nd | Pc | Join_Control.
 */

const WHITESPACE_RE = /^\p{White_Space}$/u;
const PUNCT_RE = /^\p{P}$/u;
const NUMERIC_RE = /^\p{N}$/u;
const WORD_RE = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const CONTROL_RE = /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u;
const MARK_RE = /^\p{M}$/u;
const MN_RE = /^\p{Mn}$/u;

/** Rust `char::is_whitespace`: the Unicode White_Space property. */
export function isWhitespace(cp: number): boolean {
  if (cp < 0x80) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d);
  return WHITESPACE_RE.test(String.fromCodePoint(cp));
}

/** BERT's punctuation: ASCII punctuation or any Unicode P* character. */
export function isPunctuation(cp: number): boolean {
  if (cp < 0x80) {
    return (
      (cp >= 33 && cp <= 47) ||
      (cp >= 58 && cp <= 64) ||
      (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)
    );
  }
  return PUNCT_RE.test(String.fromCodePoint(cp));
}

/** Rust `char::is_numeric`: Nd, Nl or No. */
export function isNumeric(cp: number): boolean {
  if (cp < 0x80) return cp >= 48 && cp <= 57;
  return NUMERIC_RE.test(String.fromCodePoint(cp));
}

/** Oniguruma's `\w` on Unicode text. */
export function isWordChar(cp: number): boolean {
  if (cp < 0x80) {
    return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95;
  }
  return WORD_RE.test(String.fromCodePoint(cp));
}

/** Control, format, private-use or surrogate (Cc, Cf, Co, Cs; not unassigned Cn), as BERT's cleanup. */
export function isControlOrFormat(cp: number): boolean {
  return CONTROL_RE.test(String.fromCodePoint(cp));
}

/** Any mark (Mn, Mc, Me), removed by the StripAccents normalizer. */
export function isMark(cp: number): boolean {
  if (cp < 0x300) return false;
  return MARK_RE.test(String.fromCodePoint(cp));
}

/** Unicode category Mn (non-spacing marks), removed by strip-accents. */
export function isMarkNonspacing(cp: number): boolean {
  if (cp < 0x300) return false;
  return MN_RE.test(String.fromCodePoint(cp));
}

/** The CJK ideograph ranges BERT pads with spaces. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * GPT-2's reversible byte-to-character map: printable Latin-1 bytes map to themselves, the
 * others to U+0100 upwards, so that every byte is a visible character.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return out;
})();

/** The byte-level character codes, one per byte. */
export const BYTE_TO_CODE: Uint16Array = Uint16Array.from(BYTE_TO_CHAR, (c) => c.charCodeAt(0));

/** Inverse of BYTE_TO_CHAR, indexed by char code (up to U+0143); -1 where not a byte char. */
export const CODE_TO_BYTE: Int16Array = (() => {
  const out = new Int16Array(0x144).fill(-1);
  for (let b = 0; b < 256; b++) out[BYTE_TO_CODE[b]] = b;
  return out;
})();

/**
 * Writes the UTF-8 bytes of `s` into `out` (grown when short) and returns the byte count.
 * Lone surrogates are encoded as U+FFFD, as a JS string reaches Rust.
 */
export function encodeUtf8(s: string, out: { buf: Uint8Array }): number {
  let buf = out.buf;
  if (buf.length < s.length * 3) {
    buf = new Uint8Array(Math.max(s.length * 3, buf.length * 2, 64));
    out.buf = buf;
  }
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[n++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[n++] = 0xf0 | (c >> 18);
        buf[n++] = 0x80 | ((c >> 12) & 0x3f);
        buf[n++] = 0x80 | ((c >> 6) & 0x3f);
        buf[n++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6);
      buf[n++] = 0x80 | (c & 0x3f);
    } else {
      buf[n++] = 0xe0 | (c >> 12);
      buf[n++] = 0x80 | ((c >> 6) & 0x3f);
      buf[n++] = 0x80 | (c & 0x3f);
    }
  }
  return n;
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, replacing each maximal invalid subsequence by U+FFFD (Rust's from_utf8_lossy). */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Decodes UTF-8 or returns null when the bytes are not valid UTF-8 (Rust's String::from_utf8). */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Replaces lone surrogates by U+FFFD (same length), as the text reaches Rust through N-API. */
export function toWellFormed(s: string): string {
  // String.prototype.toWellFormed exists from Node 20; keep a fallback for older browsers
  const f = (s as { toWellFormed?: () => string }).toWellFormed;
  if (f) return f.call(s);
  return s.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}
