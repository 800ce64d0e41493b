/**
 * Multiple-choice scoring on a toy task whose log-likelihoods are known by hand (toy-model.ts):
 * acc, acc_norm (by characters), acc_bytes (by UTF-8 bytes), their standard errors, the
 * harness's handling of trailing spaces and empty contexts, few-shot prompts, limit.
 */
import { describe, expect, it } from 'vitest';
import { evaluateMultipleChoice, type McTask } from '../src/index.js';
import { BigramModel, charTokenizer } from './toy-model.js';

const ln = Math.log;

// each continuation is ' ' + choice, scored after the context's last character
const task: McTask = {
  name: 'toy',
  docs: [
    { context: 'x', choices: ['a', 'bbbb'], gold: 1, lang: 'en' },
    { context: 'x', choices: ['é', 'ab'], gold: 0, lang: 'en' },
    { context: 'x', choices: ['a', 'b'], gold: 1, lang: 'de' },
    { context: 'x ', choices: ['a', 'b'], gold: 0, lang: 'de' },
    { context: '', choices: ['a', 'b'], gold: 0, lang: 'de' },
  ],
};

const expected = [
  // P(' '|x) P(a|' ')                  P(' '|x) P(b|' ') P(b|b)^3
  [ln(1 / 2) + ln(1 / 2), ln(1 / 2) + ln(1 / 8) + 3 * ln(5 / 8)],
  // P(' '|x) P(é|' ')                  P(' '|x) P(a|' ') P(b|a)
  [ln(1 / 2) + ln(1 / 4), ln(1 / 2) + ln(1 / 2) + ln(1 / 8)],
  [ln(1 / 2) + ln(1 / 2), ln(1 / 2) + ln(1 / 8)],
  // the context's trailing space moves to the continuation: 'x' then '  a' / '  b'
  [ln(1 / 2) + ln(1 / 16) + ln(1 / 2), ln(1 / 2) + ln(1 / 16) + ln(1 / 8)],
  // empty context: the prefix token (BOS 'x') stands for it
  [ln(1 / 2) + ln(1 / 2), ln(1 / 2) + ln(1 / 8)],
];

/** The first `n` documents' log-likelihoods equal the hand-computed sums. */
function expectLogLikelihoods(docs: { logLikelihoods: number[] }[], n: number) {
  for (let i = 0; i < n; i++) {
    for (const [c, ll] of docs[i].logLikelihoods.entries())
      expect(ll).toBeCloseTo(expected[i][c], 5);
  }
}

