/**
 * Perplexity and bits-per-byte of the PyTorch-made fixture models of @openeurollm/nn equal what
 * PyTorch computes (scripts/perplexity_fixtures.py -> fixtures/perplexity.json) within 1e-4
 * relative, on every backend that loads here, for three window settings and 24 languages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@openeurollm/nn/node';
import { listBackends, withBackend } from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import { perplexity, slidingWindows } from '../src/index.js';

interface FixtureRow {
  lang: string;
  texts: number;
  tokens: number;
  bytes: number;
  nll: number;
  perplexity: number;
  bitsPerByte: number;
}
interface WindowSetting {
  contextLength: number;
  stride: number;
  prefixTokenId: number | null;
  languages: FixtureRow[];
  all: FixtureRow;
}

const fx = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'perplexity.json'), 'utf8'),
);
const nnFixtures = join(import.meta.dirname, '..', '..', 'nn', 'test', 'fixtures');

/** The fixture's tokenization: one token per UTF-8 byte, id = byte % 96. */
const byteMod96 = {
  encode: (text: string) => ({ ids: [...new TextEncoder().encode(text)].map((b) => b % 96) }),
};

const relClose = (a: number, b: number, tol = 1e-4) =>
  expect(Math.abs(a - b) / Math.abs(b), `${a} vs ${b}`).toBeLessThanOrEqual(tol);

const backends = listBackends()
  .filter((b) => b.available && (b.name === 'js' || b.name === 'native'))
  .map((b) => b.name);

describe('perplexity vs PyTorch', () => {
  it('fixture is current and a backend loads', () => {
    expect(fx.format_version).toBe('1');
    expect(Object.keys(fx.texts)).toHaveLength(24);
    expect(backends).toContain('js');
  });

  for (const backend of backends) {
    for (const arch of ['gpt2', 'llama'] as const) {
      for (const [name, want] of Object.entries<WindowSetting>(fx.results[arch])) {
        it(`${backend} ${arch} ${name}`, async () => {
          const got = await withBackend(backend, async () => {
            const model = loadModel(join(nnFixtures, arch));
            return perplexity(model, byteMod96, fx.texts, {
              contextLength: want.contextLength,
              stride: want.stride,
              prefixTokenId: want.prefixTokenId,
            });
          });
          expect(got.config).toEqual({
            contextLength: want.contextLength,
            stride: want.stride,
            prefixTokenId: want.prefixTokenId,
          });
          expect(got.languages.map((r) => r.lang)).toEqual(want.languages.map((r) => r.lang));
          for (const [i, row] of got.languages.entries()) {
            const w = want.languages[i];
            expect([row.texts, row.tokens, row.bytes]).toEqual([w.texts, w.tokens, w.bytes]);
            relClose(row.nll, w.nll);
            relClose(row.perplexity, w.perplexity);
            relClose(row.bitsPerByte, w.bitsPerByte);
          }
          expect(got.all.tokens).toBe(want.all.tokens);
          relClose(got.all.nll, want.all.nll);
          relClose(got.all.perplexity, want.all.perplexity);
          relClose(got.all.bitsPerByte, want.all.bitsPerByte);
        });
      }
    }
  }
});

describe('sliding windows', () => {
  it('predict every token once, each with at least contextLength - stride tokens of context', () => {
    for (const [n, ctx, stride, prefix] of [
      [1, 4, 4, 9],
      [10, 4, 4, 9],
      [10, 4, 1, null],
      [37, 8, 3, 9],
      [8, 8, 8, null],
    ] as const) {
      const tokens = Array.from({ length: n }, (_, i) => 100 + i);
      const seq = prefix === null ? tokens : [prefix, ...tokens];
      const predicted: number[] = [];
      for (const w of slidingWindows(tokens, prefix, ctx, stride)) {
        expect(w.tokens.length - 1).toBeLessThanOrEqual(ctx);
        const start = seq.indexOf(w.tokens[0]);
        for (let k = w.tokens.length - w.scored; k < w.tokens.length; k++) {
          const pos = start + k; // position in seq of a scored token
          predicted.push(pos);
          if (predicted.length > ctx) expect(k).toBeGreaterThanOrEqual(ctx - stride);
        }
      }
      expect(predicted).toEqual(Array.from({ length: seq.length - 1 }, (_, i) => i + 1));
    }
  });

  it('rejects settings that leave tokens out, naming the option', async () => {
    const model = loadModel(join(nnFixtures, 'gpt2'));
    const texts = { en: 'abc' };
    await expect(perplexity(model, byteMod96, texts, { contextLength: 33 })).rejects.toThrow(
      'contextLength must be an integer in [1, 32]',
    );
    await expect(perplexity(model, byteMod96, texts, { stride: 40 })).rejects.toThrow(
      'stride must be an integer in [1, contextLength = 32]',
    );
    await expect(perplexity(model, byteMod96, texts, { prefixTokenId: 96 })).rejects.toThrow(
      'prefixTokenId must be a token id in [0, 96)',
    );
    await expect(perplexity(model, byteMod96, { en: '' })).rejects.toThrow(
      "the texts of 'en' have no tokens to score",
    );
    await expect(perplexity(model, byteMod96, {})).rejects.toThrow('textsByLang has no languages');
  });
});
