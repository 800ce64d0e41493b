/**
 * Oniguruma patterns from tokenizer.json, translated to JavaScript, split text the way Hugging
 * Face's Split pre-tokenizer does (Oniguruma is the oracle's regex engine).
 */
import { describe, expect, it } from 'vitest';
import { JsonPath, preTokenizerFromJSON, preTokenizeString, translateRegex } from '../src/index.js';
import { EDGE_CASES, oracle } from './helpers.js';

const PATTERNS = [
  '\\s+',
  '\\S+',
  '\\w+',
  '\\W+',
  '[\\w-]+',
  '[^\\s\\p{L}]+',
  '\\d+',
  '\\D',
  '\\h+',
  '\\bthe\\b',
  '\\Bo',
  '.',
  '(?i)THE|QUICK',
  "(?i:'S|'T)",
  '\\x{41}|\\x42|\\u0043',
  '[[:alpha:]]+',
  '[[:digit:][:space:]]+',
  'a{,2}',
  '\\{|\\}|x{2}|{',
  '\\p{Lu}\\p{Ll}+',
  '\\p{Greek}+|\\p{Cyrillic}+|\\p{Han}',
  '\\p{^L}+',
  '\\P{L}+',
  '(?<=a)b|c(?=d)|e(?!f)',
  '(\\w)\\1',
  '(?<word>\\p{L})\\k<word>',
  '[a-c&&[^b]]|z',
  '^\\s*|\\s*$',
  '\\A.|.\\z',
  '\\n|\\t|\\r',
  '[.,;:!?\'"()\\[\\]-]',
  '\\R',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
];

const TEXTS = [
  "The quick brown fox, the QUICK one: it's done. IT'S OK!",
  'ABC abc aabbcc aab abcd ef eg {x} xx{2}',
  'Ελληνικά Ωμέγα Кириллица 漢字 日本語',
  'a_b-c d1 2x 00ff DEADbeef',
  ...EDGE_CASES.map((e) => e.text),
];

function oracleSplit(pattern: string): oracle.PreTokenizer | null {
  try {
    return oracle.Tokenizer.fromString(
      JSON.stringify({
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: [],
        normalizer: null,
        pre_tokenizer: {
          type: 'Split',
          pattern: { Regex: pattern },
          behavior: 'Isolated',
          invert: false,
        },
        post_processor: null,
        decoder: null,
        model: { type: 'WordLevel', vocab: { '<unk>': 0 }, unk_token: '<unk>' },
      }),
    ).getPreTokenizer();
  } catch {
    return null;
  }
}

describe('Oniguruma patterns split like the oracle', () => {
  for (const pattern of PATTERNS) {
    it(pattern, () => {
      const ref = oracleSplit(pattern);
      let ours: ReturnType<typeof preTokenizerFromJSON> | null = null;
      try {
        ours = preTokenizerFromJSON(
          { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
          new JsonPath('t.json', 'pre_tokenizer'),
        );
      } catch (e) {
        // what we cannot translate must be rejected with a clear message, never mistranslated
        expect(String(e)).toMatch(/not supported|unknown/);
        return;
      }
      expect(ref, 'the oracle rejects this pattern but we accept it').not.toBeNull();
      for (const text of TEXTS) {
        expect(
          preTokenizeString(ours, text, { offsets: 'codePoint' }),
          JSON.stringify(text),
        ).toEqual(ref!.preTokenizeString(text));
      }
    });
  }
});

describe('translation', () => {
  it('rewrites the classes whose meaning differs in JavaScript', () => {
    expect(translateRegex('\\s')).toBe('\\p{White_Space}');
    expect(translateRegex("(?i:'s)")).toBe("(?:'[sS\u017f])");
    expect(translateRegex('a.b')).toBe('a[^\\n]b');
    expect(translateRegex('\\d{1,3}')).toBe('\\p{Nd}{1,3}');
  });
  it('rejects what it cannot translate faithfully', () => {
    expect(() => translateRegex('a++')).toThrow(/possessive quantifiers are not supported/);
    expect(() => translateRegex('(?>ab)')).toThrow(/atomic groups/);
    expect(() => translateRegex('\\p{NoSuchProperty}')).toThrow(/unknown Unicode property/);
  });
});