describe('multiple choice on a hand-checked toy task', () => {
  it('log-likelihoods equal the hand-computed sums', async () => {
    const model = new BigramModel();
    const r = await evaluateMultipleChoice(model, charTokenizer, task, { batchSize: 3 });
    expectLogLikelihoods(r.docs, 5);
    // batches of at most 3 sequences, padded to the longest in the batch
    expect(model.batches.length).toBe(Math.ceil(10 / 3));
    for (const b of model.batches) expect(new Set(b.map((row) => row.length)).size).toBe(1);
  });

  it('acc, acc_norm (characters) and acc_bytes (UTF-8 bytes) pick as worked out by hand', async () => {
    const r = await evaluateMultipleChoice(new BigramModel(), charTokenizer, task);
    // doc 0: 'a' has the higher log-likelihood, 'bbbb' the higher per character (gold)
    // doc 1: 'é' wins raw and per byte (2 bytes), 'ab' per character
    // doc 2: 'a' wins every way, gold is 'b'
    expect(r.docs.map((d) => d.pred)).toEqual([0, 0, 0, 0, 0]);
    expect(r.docs.map((d) => d.predNorm)).toEqual([1, 1, 0, 0, 0]);
    expect(r.docs.map((d) => d.predBytes)).toEqual([1, 0, 0, 0, 0]);
    expect(r.metrics.acc.value).toBeCloseTo(3 / 5, 12);
    expect(r.metrics.acc_norm.value).toBeCloseTo(3 / 5, 12);
    expect(r.metrics.acc_bytes.value).toBeCloseTo(4 / 5, 12);
    // sample standard deviation / sqrt(n): sqrt(0.3) / sqrt(5) and sqrt(0.2) / sqrt(5)
    expect(r.metrics.acc.stderr).toBeCloseTo(Math.sqrt(0.06), 12);
    expect(r.metrics.acc_bytes.stderr).toBeCloseTo(0.2, 12);
    expect(r.byLang.en).toMatchObject({
      n: 2,
      acc: { value: 0.5 },
      acc_norm: { value: 0.5 },
      acc_bytes: { value: 1 },
    });
    expect(r.byLang.de).toMatchObject({
      n: 3,
      acc: { value: 2 / 3 },
      acc_norm: { value: 2 / 3 },
      acc_bytes: { value: 2 / 3 },
    });
    expect(r.n).toBe(5);
    expect(r.smoke).toBe(false);
  });

  it('limit scores the first documents only', async () => {
    const r = await evaluateMultipleChoice(new BigramModel(), charTokenizer, task, { limit: 2 });
    expect(r.n).toBe(2);
    expect(r.config.limit).toBe(2);
    expect(r.metrics.acc.value).toBe(0.5);
  });

  it('few-shot prompts put other documents (context + gold choice) first, chosen by the seed', async () => {
    const a = await evaluateMultipleChoice(new BigramModel(), charTokenizer, task, {
      numFewshot: 2,
      seed: 7,
    });
    const b = await evaluateMultipleChoice(new BigramModel(), charTokenizer, task, {
      numFewshot: 2,
      seed: 7,
    });
    expect(a.docs.map((d) => d.prompt)).toEqual(b.docs.map((d) => d.prompt));
    const shots = (p: string) => p.split('\n\n').slice(0, -1);
    a.docs.forEach((d, i) => {
      const parts = shots(d.prompt);
      expect(parts).toHaveLength(2);
      expect(d.prompt.endsWith(`\n\n${task.docs[i].context}`)).toBe(true);
      for (const s of parts) {
        // each shot is some other document's context + ' ' + its gold choice
        const from = task.docs.filter(
          (o, j) => j !== i && s === `${o.context} ${o.choices[o.gold]}`,
        );
        expect(from.length, `shot '${s}' of doc ${i}`).toBeGreaterThan(0);
      }
    });
    // a bigram model looks at the last context character only: the scores do not change (but
    // for the empty context, which now ends in the shots)
    expectLogLikelihoods(a.docs, 4);
    const seeds = await Promise.all(
      [1, 2, 3, 4].map((seed) =>
        evaluateMultipleChoice(new BigramModel(), charTokenizer, task, { numFewshot: 2, seed }),
      ),
    );
    expect(new Set(seeds.map((r) => r.docs.map((d) => d.prompt).join('|'))).size).toBeGreaterThan(
      1,
    );
  });

  it('rejects bad documents and options, naming them', async () => {
    const m = new BigramModel();
    const bad = (docs: McTask['docs']) =>
      evaluateMultipleChoice(m, charTokenizer, { name: 't', docs });
    await expect(bad([{ context: 'x', choices: ['a', 'b'], gold: 2 }])).rejects.toThrow(
      "task 't' doc 0: gold 2 is out of range for 2 choices",
    );
    await expect(bad([{ context: 'x', choices: ['a'], gold: 0 }])).rejects.toThrow(
      'at least 2 strings',
    );
    await expect(bad([])).rejects.toThrow("task 't' has no documents");
    await expect(evaluateMultipleChoice(m, charTokenizer, task, { limit: 0 })).rejects.toThrow(
      'limit must be a positive integer',
    );
    await expect(evaluateMultipleChoice(m, charTokenizer, task, { numFewshot: 5 })).rejects.toThrow(
      'too few for numFewshot 5',
    );
  });
});
