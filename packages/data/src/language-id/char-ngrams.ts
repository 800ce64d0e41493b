/**
 * Character n-gram features for language identification: the text is lowercased, cut into
 * words (runs of letters, marks, hyphens and apostrophes; digits, punctuation and symbols
 * separate words), each word padded with one space on either side, and every n-gram of
 * orders 1..maxOrder inside a padded word is hashed into one of `buckets` slots (a power of
 * two). Hashing keeps the model a fixed-size table and the scoring loop allocation-free.
 */

let WORD: Uint8Array | null = null;
let LOWER: Uint16Array | null = null;
let SCRIPT: Uint8Array | null = null;

/**
 * Per UTF-16 unit: 1 when it is part of a word; its lowercase (a single unit); its script
 * (0 not a letter, 1 Latin, Greek or Cyrillic, 2 another script).
 */
function tables(): [Uint8Array, Uint16Array, Uint8Array] {
  if (WORD && LOWER && SCRIPT) return [WORD, LOWER, SCRIPT];
  const word = new Uint8Array(65536);
  const lower = new Uint16Array(65536);
  const script = new Uint8Array(65536);
  const letter = /[\p{L}\p{M}'’-]/u;
  const isLetter = /\p{L}/u;
  const euScript = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]/u;
  for (let c = 0; c < 65536; c++) {
    lower[c] = c;
    // surrogates count as word units so that letters outside the BMP stay inside words
    if (c >= 0xd800 && c <= 0xdfff) {
      word[c] = 1;
      script[c] = 2;
      continue;
    }
    const s = String.fromCharCode(c);
    if (!letter.test(s)) continue;
    word[c] = 1;
    if (isLetter.test(s)) script[c] = euScript.test(s) ? 1 : 2;
    const l = s.toLowerCase();
    if (l.length === 1) lower[c] = l.charCodeAt(0);
  }
  WORD = word;
  LOWER = lower;
  SCRIPT = script;
  return [word, lower, script];
}

/**
 * Letters of `text[start, end)` in the scripts of the EU languages (Latin, Greek, Cyrillic)
 * and in other scripts.
 */
export function scriptCounts(
  text: string,
  start: number,
  end: number,
): { eu: number; other: number } {
  const script = tables()[2];
  let eu = 0;
  let other = 0;
  for (let i = start; i < end; i++) {
    const s = script[text.charCodeAt(i)];
    if (s === 1) eu++;
    else if (s === 2) other++;
  }
  return { eu, other };
}

const SPACE = 32;

/**
 * Writes the bucket of every character n-gram (orders 1..maxOrder) of the padded words of
 * `text[start, end)` into `out` from index `at` (growing it when full); returns the new end
 * index and the buffer.
 */
export function ngramBuckets(
  text: string,
  start: number,
  end: number,
  maxOrder: number,
  mask: number,
  out: Int32Array,
  at: number,
): { end: number; buffer: Int32Array } {
  const [word, lower] = tables();
  // the last 8 units of the current padded word (maxOrder <= 8)
  const ring = new Uint16Array(8);
  let len = 0;
  let n = at;
  let buf = out;
  const ensure = () => {
    if (n + maxOrder >= buf.length) {
      const bigger = new Int32Array(buf.length * 2 + 64);
      bigger.set(buf.subarray(0, n));
      buf = bigger;
    }
  };
  for (let i = start; i <= end; i++) {
    // one past the end closes the last word
    const c = i < end ? text.charCodeAt(i) : 32;
    let unit: number;
    if (i < end && word[c] === 1) {
      if (len === 0) {
        ring[0] = SPACE;
        len = 1;
      }
      unit = lower[c];
    } else if (len > 0) {
      unit = SPACE;
    } else continue;
    ring[len & 7] = unit;
    len++;
    ensure();
    // n-grams that end at this unit: orders 1..min(maxOrder, len)
    let h = 0x811c9dc5;
    const top = Math.min(len, maxOrder);
    for (let k = 1; k <= top; k++) {
      const u = ring[(len - k) & 7];
      h = Math.imul(h ^ u, 0x01000193);
      if (k === 1 && u === SPACE) continue;
      let x = h ^ Math.imul(k, 0x9e3779b1);
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
      buf[n++] = (x ^ (x >>> 16)) & mask;
    }
    if (unit === SPACE && len > 1) len = 0;
  }
  return { end: n, buffer: buf };
}

/**
 * Calls `emit(bucket)` for every character n-gram (orders 1..maxOrder) of the padded words of
 * `text[start, end)`. Returns the number of n-grams emitted.
 */
export function forEachNgram(
  text: string,
  start: number,
  end: number,
  maxOrder: number,
  mask: number,
  emit: (bucket: number) => void,
): number {
  const { end: n, buffer } = ngramBuckets(
    text,
    start,
    end,
    maxOrder,
    mask,
    new Int32Array(1024),
    0,
  );
  for (let i = 0; i < n; i++) emit(buffer[i]);
  return n;
}
