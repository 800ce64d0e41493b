/**
 * The BPE model's options against Hugging Face on small vocabularies trained here by a naive
 * reference trainer: continuing-subword prefix, end-of-word suffix, unknown token with and
 * without fusing, byte fallback, ignore_merges, merges in string and pair form, repeated merges;
 * and the two merge loops (queue for long words, scan for short ones) against a naive
 * reference on random words.
 */
import { describe, expect, it } from 'vitest';
import { BPE, JsonPath, modelFromJSON, Tokenizer } from '../src/index.js';
import { NormalizedString } from '../src/normalized-string.js';
import {
  EDGE_CASES,
  expectSameDecode,
  expectSameEncoding,
  oracle,
  randomText,
  rng,
} from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: tokenizer.json fixtures are edited freely
type Json = Record<string, any>;

const TRAIN = [
  'the quick brown fox jumps over the lazy dog',
  'der schnelle braune fuchs springt über den faulen hund',
  'la rapide renarde brune saute par-dessus le chien paresseux',
  'a gyors barna róka átugrik a lusta kutya felett',
  'η γρήγορη καφέ αλεπού πηδάει πάνω από το τεμπέλικο σκυλί',
  'бързата кафява лисица прескача мързеливото куче',
].join(' ');

/** A naive BPE trainer: most frequent pair first, ties by first occurrence. */
function naiveTrain(text: string, merges: number, prefix: string, suffix: string) {
  const words = text.split(/\s+/).filter(Boolean);
  const seqs = words.map((w) =>
    [...w].map((c, i, all) => (i > 0 ? prefix : '') + c + (i === all.length - 1 ? suffix : '')),
  );
  const vocab = new Map<string, number>();
  const add = (t: string) => {
    if (!vocab.has(t)) vocab.set(t, vocab.size);
  };
  add('<unk>');
  for (const s of seqs) s.forEach(add);
  const out: [string, string][] = [];
  for (let m = 0; m < merges; m++) {
    const counts = new Map<string, number>();
    for (const s of seqs)
      for (let i = 0; i + 1 < s.length; i++) {
        const k = `${s[i]}\u0000${s[i + 1]}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    let best = '';
    let bestCount = 0;
    for (const [k, c] of counts) if (c > bestCount) [best, bestCount] = [k, c];
    if (!best) break;
    const [a, b] = best.split('\u0000');
    const merged = a + b.slice(prefix.length);
    out.push([a, b]);
    add(merged);
    for (const s of seqs)
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] === a && s[i + 1] === b) s.splice(i, 2, merged);
      }
  }
  return { vocab: Object.fromEntries(vocab), merges: out };
}

function tokenizerJson(
  model: Json,
  decoder: Json | null = null,
  preTokenizer: Json | null = { type: 'WhitespaceSplit' },
): Json {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder,
    model,
  };
}

const BYTES = Array.from(
  { length: 256 },
  (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
);

const CONFIGS: { name: string; json: () => Json }[] = [
  {
    name: 'prefix ## and suffix </w>, fused <unk>',
    json: () => {
      const { vocab, merges } = naiveTrain(TRAIN, 150, '##', '</w>');
      return tokenizerJson(
        {
          type: 'BPE',
          dropout: null,
          unk_token: '<unk>',
          continuing_subword_prefix: '##',
          end_of_word_suffix: '</w>',
          fuse_unk: true,
          byte_fallback: false,
          vocab,
          merges,
        },
        { type: 'BPEDecoder', suffix: '</w>' },
      );
    },
  },
  {
    name: 'suffix </w>, unfused <unk>, merges as "a b" strings',
    json: () => {
      const { vocab, merges } = naiveTrain(TRAIN, 150, '', '</w>');
      return tokenizerJson(
        {
          type: 'BPE',
          dropout: null,
          unk_token: '<unk>',
          continuing_subword_prefix: null,
          end_of_word_suffix: '</w>',
          fuse_unk: false,
          byte_fallback: false,
          vocab,
          merges: merges.map(([a, b]) => `${a} ${b}`),
        },
        { type: 'BPEDecoder', suffix: '</w>' },
      );
    },
  },
  {
    name: 'byte fallback without unk, SentencePiece style',
    json: () => {
      const { vocab, merges } = naiveTrain(TRAIN.replaceAll(' ', ' \u2581'), 200, '', '');
      let id = Object.keys(vocab).length;
      for (const b of BYTES) vocab[b] = id++;
      return tokenizerJson(
        {
          type: 'BPE',
          dropout: null,
          unk_token: null,
          continuing_subword_prefix: null,
          end_of_word_suffix: null,
          fuse_unk: false,
          byte_fallback: true,
          vocab,
          merges,
        },
        { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] },
        { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
      );
    },
  },
  {
    name: 'no unk and no fallback: unknown characters are dropped',
    json: () => {
      const { vocab, merges } = naiveTrain(TRAIN, 100, '', '');
      return tokenizerJson(
        {
          type: 'BPE',
          dropout: null,
          unk_token: null,
          continuing_subword_prefix: null,
          end_of_word_suffix: null,
          fuse_unk: false,
          byte_fallback: false,
          vocab,
          merges,
        },
        null,
        null,
      );
    },
  },
  {
    name: 'ignore_merges with whole words in the vocabulary, repeated merges',
    json: () => {
      const { vocab, merges } = naiveTrain(TRAIN, 120, '', '');
      let id = Object.keys(vocab).length;
      for (const w of ['quick', 'fuchs', 'lazydog', 'αλεπού']) if (!(w in vocab)) vocab[w] = id++;
      return tokenizerJson({
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: false,
        ignore_merges: true,
        vocab,
        merges: [...merges, ...merges.slice(0, 10)],
      });
    },
  },
];

describe('BPE options match Hugging Face', () => {
  for (const c of CONFIGS) {
    it(c.name, async () => {
      const json = c.json();
      const ours = Tokenizer.fromJSON(json);
      const ref = oracle.Tokenizer.fromString(JSON.stringify(json));
      const next = rng(c.name.length);
      const texts = [
        TRAIN,
        'quick quicker quickest lazydog αλεπούδες',
        ...EDGE_CASES.map((e) => e.text),
        ...Array.from({ length: 60 }, () => randomText(next)),
      ];
      for (const text of texts) {
        const enc = await expectSameEncoding(ours, ref, text);
        await expectSameDecode(ours, ref, enc.ids);
      }
      // what we write, the oracle reads the same way
      const again = oracle.Tokenizer.fromString(JSON.stringify(ours.toJSON()));
      for (const text of texts.slice(0, 10)) await expectSameEncoding(ours, again, text);
    });
  }
});

/** Naive reference: repeatedly merge the lowest-ranked adjacent pair, leftmost first. */
function naiveMerge(
  ids: number[],
  rank: (a: number, b: number) => number,
  merged: (r: number) => number,
): number[] {
  const s = [...ids];
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < s.length; i++) {
      const r = rank(s[i], s[i + 1]);
      if (r >= 0 && r < bestRank) [best, bestRank] = [i, r];
    }
    if (best < 0) return s;
    s.splice(best, 2, merged(bestRank));
  }
}

describe('merge loops', () => {
  it('the queue (long words) and the scan (short words) agree with a naive reference', () => {
    // a tiny alphabet with many merges makes many ties and cascades
    const alphabet = ['a', 'b', 'c'];
    const vocab: Record<string, number> = {};
    for (const ch of alphabet) vocab[ch] = Object.keys(vocab).length;
    const merges: [string, string][] = [];
    const next = rng(3);
    const tokens = [...alphabet];
    while (merges.length < 60) {
      const a = tokens[Math.floor(next() * tokens.length)];
      const b = tokens[Math.floor(next() * tokens.length)];
      const m = a + b;
      if (m.length > 6 || m in vocab) continue;
      vocab[m] = Object.keys(vocab).length;
      tokens.push(m);
      merges.push([a, b]);
    }
    const bpe = new BPE(vocab, merges, { cacheCapacity: 0 });
    const byId = Object.fromEntries(Object.entries(vocab).map(([t, i]) => [i, t]));
    const rankOf = new Map(merges.map(([a, b], r) => [`${vocab[a]},${vocab[b]}`, r]));
    for (let k = 0; k < 300; k++) {
      const len = 1 + Math.floor(next() * (k < 150 ? 40 : 400));
      const word = Array.from({ length: len }, () => alphabet[Math.floor(next() * 3)]).join('');
      const expected = naiveMerge(
        [...word].map((c) => vocab[c]),
        (a, b) => rankOf.get(`${a},${b}`) ?? -1,
        (r) => vocab[merges[r][0] + merges[r][1]],
      );
      const got: number[] = [];
      bpe.tokenize(NormalizedString.fromOriginal(word), { push: (id) => void got.push(id) });
      expect(got.map((i) => byId[i]).join(' '), word).toBe(expected.map((i) => byId[i]).join(' '));
    }
  });

  it('reads merges in both forms and writes pairs', () => {
    const at = new JsonPath('t.json', 'model');
    const vocab = { a: 0, b: 1, ab: 2, 'a b': 3 };
    const fromStrings = modelFromJSON({ type: 'BPE', vocab, merges: ['a b'] }, at) as BPE;
    const fromPairs = modelFromJSON({ type: 'BPE', vocab, merges: [['a', 'b']] }, at) as BPE;
    expect(fromStrings.getMerges()).toEqual([['a', 'b']]);
    expect(fromPairs.toJSON().merges).toEqual([['a', 'b']]);
  });
});
