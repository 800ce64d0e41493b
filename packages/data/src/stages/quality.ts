/**
 * Quality heuristics: the rule families of Gopher (quality and repetition; Rae et al. 2021,
 * "Scaling Language Models", appendix A), C4 (Raffel et al. 2020, section 2.2) and FineWeb
 * (Penedo et al. 2024). Default thresholds are those of datatrove's GopherQualityFilter,
 * GopherRepetitionFilter, C4QualityFilter and FineWebQualityFilter as the FineWeb recipe runs
 * them (C4's terminal-punctuation line filter off). Every threshold can be changed, and each
 * family (or rule) turned off with `false`. The stop-word rule uses per-language lists
 * (stop-words.ts).
 *
 * A document is removed at the first rule it fails, with the reason '<family>:<rule>'.
 * C4's line rules change documents (lines dropped: 'c4:lines').
 */
import { mix32 } from '../hash.js';
import { documentStage, type Stage } from '../pipeline.js';
import { countStopWords, stopWordSet } from './stop-words.js';

export interface GopherQualityOptions {
  /** Words (non-symbol tokens) per document: at least / at most. Default 50 / 100,000. */
  minWords?: number;
  maxWords?: number;
  /** Mean word length in characters: at least / at most. Default 3 / 10. */
  minMeanWordLength?: number;
  maxMeanWordLength?: number;
  /** ('#' + '...' + '…') per word, at most. Default 0.1. */
  maxSymbolWordRatio?: number;
  /** Share of lines starting with a bullet, at most. Default 0.9. */
  maxBulletLines?: number;
  /** Share of lines ending with an ellipsis, at most. Default 0.3. */
  maxEllipsisLines?: number;
  /** Share of words with at least one letter, at least. Default 0.8. */
  minAlphaWords?: number;
  /** Stop-word occurrences of the document's language, at least (0 turns it off). Default 2. */
  minStopWords?: number;
}

export interface GopherRepetitionOptions {
  /** Share of duplicated lines / of characters in duplicated lines, at most. Default 0.3 / 0.2. */
  maxDupLines?: number;
  maxDupLineChars?: number;
  /** Same for paragraphs (blank-line separated). Default 0.3 / 0.2. */
  maxDupParagraphs?: number;
  maxDupParagraphChars?: number;
  /** [n, max share of characters in the most frequent word n-gram]. Default [[2,0.2],[3,0.18],[4,0.16]]. */
  topNgrams?: [number, number][];
  /** [n, max share of characters in repeated word n-grams]. Default 5..10 at 0.15..0.10. */
  dupNgrams?: [number, number][];
}

export interface C4Options {
  /** Drop lines that do not end in terminal punctuation. Default false (as FineWeb). */
  terminalPunctuation?: boolean;
  /** Drop lines with fewer words. Default 3. */
  minWordsPerLine?: number;
  /** Drop lines with a longer word. Default 1000. */
  maxWordLength?: number;
  /** Drop lines containing 'javascript'. Default true. */
  javascript?: boolean;
  /** Drop lines about cookies, terms of use and privacy policies. Default true. */
  policy?: boolean;
  /** Remove documents containing 'lorem ipsum'. Default true. */
  loremIpsum?: boolean;
  /** Remove documents containing '{'. Default true. */
  curlyBracket?: boolean;
  /** Remove documents with fewer sentences (after the line rules). Default 5. */
  minSentences?: number;
  /** Remove Wikipedia-style citation marks ([1], [citation needed]). Default true. */
  removeCitations?: boolean;
}

export interface FineWebOptions {
  /** Share of lines ending in terminal punctuation must be above. Default 0.12. */
  minLinePunctuation?: number;
  /** Share of lines of at most 30 characters, below. Default 0.67. */
  maxShortLines?: number;
  /** Length of a short line. Default 30. */
  shortLineLength?: number;
  /** Share of characters in duplicated lines, below. Default 0.01. */
  maxCharDuplicates?: number;
  /** Newlines per word, at most. Default 0.3. */
  maxNewlineRatio?: number;
}

export interface QualityOptions {
  gopher?: GopherQualityOptions | false;
  gopherRepetition?: GopherRepetitionOptions | false;
  c4?: C4Options | false;
  fineweb?: FineWebOptions | false;
  /** Stop words per language (default STOP_WORDS); a language without a list skips the rule. */
  stopWords?: Record<string, readonly string[]>;
  /** Per-language overrides of Gopher's options (e.g. a longer mean word length). */
  perLanguage?: Record<string, GopherQualityOptions>;
}

