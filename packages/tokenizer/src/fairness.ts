/**
 * Tokenizer fairness across languages: fertility (tokens per word), bytes per token, and parity
 * (tokens a language needs for a text / tokens English needs for the same text, on parallel text,
 * as in Petrov et al. 2023, "Language Model Tokenizers Introduce Unfairness Between Languages").
 *
 * Every function takes any tokenizer with `encode(text, { addSpecialTokens: false })` returning
 * `{ ids }` or a promise of it (our `Tokenizer`, or another library through an adapter such as
 * `hfTokenizersAdapter`), and returns a promise. Totals are summed over all texts before
 * dividing (a ratio of sums, not a mean of ratios).
 */

import { utf8Length } from './trainers/pretokenize.js';

export interface EncodedIds {
  ids: ArrayLike<number>;
}

/** What the fairness functions need from a tokenizer. */
export interface FairnessTokenizer {
  encode(
    text: string,
    options: { addSpecialTokens: boolean },
  ): EncodedIds | PromiseLike<EncodedIds>;
}

/** Texts of one language: one string or several (summed). */
export type FairnessTexts = string | Iterable<string>;

/** Parallel texts by language code. */
export type TextsByLang =
  | Readonly<Record<string, FairnessTexts>>
  | ReadonlyMap<string, FairnessTexts>;

export interface TextStats {
  /** Token ids, special tokens not added. */
  tokens: number;
  /** Runs of non-whitespace characters. */
  words: number;
  /** UTF-8 bytes. */
  bytes: number;
}

export interface FairnessRow extends TextStats {
  lang: string;
  /** tokens / words. */
  fertility: number;
  /** bytes / tokens. */
  bytesPerToken: number;
  /** tokens / tokens of the reference language on the same (parallel) text. */
  parity: number;
}

export interface FairnessReport {
  reference: string;
  rows: FairnessRow[];
  /** The language with the highest parity (the reference itself only when it is alone). */
  worst: { lang: string; parity: number };
}

export interface ParityOptions {
  /** Language whose token count is the denominator. Default 'en'. */
  reference?: string;
}

/** Token, word and byte counts of `texts` under `tokenizer`. */
export function textStats(tokenizer: FairnessTokenizer, texts: FairnessTexts): Promise<TextStats> {
  return measure(tokenizer, texts, 'textStats');
}

async function measure(
  tokenizer: FairnessTokenizer,
  texts: FairnessTexts,
  fn: string,
): Promise<TextStats> {
  checkTokenizer(tokenizer, fn);
  const list = typeof texts === 'string' ? [texts] : texts;
  if (list == null || typeof (list as Iterable<string>)[Symbol.iterator] !== 'function') {
    throw new TypeError(
      `${fn}: texts must be a string or an iterable of strings, received ${typeof texts}`,
    );
  }
  const stats: TextStats = { tokens: 0, words: 0, bytes: 0 };
  for (const text of list) {
    if (typeof text !== 'string') {
      throw new TypeError(`${fn}: texts must contain strings, received ${typeof text}`);
    }
    const enc = await tokenizer.encode(text, { addSpecialTokens: false });
    if (enc == null || enc.ids == null || typeof enc.ids.length !== 'number') {
      throw new TypeError(`${fn}: tokenizer.encode must return { ids }, received ${describe(enc)}`);
    }
    stats.tokens += enc.ids.length;
    stats.words += countWords(text);
    stats.bytes += utf8Bytes(text);
  }
  return stats;
}

/** Tokens per whitespace-separated word. */
export async function fertility(
  tokenizer: FairnessTokenizer,
  texts: FairnessTexts,
): Promise<number> {
  const s = await measure(tokenizer, texts, 'fertility');
  if (s.words === 0)
    throw new RangeError('fertility: texts contain no words (only whitespace or nothing)');
  return s.tokens / s.words;
}

/** UTF-8 bytes per token. */
export async function bytesPerToken(
  tokenizer: FairnessTokenizer,
  texts: FairnessTexts,
): Promise<number> {
  const s = await measure(tokenizer, texts, 'bytesPerToken');
  if (s.tokens === 0) throw new RangeError('bytesPerToken: texts encode to no tokens');
  return s.bytes / s.tokens;
}

/**
 * Parity per language: tokens of the language / tokens of the reference language, on parallel
 * texts (the same content in every language). The reference maps to 1.
 */
