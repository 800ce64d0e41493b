/**
 * Parity with Hugging Face tokenizers on tokenizers trained by the oracle itself: GPT-2-style
 * byte-level BPE (with added tokens using every flag), RoBERTa-style byte-level BPE, an
 * XLM-R/T5-style Unigram with Metaspace (unknown-token and byte-fallback variants), BERT-style
 * WordPiece, and WordLevel behind sequences of normalizers and pre-tokenizers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/node.js';
import {
  corpusTexts,
  EDGE_CASES,
  expectSameDecode,
  expectSameEncoding,
  HAS_CORPUS,
  NO_CORPUS_MESSAGE,
  oracle,
  randomText,
  rng,
  trainingText,
} from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: tokenizer.json fixtures are edited freely
type Json = Record<string, any>;

const work = mkdtempSync(join(tmpdir(), 'oellm-tokenizer-'));
const corpusFile = join(work, 'train.txt');
writeFileSync(corpusFile, trainingText(4));
if (!HAS_CORPUS) console.warn(NO_CORPUS_MESSAGE);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Trains with the oracle, then returns its tokenizer.json for `patch` to adjust. */
function trainWithOracle(setup: (t: oracle.Tokenizer) => void, model: oracle.Model): Json {
  const t = new oracle.Tokenizer(model);
  setup(t);
  t.train([corpusFile]);
  const file = join(work, `trained-${Math.random().toString(36).slice(2)}.json`);
  t.save(file, false);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Adds tokens at the end of a BPE/WordPiece/WordLevel vocabulary; returns their ids. */
function appendToVocab(json: Json, tokens: string[]): number[] {
  const vocab = json.model.vocab as Record<string, number>;
  let next = Math.max(...Object.values(vocab)) + 1;
  return tokens.map((t) => {
    if (!(t in vocab)) vocab[t] = next++;
    return vocab[t];
  });
}

function addedToken(
  id: number,
  content: string,
  special: boolean,
  flags: Partial<Json> = {},
): Json {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: !special,
    special,
    ...flags,
  };
}

