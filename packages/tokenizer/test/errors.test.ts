/**
 * Bad input: malformed or unsupported tokenizer.json parts fail with an error naming the JSON
 * path and the component type; bad arguments name the function and what was expected.
 */
import { describe, expect, it } from 'vitest';
import { Tokenizer, TokenizerJsonError } from '../src/index.js';
import { Tokenizer as NodeTokenizer } from '../src/node.js';

// biome-ignore lint/suspicious/noExplicitAny: tokenizer.json fixtures are edited freely
type Json = Record<string, any>;

function base(): Json {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
  };
}

function errorOf(json: unknown): Error {
  try {
    Tokenizer.fromJSON(json);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected fromJSON to throw');
}

describe('tokenizer.json errors name the path and the component', () => {
  const cases: [string, (j: Json) => void, RegExp][] = [
    [
      'unknown pre-tokenizer inside a Sequence',
      (j) => {
        j.pre_tokenizer = {
          type: 'Sequence',
          pretokenizers: [{ type: 'Digits' }, { type: 'Foo' }],
        };
      },
      /^tokenizer\.json: pre_tokenizer\.pretokenizers\[1\]: unknown pre-tokenizer type 'Foo' \(supported: ByteLevel, Split/,
    ],
    [
      'unsupported normalizer (Precompiled)',
      (j) => {
        j.normalizer = {
          type: 'Sequence',
          normalizers: [{ type: 'Precompiled', precompiled_charsmap: 'AAA' }],
        };
      },
      /^tokenizer\.json: normalizer\.normalizers\[0\]: unknown normalizer type 'Precompiled'/,
    ],
    [
      'component without a type',
      (j) => {
        j.decoder = { content: 'x' };
      },
      /^tokenizer\.json: decoder: decoder has no 'type'/,
    ],
    [
      'malformed merge',
      (j) => {
        j.model.merges = ['a b', 'abc'];
      },
      /^tokenizer\.json: model\.merges\[1\]: BPE: expected "a b" \(one space\) or \["a", "b"\], got "abc"/,
    ],
    [
      'merge of tokens not in the vocabulary',
      (j) => {
        j.model.merges = ['a b', 'b zz'];
      },
      /^tokenizer\.json: model: BPE: merges\[1\]: token "zz" is not in the vocabulary/,
    ],
    [
      'dropout',
      (j) => {
        j.model.dropout = 0.1;
      },
      /^tokenizer\.json: model\.dropout: BPE: dropout 0\.1 is not supported/,
    ],
    [
      'bad vocabulary id',
      (j) => {
        j.model.vocab.c = 'x';
      },
      /^tokenizer\.json: model\.vocab: BPE: token "c" has id "x"/,
    ],
    [
      'unsupported regex construct',
      (j) => {
        j.pre_tokenizer = {
          type: 'Split',
          pattern: { Regex: 'a++' },
          behavior: 'Isolated',
          invert: false,
        };
      },
      /^tokenizer\.json: pre_tokenizer\.pattern: Split: possessive quantifiers are not supported/,
    ],
    [
      'bad split behavior',
      (j) => {
        j.pre_tokenizer = {
          type: 'Split',
          pattern: { String: ' ' },
          behavior: 'Sideways',
          invert: false,
        };
      },
      /^tokenizer\.json: pre_tokenizer\.behavior: Split: expected one of Removed, Isolated/,
    ],
    [
      'bad pattern object',
      (j) => {
        j.normalizer = { type: 'Replace', pattern: { Glob: '*' }, content: '' };
      },
      /^tokenizer\.json: normalizer\.pattern: Replace: expected \{"String": "..."\} or \{"Regex": "..."\}/,
    ],
    [
      'template with an undeclared special token',
      (j) => {
        j.post_processor = {
          type: 'TemplateProcessing',
          single: [
            { SpecialToken: { id: '<s>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
          ],
          pair: null,
          special_tokens: {},
        };
      },
      /^tokenizer\.json: post_processor: TemplateProcessing: special token '<s>' is used in the template/,
    ],
    [
      'Unigram unk_id out of range',
      (j) => {
        j.model = { type: 'Unigram', unk_id: 5, vocab: [['a', -1]] };
      },
      /^tokenizer\.json: model: Unigram: unk_id 5 is outside the vocabulary/,
    ],
    [
      'added token without content',
      (j) => {
        j.added_tokens = [{ id: 3, special: true }];
      },
      /^tokenizer\.json: added_tokens\[0\]\.content: AddedToken: expected a string, got nothing/,
    ],
    [
      'no model',
      (j) => {
        delete j.model;
      },
      /^tokenizer\.json: no 'model'/,
    ],
  ];
  for (const [name, mutate, message] of cases) {
    it(name, () => {
      const json = base();
      mutate(json);
      const e = errorOf(json);
      expect(e).toBeInstanceOf(TokenizerJsonError);
      expect(e.message).toMatch(message);
    });
  }

  it('text that is not JSON', () => {
    expect(() => Tokenizer.fromJSON('{"model": ', { source: 'my.json' })).toThrow(
      /^my\.json: not valid JSON/,
    );
  });

  it('a missing file names the path', () => {
    expect(() => NodeTokenizer.fromFile('/nonexistent/tokenizer.json')).toThrow(
      /Tokenizer\.fromFile: cannot read tokenizer\.json '\/nonexistent\/tokenizer\.json' \(ENOENT\)/,
    );
  });

  it('path and component are on the error object', () => {
    const json = base();
    json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Foo' }] };
    const e = errorOf(json) as TokenizerJsonError;
    expect(e.path).toBe('pre_tokenizer.pretokenizers[0]');
    expect(e.source).toBe('tokenizer.json');
  });
});

describe('argument errors name the function', () => {
  const tok = Tokenizer.fromJSON(base());
  it('encode', () => {
    expect(() => tok.encode(42 as unknown as string)).toThrow(
      /^Tokenizer\.encode: text must be a string, got 42/,
    );
    expect(() => tok.encode('a', { offsets: 'bytes' as 'utf16' })).toThrow(
      /options\.offsets must be 'utf16' or 'codePoint'/,
    );
  });
  it('decode', () => {
    expect(() => tok.decode('abc' as unknown as number[])).toThrow(
      /^Tokenizer\.decode: ids must be an array of numbers/,
    );
  });
  it('chat template missing', () => {
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toThrow(
      /^applyChatTemplate: this tokenizer has no chat_template/,
    );
  });
  it('encodeBatch', () => {
    expect(() => tok.encodeBatch('abc' as unknown as string[])).toThrow(
      /^Tokenizer\.encodeBatch: inputs must be an array/,
    );
  });
});