export const GOPHER_DEFAULTS: Required<GopherQualityOptions> = {
  minWords: 50,
  maxWords: 100_000,
  minMeanWordLength: 3,
  maxMeanWordLength: 10,
  maxSymbolWordRatio: 0.1,
  maxBulletLines: 0.9,
  maxEllipsisLines: 0.3,
  minAlphaWords: 0.8,
  minStopWords: 2,
};

export const GOPHER_REPETITION_DEFAULTS: Required<GopherRepetitionOptions> = {
  maxDupLines: 0.3,
  maxDupLineChars: 0.2,
  maxDupParagraphs: 0.3,
  maxDupParagraphChars: 0.2,
  topNgrams: [
    [2, 0.2],
    [3, 0.18],
    [4, 0.16],
  ],
  dupNgrams: [
    [5, 0.15],
    [6, 0.14],
    [7, 0.13],
    [8, 0.12],
    [9, 0.11],
    [10, 0.1],
  ],
};

export const C4_DEFAULTS: Required<C4Options> = {
  terminalPunctuation: false,
  minWordsPerLine: 3,
  maxWordLength: 1000,
  javascript: true,
  policy: true,
  loremIpsum: true,
  curlyBracket: true,
  minSentences: 5,
  removeCitations: true,
};

export const FINEWEB_DEFAULTS: Required<FineWebOptions> = {
  minLinePunctuation: 0.12,
  maxShortLines: 0.67,
  shortLineLength: 30,
  maxCharDuplicates: 0.01,
  maxNewlineRatio: 0.3,
};

// terminal punctuation of many scripts (Latin, Greek question mark, Armenian, Arabic, CJK,
// Devanagari) and closing quotes or brackets after a sentence end
const TERMINAL = /[.!?…;;։؟۔।。！？][\s"'”’»)\]]*$/u;
const BULLET = /^\s*[•●○◦‣⁃∙▪▫■□➢➤►\-*–—]/u;
const ELLIPSIS_END = /(\.\.\.|…)\s*$/;
const HAS_LETTER_RE = /\p{L}/u;
const HAS_WORD_CHAR_RE = /[\p{L}\p{N}]/u;

/** Whether a token has a letter (or, with digits, a letter or digit); ASCII fast path. */
function hasLetter(w: string, digits: boolean): boolean {
  let ascii = true;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122) return true;
    const d = w.charCodeAt(i);
    if (digits && d >= 48 && d <= 57) return true;
    if (d >= 128) ascii = false;
  }
  return ascii ? false : (digits ? HAS_WORD_CHAR_RE : HAS_LETTER_RE).test(w);
}
const CITATION = /\[\d+\]|\[citation needed\]|\[edit\]/gi;
const POLICY = [
  'terms of use',
  'privacy policy',
  'cookie policy',
  'uses cookies',
  'use of cookies',
  'use cookies',
];
const SENTENCE_END = /[.!?…。！？]+[\s"'”’»)]*(?=\s|$)/gu;

/** Characters in, and count of, elements that repeat an earlier element. */
function duplicates(items: string[]): { dups: number; dupChars: number } {
  const seen = new Set<string>();
  let dups = 0;
  let dupChars = 0;
  for (const x of items) {
    if (seen.has(x)) {
      dups++;
      dupChars += x.length;
    } else seen.add(x);
  }
  return { dups, dupChars };
}

const P = 0x01000193;

/** Prefix hashes H[i] of the polynomial hash of words[0, i), for O(1) n-gram hashes. */
function prefixHashes(wh: Uint32Array): Int32Array {
  const H = new Int32Array(wh.length + 1);
  for (let i = 0; i < wh.length; i++) H[i + 1] = (Math.imul(H[i], P) + wh[i]) | 0;
  return H;
}

function powP(n: number): number {
  let x = 1;
  for (let k = 0; k < n; k++) x = Math.imul(x, P);
  return x;
}

/** Hash of words[i, i + n) from the prefix hashes (pn = P^n). */
function ngramHash(H: Int32Array, i: number, n: number, pn: number): number {
  return mix32(((H[i + n] - Math.imul(H[i], pn)) | 0) ^ n);
}

function wordHashes(words: string[]): Uint32Array {
  const out = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let h = 0x9747b28c;
    for (let k = 0; k < w.length; k++) h = Math.imul(h ^ w.charCodeAt(k), 0x5bd1e995);
    out[i] = mix32(h ^ w.length);
  }
  return out;
}

/**
 * A reusable counter of 32-bit keys (open addressing over typed arrays; `reset` is O(1) by
 * generation stamps), much faster than a Map for the per-document n-gram counts.
 */
class IntCounter {
  private keys = new Int32Array(1024);
  private counts = new Int32Array(1024);
  private stamps = new Uint32Array(1024);
  private gen = 1;
  private mask = 1023;