const BYTE_TOKENS = Array.from(
  { length: 256 },
  (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
);

interface Case {
  name: string;
  build: () => Json;
  pairs?: boolean;
}

const CASES: Case[] = [
  {
    name: 'GPT-2-style byte-level BPE with added tokens (special, lstrip, rstrip, single_word, normalized)',
    build: () => {
      const json = trainWithOracle((t) => {
        t.setPreTokenizer(oracle.byteLevelPreTokenizer(false, true));
        t.setPostProcessor(oracle.byteLevelProcessing(true));
      }, oracle.BPE.empty());
      json.decoder = {
        type: 'ByteLevel',
        add_prefix_space: true,
        trim_offsets: true,
        use_regex: true,
      };
      const [eot, mask, hello, ab, sep] = appendToVocab(json, [
        '<|endoftext|>',
        '<mask>',
        'hello',
        'Ġab',
        '||',
      ]);
      json.added_tokens = [
        addedToken(eot, '<|endoftext|>', true),
        addedToken(mask, '<mask>', true, { lstrip: true, rstrip: true }),
        addedToken(hello, 'hello', false, { single_word: true, normalized: false }),
        addedToken(ab, ' ab', false, { normalized: true }),
        addedToken(sep, '||', false, { rstrip: true, normalized: false }),
      ];
      return json;
    },
  },
  {
    name: 'RoBERTa-style byte-level BPE (prefix space, offset trimming, <s> A </s>)',
    pairs: true,
    build: () => {
      const json = trainWithOracle((t) => {
        t.setPreTokenizer(oracle.byteLevelPreTokenizer(true, true));
      }, oracle.BPE.empty());
      const [s, e] = appendToVocab(json, ['<s>', '</s>']);
      json.added_tokens = [addedToken(s, '<s>', true), addedToken(e, '</s>', true)];
      json.post_processor = {
        type: 'RobertaProcessing',
        sep: ['</s>', e],
        cls: ['<s>', s],
        trim_offsets: true,
        add_prefix_space: true,
      };
      json.decoder = {
        type: 'ByteLevel',
        add_prefix_space: true,
        trim_offsets: true,
        use_regex: true,
      };
      return json;
    },
  },
  {
    name: 'XLM-R/T5-style Unigram with Metaspace, NFKC and <unk>',
    pairs: true,
    build: () => {
      const json = trainWithOracle((t) => {
        t.setNormalizer(oracle.nfkcNormalizer());
        t.setPreTokenizer(oracle.metaspacePreTokenizer('\u2581', 'always', true));
        t.setDecoder(oracle.metaspaceDecoder('\u2581', 'always', true));
      }, oracle.Unigram.empty());
      const vocab = json.model.vocab as [string, number][];
      const base = vocab.length;
      vocab.push(['<unk>', 0], ['<s>', 0], ['</s>', 0]);
      json.model.unk_id = base;
      json.added_tokens = [
        addedToken(base, '<unk>', true),
        addedToken(base + 1, '<s>', true),
        addedToken(base + 2, '</s>', true),
      ];
      json.post_processor = {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: '<s>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: '<s>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 1 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: '</s>', type_id: 1 } },
        ],
        special_tokens: {
          '<s>': { id: '<s>', ids: [base + 1], tokens: ['<s>'] },
          '</s>': { id: '</s>', ids: [base + 2], tokens: ['</s>'] },
        },
      };
      return json;
    },
  },
  {
    name: 'SentencePiece-style Unigram with byte fallback (Metaspace first, Llama-2 decoder)',
    build: () => {
      const json = trainWithOracle((t) => {
        t.setPreTokenizer(oracle.metaspacePreTokenizer('\u2581', 'first', true));
      }, oracle.Unigram.empty());
      const vocab = json.model.vocab as [string, number][];
      const base = vocab.length;
      vocab.push(['<unk>', 0], ...BYTE_TOKENS.map((t): [string, number] => [t, 0]));
      json.model.unk_id = base;
      json.model.byte_fallback = true;
      json.added_tokens = [addedToken(base, '<unk>', true)];
      json.decoder = {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      };
      return json;
    },
  },
  {
    name: 'BERT-style WordPiece (BertNormalizer, BertPreTokenizer, [CLS] A [SEP])',
    pairs: true,
    build: () => {
      const json = trainWithOracle((t) => {
        t.setNormalizer(oracle.bertNormalizer({}));
        t.setPreTokenizer(oracle.bertPreTokenizer());
        t.setDecoder(oracle.wordPieceDecoder('##', true));
      }, oracle.WordPiece.empty());
      const specials = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'];
      const ids = appendToVocab(json, specials);
      json.added_tokens = specials.map((t, i) => addedToken(ids[i], t, true));
      json.post_processor = {
        type: 'BertProcessing',
        sep: ['[SEP]', ids[2]],
        cls: ['[CLS]', ids[1]],
      };
      return json;
    },
  },
  {
    name: 'WordPiece behind NFD + StripAccents + Lowercase and Whitespace',
    build: () => {
      const json = trainWithOracle((t) => {
        t.setPreTokenizer(oracle.whitespacePreTokenizer());
      }, oracle.WordPiece.empty());
      appendToVocab(json, ['[UNK]']);
      json.normalizer = {
        type: 'Sequence',
        normalizers: [{ type: 'NFD' }, { type: 'StripAccents' }, { type: 'Lowercase' }],
      };
      json.decoder = { type: 'WordPiece', prefix: '##', cleanup: false };
      return json;
    },
  },
  {
    name: 'WordLevel behind Strip, Replace (regex), NFKD, Prepend and WhitespaceSplit, Digits, Punctuation',
    build: () => {
      const json = trainWithOracle((t) => {
        t.setPreTokenizer(oracle.whitespaceSplitPreTokenizer());
      }, oracle.WordLevel.empty());
      appendToVocab(json, ['<unk>']);
      json.model.unk_token = '<unk>';
      json.normalizer = {
        type: 'Sequence',
        normalizers: [
          { type: 'Strip', strip_left: true, strip_right: true },
          { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
          { type: 'NFKD' },
          { type: 'Prepend', prepend: '_' },
        ],
      };
      json.pre_tokenizer = {
        type: 'Sequence',
        pretokenizers: [
          { type: 'WhitespaceSplit' },
          { type: 'Digits', individual_digits: true },
          { type: 'Punctuation', behavior: 'Isolated' },
          { type: 'Split', pattern: { String: 'e' }, behavior: 'MergedWithNext', invert: false },
          { type: 'Split', pattern: { Regex: '[aeiou]+' }, behavior: 'Contiguous', invert: true },
        ],
      };
      json.decoder = {
        type: 'Sequence',
        decoders: [{ type: 'Replace', pattern: { Regex: '_+' }, content: '' }, { type: 'Fuse' }],
      };
      return json;
    },
  },
];

