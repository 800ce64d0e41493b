/**
 * chrF/BLEU inputs that sacreBLEU accepts silently or crashes on: empty references, hypothesis
 * and reference counts that disagree, non-strings; and the Python string semantics the port
 * relies on (whitespace set, round-half-even formatting).
 */
import { describe, expect, it } from 'vitest';
import { bleu, bleuTokenize, chrf, sentenceBleu, sentenceChrf } from '../src/index.js';
import { pyFixed, pySplit } from '../src/metrics/python-text.js';

describe('bad metric input', () => {
  it('empty references', () => {
    expect(() => bleu(['a'], [])).toThrow(
      'bleu: references is empty: give at least one reference stream',
    );
    expect(() => chrf(['a'], [])).toThrow('chrf: references is empty');
    expect(() => sentenceBleu('a', [])).toThrow('sentenceBleu: references is empty');
    expect(() => sentenceChrf('a', [])).toThrow('sentenceChrf: references is empty');
    expect(() => bleu(['a', 'b'], [['x', null]])).toThrow('bleu: sentence 1 has no reference');
  });

  it('hypothesis and reference counts that disagree', () => {
    expect(() =>
      bleu(
        ['a', 'b', 'c'],
        [
          ['x', 'y', 'z'],
          ['x', 'y'],
        ],
      ),
    ).toThrow('bleu: references[1] has 2 sentences but there are 3 hypotheses');
    expect(() => chrf(['a'], [['x', 'y']])).toThrow(
      'chrf: references[0] has 2 sentences but there are 1 hypotheses',
    );
    expect(() => bleu([], [[]])).toThrow('bleu: hypotheses is empty');
  });

  it('non-strings and a stream given without its wrapping array', () => {
    expect(() => bleu(['a', 3 as unknown as string], [['x', 'y']])).toThrow(
      'bleu: hypotheses[1] must be a string, received number',
    );
    expect(() => chrf(['a'], ['x'] as unknown as string[][])).toThrow(
      'chrf: references[0] must be an array of strings (one per hypothesis), received the string "x"; wrap a single stream as [stream]',
    );
    expect(() => bleu(['a'], [[{} as unknown as string]])).toThrow(
      'bleu: references[0][0] must be a string',
    );
  });

  it('bad options', () => {
    expect(() => bleu(['a'], [['a']], { tokenize: 'zh' as never })).toThrow(
      "options.tokenize must be one of 13a, intl, char, none, received 'zh'",
    );
    expect(() => bleu(['a'], [['a']], { smoothMethod: 'x' as never })).toThrow(
      'options.smoothMethod',
    );
    expect(() => chrf(['a'], [['a']], { charOrder: 0, wordOrder: 0 })).toThrow(
      'charOrder + wordOrder must be at least 1',
    );
  });
});

describe('Python string semantics', () => {
  it("str.split(): Python's whitespace, not JavaScript's", () => {
    // \x1c-\x1f and \x85 split in Python; U+FEFF does not (JavaScript's \s has it)
    expect(pySplit('a\x1cb\x85c\u00a0d\u3000e\ufefff')).toEqual(['a', 'b', 'c', 'd', 'e\ufefff']);
    expect(pySplit('  ')).toEqual([]);
  });

  it("format(x, '.2f') rounds exact ties to even", () => {
    expect(pyFixed(0.125, 2)).toBe('0.12');
    expect((0.125).toFixed(2)).toBe('0.13');
    expect(pyFixed(0.375, 2)).toBe('0.38');
    expect(pyFixed(12.25, 1)).toBe('12.2');
    expect(pyFixed(48.530827, 2)).toBe('48.53');
    expect(pyFixed(100, 3)).toBe('100.000');
    expect(pyFixed(1e-7, 3)).toBe('0.000');
    expect(pyFixed(2.675, 2)).toBe('2.67'); // 2.67499999... in binary
  });

  it('13a splits punctuation but keeps decimal separators', () => {
    expect(bleuTokenize('Hello, world! It costs 1,000.50 (3-4 days).')).toBe(
      'Hello , world ! It costs 1,000.50 ( 3 - 4 days ) .',
    );
    expect(bleuTokenize('a &amp; b &lt;c&gt;')).toBe('a & b < c >');
  });
});
