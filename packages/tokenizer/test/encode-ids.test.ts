/**
 * `encodeIds` takes an ids-only path for byte-level BPE pipelines (regex split + ByteLevel, no
 * normalizer). Its ids must be exactly `encode(...).ids` for any split regex, including ones
 * with gaps (text the regex does not match) and empty matches; parity with Hugging Face on
 * real files is checked in parity-pretrained.test.ts, which calls encodeIds too.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/node.js';
import { trainBpe } from '../src/trainers/bpe-trainer.js';
import { PRETRAINED, pretrainedDir, randomText, rng } from './helpers.js';

const TEXTS = [
  'Hello world, 123 numbers and émojis 😀 in a sentence.',
  'Ελληνικά κείμενα και българският текст, Malti: għandi ħafna.',
  'tabs\tand   spaces\n\nnew lines ',
];

function withSplit(json: Record<string, unknown>, regex: string): Tokenizer {
  return Tokenizer.fromJSON({
    ...json,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
  });
}

describe('encodeIds', () => {
  it('takes the ids-only path for Llama-3 and Qwen3 and not for Llama-2 (Metaspace)', () => {
    const plan = (pkg: string) =>
      (
        Tokenizer.fromFile(join(pretrainedDir(pkg), 'tokenizer.json')) as unknown as {
          idsOnly: unknown;
        }
      ).idsOnly;
    expect(plan(PRETRAINED['Llama-3'])).not.toBeNull();
    expect(plan(PRETRAINED.Qwen3)).not.toBeNull();
    expect(plan(PRETRAINED['Llama-2'])).toBeNull();
  });

  it('equals encode().ids for split regexes with gaps and empty matches', async () => {
    const json = (await trainBpe(TEXTS, { vocabSize: 400 })) as unknown as Record<string, unknown>;
    const next = rng(42);
    const samples = [
      ...TEXTS,
      '',
      ' ',
      'a',
      ...Array.from({ length: 200 }, () => randomText(next)),
    ];
    // letters only (everything else is a gap); digits or nothing (empty matches everywhere);
    // a lookahead; the trained GPT-style default
    for (const regex of [
      '\\p{L}+',
      '\\d*',
      ' ?\\p{L}+|\\s+(?!\\S)',
      "'s|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+|\\s+",
    ]) {
      const tok = withSplit(json, regex);
      for (const text of samples) {
        for (const addSpecialTokens of [true, false]) {
          const ids = tok.encodeIds(text, { addSpecialTokens });
          expect(ids, `${regex} on ${JSON.stringify(text)}`).toEqual(
            tok.encode(text, { addSpecialTokens }).ids,
          );
        }
      }
    }
  });

  it('rejects a non-string text with a clear error', () => {
    const tok = Tokenizer.fromFile(join(pretrainedDir(PRETRAINED['Llama-3']), 'tokenizer.json'));
    expect(() => tok.encodeIds(42 as unknown as string)).toThrow(/text must be a string/);
  });
});
