/**
 * sacreBLEU's BLEU tokenizers, ported from sacreBLEU 2.6.0:
 * - `13a`: mteval-v13a.pl's tokenization (the default, used by WMT);
 * - `intl`: mteval-v14.pl's international tokenization (Unicode punctuation and symbols);
 * - `char`: every character a token;
 * - `none`: the text as given.
 */

import { pySplit } from './python-text.js';

export type BleuTokenizerName = '13a' | 'intl' | 'char' | 'none';

export const BLEU_TOKENIZERS: readonly BleuTokenizerName[] = ['13a', 'intl', 'char', 'none'];

// mteval-v13a's language-dependent part (TokenizerRegexp): ASCII punctuation and symbols
// {|}~ [\]^_` space-& (-+ :-@ / become separate tokens (written as hex ranges)
const SYMBOLS = /([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/g;
// period and comma, unless preceded by a digit
const PERIOD_COMMA_AFTER = /([^0-9])([.,])/g;
// period and comma, unless followed by a digit
const PERIOD_COMMA_BEFORE = /([.,])([^0-9])/g;
// dash after a digit
const DASH_AFTER_DIGIT = /([0-9])(-)/g;

function tokenize13a(line: string): string {
  line = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&')) {
    line = line
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  let s = ` ${line} `;
  s = s.replace(SYMBOLS, ' $1 ');
  s = s.replace(PERIOD_COMMA_AFTER, '$1 $2 ');
  s = s.replace(PERIOD_COMMA_BEFORE, ' $1 $2');
  s = s.replace(DASH_AFTER_DIGIT, '$1 $2 ');
  return pySplit(s).join(' ');
}

// mteval-v14's international rules: punctuation after a non-digit, punctuation before a
// non-digit, and every symbol become separate tokens
const INTL_RULES: [RegExp, string][] = [
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  [/(\p{S})/gu, ' $1 '],
];

function tokenizeIntl(line: string): string {
  for (const [re, repl] of INTL_RULES) line = line.replace(re, repl);
  return pySplit(line).join(' ');
}

/** Tokenizes one line the way sacreBLEU's tokenizer `name` does. */
export function bleuTokenize(line: string, name: BleuTokenizerName = '13a'): string {
  switch (name) {
    case '13a':
      return tokenize13a(line);
    case 'intl':
      return tokenizeIntl(line);
    case 'char':
      return Array.from(line).join(' ');
    case 'none':
      return line;
    default: {
      const never: never = name;
      throw new Error(
        `bleu: unknown tokenizer '${String(never)}' (expected one of ${BLEU_TOKENIZERS.join(', ')})`,
      );
    }
  }
}