  /** Forgets all keys; makes room for `n` of them. */
  reset(n: number): void {
    if (n * 2 > this.keys.length) {
      let cap = this.keys.length;
      while (cap < n * 2) cap *= 2;
      this.keys = new Int32Array(cap);
      this.counts = new Int32Array(cap);
      this.stamps = new Uint32Array(cap);
      this.mask = cap - 1;
      this.gen = 1;
    } else if (++this.gen === 0xffffffff) {
      this.stamps.fill(0);
      this.gen = 1;
    }
  }

  /** Adds 1 to the key's count; returns the new count. */
  add(key: number): number {
    let i = key & this.mask;
    while (this.stamps[i] === this.gen) {
      if (this.keys[i] === key) return ++this.counts[i];
      i = (i + 1) & this.mask;
    }
    this.stamps[i] = this.gen;
    this.keys[i] = key;
    this.counts[i] = 1;
    return 1;
  }
}

const counter = new IntCounter();

/** Gopher repetition rules; returns the failing rule or null. */
export function gopherRepetition(
  text: string,
  o: Required<GopherRepetitionOptions>,
): string | null {
  const total = text.length;
  if (total === 0) return null;
  const paragraphs = text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const pd = duplicates(paragraphs);
  if (paragraphs.length > 0 && pd.dups / paragraphs.length > o.maxDupParagraphs)
    return 'dup-paragraphs';
  if (pd.dupChars / total > o.maxDupParagraphChars) return 'dup-paragraph-chars';
  const lines = text
    .split(/\n+/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const ld = duplicates(lines);
  if (lines.length > 0 && ld.dups / lines.length > o.maxDupLines) return 'dup-lines';
  if (ld.dupChars / total > o.maxDupLineChars) return 'dup-line-chars';
  const words = text.split(/\s+/).filter((w) => w !== '');
  const H = prefixHashes(wordHashes(words));
  const wordLen = new Uint32Array(words.length + 1);
  for (let i = 0; i < words.length; i++) wordLen[i + 1] = wordLen[i] + words[i].length;
  // characters of words[i, i+n) joined by single spaces
  const span = (i: number, n: number) => wordLen[i + n] - wordLen[i] + n - 1;
  for (const [n, max] of o.topNgrams) {
    if (words.length < n) continue;
    const pn = powP(n);
    counter.reset(words.length);
    let best = 0;
    let bestAt = 0;
    for (let i = 0; i + n <= words.length; i++) {
      const c = counter.add(ngramHash(H, i, n, pn) | 0);
      if (c > best) {
        best = c;
        bestAt = i;
      }
    }
    if (best > 1 && (best * span(bestAt, n)) / total > max) return `top-${n}-gram`;
  }
  for (const [n, max] of o.dupNgrams) {
    if (words.length < n) continue;
    const pn = powP(n);
    counter.reset(words.length);
    let dupChars = 0;
    let i = 0;
    while (i + n <= words.length) {
      // a count above 1 means the n-gram was seen before
      if (counter.add(ngramHash(H, i, n, pn) | 0) > 1) {
        dupChars += span(i, n);
        i += n;
      } else i++;
    }
    if (dupChars / total > max) return `dup-${n}-grams`;
  }
  return null;
}

/** Gopher quality rules; returns the failing rule or null. */
export function gopherQuality(
  text: string,
  o: Required<GopherQualityOptions>,
  stop: ReadonlySet<string>,
): string | null {
  const tokens = text.split(/\s+/).filter((w) => w !== '');
  const words = tokens.filter((w) => hasLetter(w, true));
  const n = words.length;
  if (n < o.minWords) return 'word-count';
  if (n > o.maxWords) return 'word-count';
  let chars = 0;
  for (const w of words) chars += w.length;
  const mean = chars / n;
  if (mean < o.minMeanWordLength || mean > o.maxMeanWordLength) return 'mean-word-length';
  const hashes = text.split('#').length - 1;
  const ellipses = text.split('...').length - 1 + (text.split('…').length - 1);
  if (hashes / n > o.maxSymbolWordRatio || ellipses / n > o.maxSymbolWordRatio)
    return 'symbol-ratio';
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length > 0) {
    if (lines.filter((l) => BULLET.test(l)).length / lines.length > o.maxBulletLines)
      return 'bullet-lines';
    if (lines.filter((l) => ELLIPSIS_END.test(l)).length / lines.length > o.maxEllipsisLines) {
      return 'ellipsis-lines';
    }
  }
  const alpha = tokens.filter((w) => hasLetter(w, false)).length;
  if (alpha / tokens.length < o.minAlphaWords) return 'alpha-words';
  if (o.minStopWords > 0 && stop.size > 0 && countStopWords(text, stop) < o.minStopWords) {
    return 'stop-words';
  }
  return null;
}