export async function parity(
  tokenizer: FairnessTokenizer,
  textsByLang: TextsByLang,
  options: ParityOptions = {},
): Promise<Record<string, number>> {
  const r = await report(tokenizer, textsByLang, options, 'parity');
  const out: Record<string, number> = {};
  for (const row of r.rows) out[row.lang] = row.parity;
  return out;
}

/** Per-language tokens, words, bytes, fertility, bytes per token and parity, plus the worst parity. */
export function fairnessReport(
  tokenizer: FairnessTokenizer,
  textsByLang: TextsByLang,
  options: ParityOptions = {},
): Promise<FairnessReport> {
  return report(tokenizer, textsByLang, options, 'fairnessReport');
}

async function report(
  tokenizer: FairnessTokenizer,
  textsByLang: TextsByLang,
  options: ParityOptions,
  fn: string,
): Promise<FairnessReport> {
  const reference = options.reference ?? 'en';
  const entries = langEntries(textsByLang, fn);
  if (!entries.some(([lang]) => lang === reference)) {
    throw new RangeError(
      `${fn}: the reference language '${reference}' is not in textsByLang (languages: ${entries.map(([l]) => l).join(', ') || 'none'})`,
    );
  }
  const stats: [string, TextStats][] = [];
  for (const [lang, texts] of entries) stats.push([lang, await measure(tokenizer, texts, fn)]);
  const ref = stats.find(([lang]) => lang === reference)![1];
  if (ref.tokens === 0)
    throw new RangeError(`${fn}: the reference language '${reference}' has no tokens`);
  const rows = stats.map(([lang, s]): FairnessRow => {
    if (s.tokens === 0 || s.words === 0) {
      throw new RangeError(
        `${fn}: texts of '${lang}' have no ${s.words === 0 ? 'words' : 'tokens'}`,
      );
    }
    return {
      lang,
      ...s,
      fertility: s.tokens / s.words,
      bytesPerToken: s.bytes / s.tokens,
      parity: s.tokens / ref.tokens,
    };
  });
  let worst = rows.find((r) => r.lang === reference)!;
  for (const r of rows)
    if (r.lang !== reference && (worst.lang === reference || r.parity > worst.parity)) worst = r;
  return { reference, rows, worst: { lang: worst.lang, parity: worst.parity } };
}

/**
 * Adapter for the npm `tokenizers` package (Hugging Face's Node binding), whose `encode` is
 * `encode(text, pair, options) -> Promise<Encoding>` with `getIds()`.
 */
export function hfTokenizersAdapter(tokenizer: {
  encode(
    text: string,
    pair?: null,
    options?: { addSpecialTokens?: boolean },
  ): Promise<{ getIds(): number[] }>;
}): FairnessTokenizer {
  return {
    encode: async (text, options) => ({
      ids: (
        await tokenizer.encode(text, null, { addSpecialTokens: options.addSpecialTokens })
      ).getIds(),
    }),
  };
}

/** Number of maximal runs of non-whitespace characters. */
export function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** JavaScript's `\s` (WhiteSpace and LineTerminator of ECMA-262), tested per UTF-16 unit. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** UTF-8 length (a lone surrogate counts 3 bytes, as its U+FFFD replacement). */
export function utf8Bytes(text: string): number {
  return utf8Length(text);
}

function langEntries(textsByLang: TextsByLang, fn: string): [string, FairnessTexts][] {
  if (textsByLang instanceof Map) return [...textsByLang.entries()];
  if (textsByLang === null || typeof textsByLang !== 'object') {
    throw new TypeError(
      `${fn}: textsByLang must be an object or Map of language -> texts, received ${describe(textsByLang)}`,
    );
  }
  return Object.entries(textsByLang as Record<string, FairnessTexts>);
}

function checkTokenizer(tokenizer: FairnessTokenizer, fn: string): void {
  if (
    tokenizer === null ||
    typeof tokenizer !== 'object' ||
    typeof tokenizer.encode !== 'function'
  ) {
    throw new TypeError(
      `${fn}: tokenizer must have encode(text, { addSpecialTokens }) -> { ids }, received ${describe(tokenizer)}`,
    );
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object with keys [${Object.keys(v as object).join(', ')}]`;
  return typeof v;
}
