/**
 * Round trips and robustness: byte-level decode(encode(s)) === s for random strings; invalid
 * UTF-8 decodes to U+FFFD exactly as Hugging Face does; tokenizers saved here load in Hugging
 * Face tokenizers and encode the same; adding tokens matches the oracle; pathological inputs
 * finish quickly.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../src/node.js';
import { toWellFormed } from '../src/unicode.js';
import {
  corpusTexts,
  EDGE_CASES,
  expectSameDecode,
  expectSameEncoding,
  oracle,
  PRETRAINED,
  pretrainedDir,
  randomText,
  rng,
} from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'oellm-tokenizer-rt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const load = (pkg: string) => Tokenizer.fromFile(pretrainedDir(pkg));
const loadOracle = (pkg: string) =>
  oracle.Tokenizer.fromFile(join(pretrainedDir(pkg), 'tokenizer.json'));

describe('byte-level round trip decode(encode(s)) === s', () => {
  for (const pkg of ['llama3', 'qwen3']) {
    it(`${pkg}: 500 random strings with astral characters`, () => {
      const tok = load(pkg);
      const next = rng(11);
      for (let k = 0; k < 500; k++) {
        // lone surrogates reach the tokenizer as U+FFFD; Qwen3 normalizes to NFC first
        let s = toWellFormed(randomText(next, 40));
        if (pkg === 'qwen3') s = s.normalize('NFC');
        expect(tok.decode(tok.encode(s, { addSpecialTokens: false }).ids), JSON.stringify(s)).toBe(
          s,
        );
      }
    });
  }

  it('llama3: every EU language document and edge case', () => {
    const tok = load('llama3');
    for (const text of [...corpusTexts(2).map((c) => c.text), ...EDGE_CASES.map((e) => e.text)]) {
      expect(tok.decode(tok.encode(text).ids)).toBe(toWellFormed(text));
    }
  });
});

describe('invalid UTF-8 decodes to U+FFFD as Hugging Face does', () => {
  let llama3: Tokenizer;
  let ref3: oracle.Tokenizer;
  let llama2: Tokenizer;
  let ref2: oracle.Tokenizer;
  beforeAll(() => {
    llama3 = load('llama3');
    ref3 = loadOracle('llama3');
    llama2 = load('llama2');
    ref2 = loadOracle('llama2');
  });

  it('byte-level: maximal invalid subsequences become one U+FFFD each', async () => {
    // byte-level tokens are the GPT-2 byte characters; look their ids up through a byte string
    const byteIds = (bytes: number[]) =>
      bytes.map((b) => {
        const id = llama3.tokenToId(String.fromCharCode(...[b].map((x) => BYTE_CHARS[x])));
        if (id === undefined) throw new Error(`no token for byte ${b}`);
        return id;
      });
    const cases: [number[], string][] = [
      [[0xe2], '\ufffd'],
      [[0xe2, 0x82], '\ufffd'],
      [[0xe2, 0x82, 0xac], '€'],
      [[0xf0, 0x9f, 0x98, 0x41], '\ufffdA'],
      [[0xc0, 0x80], '\ufffd\ufffd'],
      [[0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
      [[0x80, 0x41, 0xff], '\ufffdA\ufffd'],
      [[0xef, 0xbb, 0xbf, 0x41], '\ufeffA'],
    ];
    for (const [bytes, expected] of cases) {
      const ids = byteIds(bytes);
      expect(llama3.decode(ids), bytes.join(',')).toBe(expected);
      await expectSameDecode(llama3, ref3, ids);
    }
  });

  it('byte fallback: one U+FFFD per byte of an invalid run', async () => {
    const ids = (names: string[]) => names.map((n) => llama2.tokenToId(n)!);
    expect(llama2.decode(ids(['<0xE2>', '<0x82>']))).toBe('\ufffd\ufffd');
    expect(llama2.decode(ids(['<0xE2>', '<0x82>', '<0xAC>']))).toBe('€');
    for (const names of [
      ['<0xE2>', '<0x82>', '\u2581a'],
      ['<0xFF>'],
      ['\u2581x', '<0xC3>', '<0xA9>', '<0xC3>'],
    ]) {
      await expectSameDecode(llama2, ref2, ids(names));
    }
  });
});

const BYTE_CHARS: number[] = (() => {
  const out: number[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    out.push(printable ? b : 256 + n++);
  }
  return out;
})();

describe('tokenizers saved here load in Hugging Face tokenizers and encode the same', () => {
  for (const [name, pkg] of Object.entries(PRETRAINED)) {
    it(name, async () => {
      const ours = load(pkg);
      const dir = join(work, pkg);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      ours.save(dir, { pretty: pkg !== 'gemma3' });
      // written via a temporary file, nothing else left behind; the config comes along
      expect(readdirSync(dir).sort()).toEqual(['tokenizer.json', 'tokenizer_config.json']);
      const fromOurs = oracle.Tokenizer.fromFile(join(dir, 'tokenizer.json'));
      const again = Tokenizer.fromFile(dir);
      expect(again.toJSON()).toEqual(ours.toJSON());
      for (const text of [
        ...corpusTexts(1, 1500).map((c) => c.text),
        ...EDGE_CASES.map((e) => e.text),
      ]) {
        await expectSameEncoding(ours, fromOurs, text);
      }
    });
  }
});

describe('adding tokens', () => {
  it('matches the oracle for added and special tokens', async () => {
    const ours = load('llama3');
    const ref = loadOracle('llama3');
    const plain = ['hello world', '<custom>', 'ßtraße'];
    const special = ['<|mine|>', '<|begin_of_text|>'];
    expect(ours.addTokens(plain)).toBe(ref.addTokens(plain));
    ours.addSpecialTokens(special);
    ref.addSpecialTokens(special);
    for (const t of [...plain, ...special]) expect(ours.tokenToId(t)).toBe(ref.tokenToId(t));
    expect(ours.vocabSize).toBe(ref.getVocabSize(true));
    for (const text of [
      'say hello world <custom> and <|mine|>ßtraße',
      'hello worldhello world',
      'x<|mine|>y',
    ]) {
      const enc = await expectSameEncoding(ours, ref, text);
      await expectSameDecode(ours, ref, enc.ids);
    }
  });

  it('encodeBatch is encode on each input', () => {
    const tok = load('llama2');
    const inputs: (string | [string, string])[] = ['one', ['two', 'three'], ''];
    expect(tok.encodeBatch(inputs)).toEqual([
      tok.encode('one'),
      tok.encode('two', { pair: 'three' }),
      tok.encode(''),
    ]);
  });
});

describe('no runaway work on pathological input', () => {
  const inputs = [
    'a'.repeat(100_000),
    ' '.repeat(50_000),
    '\n'.repeat(20_000),
    '9'.repeat(50_000),
    '👨‍👩‍👧‍👦'.repeat(5_000),
    'ab'.repeat(30_000),
    '\ud800'.repeat(10_000),
    'e\u0301'.repeat(20_000),
    '<|eot_id|>'.repeat(5_000),
    '<0xE2>'.repeat(5_000),
  ];
  for (const [name, pkg] of Object.entries(PRETRAINED)) {
    it(`${name} encodes each within seconds`, () => {
      const tok = load(pkg);
      for (const text of inputs) {
        const t0 = performance.now();
        const enc = tok.encode(text);
        expect(enc.ids.length).toBeGreaterThan(0);
        expect(
          performance.now() - t0,
          `${JSON.stringify(text.slice(0, 12))} x${text.length}`,
        ).toBeLessThan(15_000);
      }
    });
  }
});

it('a folder without tokenizer_config.json loads without a chat template', () => {
  const dir = join(work, 'bare');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'tokenizer.json'),
    readFileSync(join(pretrainedDir('llama2'), 'tokenizer.json')),
  );
  const tok = Tokenizer.fromFile(dir);
  expect(tok.config).toBeNull();
  expect(existsSync(join(dir, 'tokenizer_config.json'))).toBe(false);
});
