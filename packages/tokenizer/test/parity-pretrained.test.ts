/**
 * Parity with Hugging Face tokenizers (the npm `tokenizers` package) on the real tokenizer.json
 * files of Llama-3, Qwen3, Gemma-3 and Llama-2: the same ids, tokens, offsets, type ids and
 * special-token masks for text in the 24 EU languages and for edge cases, and the same decode.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/node.js';
import {
  corpusTexts,
  EDGE_CASES,
  expectSameDecode,
  expectSameEncoding,
  HAS_CORPUS,
  NO_CORPUS_MESSAGE,
  oracle,
  PRETRAINED,
  pretrainedDir,
  randomText,
  rng,
} from './helpers.js';

const corpus = corpusTexts(2);
if (!HAS_CORPUS) console.warn(NO_CORPUS_MESSAGE);

for (const [name, pkg] of Object.entries(PRETRAINED)) {
  describe(`${name} tokenizer.json matches Hugging Face tokenizers`, () => {
    let ours: Tokenizer;
    let ref: oracle.Tokenizer;

    beforeAll(() => {
      const file = join(pretrainedDir(pkg), 'tokenizer.json');
      ours = Tokenizer.fromFile(file);
      ref = oracle.Tokenizer.fromFile(file);
    });

    it('has the same vocabulary size and token <-> id maps', () => {
      expect(ours.vocabSize).toBe(ref.getVocabSize(true));
      for (const id of [
        0,
        1,
        2,
        100,
        1000,
        ref.getVocabSize(false) - 1,
        ref.getVocabSize(true) - 1,
      ]) {
        expect(ours.idToToken(id)).toBe(ref.idToToken(id) ?? undefined);
        const token = ref.idToToken(id);
        if (token !== null) expect(ours.tokenToId(token)).toBe(ref.tokenToId(token));
      }
      for (const t of ours.addedTokens)
        expect(ours.tokenToId(t.content)).toBe(ref.tokenToId(t.content));
    });

    describe.skipIf(!HAS_CORPUS)('24 EU languages', () => {
      corpus.forEach(({ lang, text }, i) => {
        it(`${lang} document ${i % 2}: encode and decode`, async () => {
          const enc = await expectSameEncoding(ours, ref, text);
          await expectSameDecode(ours, ref, enc.ids);
        });
      });
    });

    describe('edge cases', () => {
      for (const { name: caseName, text } of EDGE_CASES) {
        it(caseName, async () => {
          const enc = await expectSameEncoding(ours, ref, text);
          await expectSameEncoding(ours, ref, text, { addSpecialTokens: false });
          await expectSameDecode(ours, ref, enc.ids);
        });
      }
    });

    it('pairs of texts', async () => {
      await expectSameEncoding(ours, ref, 'What is the capital of Malta?', {
        pair: 'Valletta is.',
      });
      await expectSameEncoding(ours, ref, 'Ελληνικά 😀', { pair: '', addSpecialTokens: false });
    });

    it('decodes special tokens, unknown ids and byte soup like the oracle', async () => {
      const special = ours.addedTokens.slice(0, 3).map((t) => t.id);
      const hello = ours.encode('Hello world', { addSpecialTokens: false }).ids;
      await expectSameDecode(ours, ref, [...special, ...hello, ...special]);
      await expectSameDecode(ours, ref, [...hello, 10 ** 7, ...hello]);
      // every id below 400: byte tokens, pieces of UTF-8 sequences, control characters
      await expectSameDecode(
        ours,
        ref,
        Array.from({ length: 400 }, (_, i) => i),
      );
      const next = rng(7);
      for (let k = 0; k < 20; k++) {
        const ids = Array.from({ length: 1 + Math.floor(next() * 30) }, () =>
          Math.floor(next() * ours.vocabSize),
        );
        await expectSameDecode(ours, ref, ids);
      }
    });

    it('random strings (astral characters, lone surrogates, special-token text)', async () => {
      const next = rng(name.length * 1000 + 1);
      for (let k = 0; k < 150; k++) {
        const text = randomText(next);
        const enc = await expectSameEncoding(ours, ref, text);
        expect(ours.decode(enc.ids)).toBe(await ref.decode(enc.ids, false));
      }
    });
  });
}