const corpus = corpusTexts(2, 2000);

for (const c of CASES) {
  describe(c.name, () => {
    let json: Json;
    let ours: Tokenizer;
    let ref: oracle.Tokenizer;

    beforeAll(() => {
      json = c.build();
      ours = Tokenizer.fromJSON(json);
      ref = oracle.Tokenizer.fromString(JSON.stringify(json));
    });

    it.skipIf(!HAS_CORPUS)('encodes and decodes the 24 EU languages like the oracle', async () => {
      for (const { text } of corpus) {
        const enc = await expectSameEncoding(ours, ref, text);
        await expectSameDecode(ours, ref, enc.ids);
      }
    });

    it('edge cases', async () => {
      for (const { text } of EDGE_CASES) {
        const enc = await expectSameEncoding(ours, ref, text);
        await expectSameEncoding(ours, ref, text, { addSpecialTokens: false });
        await expectSameDecode(ours, ref, enc.ids);
      }
    });

    it('added-token text, random strings and random ids', async () => {
      const next = rng(c.name.length);
      const extra = [
        'hello world,hello_x xhello hello',
        'a <mask> b  <mask>\tc<mask>',
        'x || y ||z',
        'ab ab  ab',
        'say <|endoftext|> and <s> or </s> [CLS] [SEP]',
      ];
      for (const text of extra) await expectSameEncoding(ours, ref, text);
      for (let k = 0; k < 100; k++) {
        const text = randomText(next);
        const enc = await expectSameEncoding(ours, ref, text);
        await expectSameDecode(ours, ref, enc.ids);
      }
      for (let k = 0; k < 20; k++) {
        const ids = Array.from({ length: Math.floor(next() * 20) }, () =>
          Math.floor(next() * ours.vocabSize),
        );
        await expectSameDecode(ours, ref, ids);
      }
    });

    if (c.pairs) {
      it('pairs', async () => {
        await expectSameEncoding(ours, ref, 'Where is Valletta?', {
          pair: 'It is the capital of Malta.',
        });
        await expectSameEncoding(ours, ref, 'Ελληνικά', {
          pair: 'Čeština',
          addSpecialTokens: false,
        });
      });
    }

    it('round-trips through toJSON, and the oracle loads what we write', async () => {
      const again = Tokenizer.fromJSON(JSON.parse(JSON.stringify(ours.toJSON())));
      expect(again.toJSON()).toEqual(ours.toJSON());
      const file = join(work, `ours-${c.name.length}.json`);
      ours.save(file);
      const fromOurs = oracle.Tokenizer.fromFile(file);
      const texts = [...corpus.slice(0, 6).map((x) => x.text), ...EDGE_CASES.map((e) => e.text)];
      for (const text of texts) await expectSameEncoding(ours, fromOurs, text);
      expect(readFileSync(file, 'utf8').length).toBeGreaterThan(0);
    });
  });
}