/** C4's line rules and document rules: the kept text, lines dropped, or the failing rule. */
export function c4Filter(
  text: string,
  o: Required<C4Options>,
): { text: string; dropped: number } | { rule: string } {
  const lower = text.toLowerCase();
  if (o.loremIpsum && lower.includes('lorem ipsum')) return { rule: 'lorem-ipsum' };
  if (o.curlyBracket && text.includes('{')) return { rule: 'curly-bracket' };
  const kept: string[] = [];
  let dropped = 0;
  for (let line of text.split('\n')) {
    if (o.removeCitations) line = line.replace(CITATION, '');
    const t = line.trim();
    if (t === '') {
      kept.push('');
      continue;
    }
    const words = t.split(/\s+/);
    const l = t.toLowerCase();
    const drop =
      words.some((w) => w.length > o.maxWordLength) ||
      (o.terminalPunctuation && !TERMINAL.test(t)) ||
      words.length < o.minWordsPerLine ||
      (o.javascript && l.includes('javascript')) ||
      (o.policy && POLICY.some((p) => l.includes(p)));
    if (drop) dropped++;
    else kept.push(line);
  }
  const out = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const sentences = out.match(SENTENCE_END)?.length ?? 0;
  if (sentences < o.minSentences) return { rule: 'sentences' };
  return { text: out, dropped };
}

/** FineWeb's rules; returns the failing rule or null. */
export function finewebQuality(text: string, o: Required<FineWebOptions>): string | null {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return 'line-punctuation';
  const punct = lines.filter((l) => TERMINAL.test(l)).length / lines.length;
  if (punct <= o.minLinePunctuation) return 'line-punctuation';
  const short = lines.filter((l) => l.length <= o.shortLineLength).length / lines.length;
  if (short >= o.maxShortLines) return 'short-lines';
  const { dupChars } = duplicates(lines);
  const chars = lines.reduce((n, l) => n + l.length, 0);
  if (dupChars / chars >= o.maxCharDuplicates) return 'char-duplicates';
  const words = text.split(/\s+/).filter((w) => w !== '').length;
  const newlines = text.split('\n').length - 1;
  if (words > 0 && newlines / words > o.maxNewlineRatio) return 'newline-ratio';
  return null;
}

/**
 * The quality stage (ledger name 'quality'). Families run in the FineWeb recipe's order:
 * Gopher repetition, Gopher quality, C4, FineWeb. Removal reasons are '<family>:<rule>',
 * e.g. 'gopher:stop-words', 'gopher-repetition:dup-lines', 'c4:sentences',
 * 'fineweb:short-lines'; C4's dropped lines are counted as changed ('c4:lines', items = lines).
 */
export function qualityFilter(options: QualityOptions = {}): Stage {
  const gopher = options.gopher === false ? false : { ...GOPHER_DEFAULTS, ...options.gopher };
  const rep =
    options.gopherRepetition === false
      ? false
      : { ...GOPHER_REPETITION_DEFAULTS, ...options.gopherRepetition };
  const c4 = options.c4 === false ? false : { ...C4_DEFAULTS, ...options.c4 };
  const fineweb = options.fineweb === false ? false : { ...FINEWEB_DEFAULTS, ...options.fineweb };
  const perLanguage = options.perLanguage ?? {};
  const stopSets = new Map<string, ReadonlySet<string>>();
  const stopFor = (lang: string) => {
    if (!options.stopWords) return stopWordSet(lang);
    let s = stopSets.get(lang);
    if (!s) {
      s = new Set(options.stopWords[lang] ?? []);
      stopSets.set(lang, s);
    }
    return s;
  };
  return documentStage(
    'quality',
    {
      gopher,
      gopherRepetition: rep,
      c4,
      fineweb,
      perLanguage,
      stopWords: options.stopWords ? 'custom' : 'STOP_WORDS',
    },
    () => (doc, o) => {
      if (rep) {
        const r = gopherRepetition(doc.text, rep);
        if (r) return o.remove(`gopher-repetition:${r}`);
      }
      if (gopher) {
        const g = perLanguage[doc.lang] ? { ...gopher, ...perLanguage[doc.lang] } : gopher;
        const r = gopherQuality(doc.text, g, stopFor(doc.lang));
        if (r) return o.remove(`gopher:${r}`);
      }
      if (c4) {
        const r = c4Filter(doc.text, c4);
        if ('rule' in r) return o.remove(`c4:${r.rule}`);
        if (r.dropped > 0) {
          doc.text = r.text;
          o.change('c4:lines', r.dropped);
        }
      }
      if (fineweb) {
        const r = finewebQuality(doc.text, fineweb);
        if (r) return o.remove(`fineweb:${r}`);
      }
      return doc;
    },
  );
}
