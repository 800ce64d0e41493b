/**
 * Task files and generation tasks: JSONL and Parquet (written by pyarrow, see
 * scripts/task_fixtures.py), the dataset layouts, errors that name file, line and field, and
 * generation scored by exact match, chrF, chrF++ and BLEU.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM } from '@openeurollm/nn';
import { manualSeed } from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import {
  bleu,
  chrf,
  evaluateGeneration,
  generationTaskFromJsonl,
  mcTaskFromJsonl,
  readTask,
  TaskFormatError,
} from '../src/node.js';
import { charTokenizer, GreedyBigramModel } from './toy-model.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const jsonl = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n');

describe('task files', () => {
  it('reads { context, choices, gold } JSONL with ids and languages', () => {
    const t = mcTaskFromJsonl(
      jsonl(
        { id: 'a', lang: 'fr', context: 'Q?', choices: ['oui', 'non'], gold: 1 },
        { context: 'R?', choices: ['x', 'y', 'z'], gold: '2' },
      ),
      { file: 'qa.jsonl' },
    );
    expect(t.name).toBe('qa');
    expect(t.docs).toEqual([
      { id: 'a', lang: 'fr', context: 'Q?', choices: ['oui', 'non'], gold: 1 },
      { context: 'R?', choices: ['x', 'y', 'z'], gold: 2 },
    ]);
    expect(t.source).toMatchObject({ file: 'qa.jsonl', layout: 'oellm', docs: 2 });
    expect(t.source?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names file, line and field for a missing field, a bad gold and bad JSON', () => {
    const good = { context: 'c', choices: ['a', 'b'], gold: 0 };
    const cases: [string, string][] = [
      [jsonl(good, { context: 'c', gold: 0 }), "tasks.jsonl:2: field 'choices': is missing"],
      [
        jsonl(good, good, { context: 'c', choices: ['a', 'b'], gold: 2 }),
        "tasks.jsonl:3: field 'gold': 2 is out of range: 2 choices take 0..1",
      ],
      [
        jsonl({ context: 'c', choices: ['a', 'b'], gold: -1 }),
        "tasks.jsonl:1: field 'gold': -1 is out of range",
      ],
      [
        jsonl({ context: 'c', choices: ['a', 'b'], gold: 'first' }),
        "tasks.jsonl:1: field 'gold': must be an integer index",
      ],
      [
        jsonl({ context: 1, choices: ['a', 'b'], gold: 0 }),
        "tasks.jsonl:1: field 'context': must be a string, found number",
      ],
      [
        jsonl({ context: 'c', choices: ['a', 3], gold: 0 }),
        "tasks.jsonl:1: field 'choices[1]': must be a string",
      ],
      [`${jsonl(good)}\n\n{"context": "c",`, "tasks.jsonl:3: field '(line)': not valid JSON"],
    ];
    for (const [text, message] of cases) {
      expect(() => mcTaskFromJsonl(text, { file: 'tasks.jsonl' })).toThrow(message);
    }
    try {
      mcTaskFromJsonl(jsonl(good, { context: 'c', gold: 0 }), { file: 'tasks.jsonl' });
    } catch (e) {
      expect(e).toBeInstanceOf(TaskFormatError);
      expect(e).toMatchObject({ file: 'tasks.jsonl', line: 2, field: 'choices' });
    }
  });

  it('maps Belebele, ARC, HellaSwag and XNLI records with lm-evaluation-harness prompts', () => {
    const belebele = mcTaskFromJsonl(
      jsonl({
        flores_passage: 'Text.',
        question: ' Why? ',
        mc_answer1: 'w',
        mc_answer2: 'x',
        mc_answer3: 'y',
        mc_answer4: 'z',
        correct_answer_num: '3',
        dialect: 'deu_Latn',
      }),
      { layout: 'belebele', file: 'b.jsonl' },
    );
    expect(belebele.docs[0]).toEqual({
      context: 'P: Text.\nQ: Why?\nA: w\nB: x\nC: y\nD: z\nAnswer:',
      choices: ['A', 'B', 'C', 'D'],
      gold: 2,
      lang: 'deu_Latn',
    });
    expect(() =>
      mcTaskFromJsonl(
        jsonl({
          flores_passage: 'T',
          question: 'Q',
          mc_answer1: 'a',
          mc_answer2: 'b',
          mc_answer3: 'c',
          mc_answer4: 'd',
          correct_answer_num: '5',
        }),
        {
          layout: 'belebele',
          file: 'b.jsonl',
        },
      ),
    ).toThrow("b.jsonl:1: field 'correct_answer_num': 5 is out of range: 4 choices take 1..4");
    const arc = mcTaskFromJsonl(
      jsonl({ question: 'Q?', choices: { text: ['p', 'q'], label: ['A', 'B'] }, answerKey: 'B' }),
      { layout: 'arc' },
    );
    expect(arc.docs[0]).toEqual({ context: 'Question: Q?\nAnswer:', choices: ['p', 'q'], gold: 1 });
    expect(() =>
      mcTaskFromJsonl(
        jsonl({ question: 'Q?', choices: { text: ['p', 'q'], label: ['A', 'B'] }, answerKey: 'E' }),
        { layout: 'arc', file: 'arc.jsonl' },
      ),
    ).toThrow("arc.jsonl:1: field 'answerKey': 'E' is not one of the labels A, B");
    const hs = mcTaskFromJsonl(
      jsonl({
        activity_label: 'Baking',
        ctx_a: 'A man mixes flour.',
        ctx_b: 'THEN he',
        endings: ['bakes [title] it.', 'sings  loud.'],
        label: '0',
        ind: 7,
      }),
      { layout: 'hellaswag' },
    );
    expect(hs.docs[0]).toEqual({
      context: 'Baking: A man mixes flour. Then he',
      choices: ['bakes. it.', 'sings loud.'],
      gold: 0,
      id: '7',
    });
    const xnli = mcTaskFromJsonl(
      jsonl({ premise: 'It rains', hypothesis: 'it is wet', label: 2 }),
      { layout: 'xnli' },
    );
    expect(xnli.docs[0]).toEqual({
      context: '',
      choices: [
        'It rains, right? Yes, it is wet',
        'It rains, right? Also, it is wet',
        'It rains, right? No, it is wet',
      ],
      gold: 2,
    });
  });

  it('reads Parquet written by pyarrow (nested lists and structs, int64) and names the bad row', async () => {
    const arc = await readTask(join(fixtures, 'arc-sample.parquet'), { layout: 'arc' });
    expect(arc.name).toBe('arc-sample');
    expect(arc.docs).toEqual([
      {
        id: 'q1',
        lang: 'en',
        context: 'Question: Which is a colour?\nAnswer:',
        choices: ['red', 'run', 'rain'],
        gold: 0,
      },
      {
        id: 'q2',
        lang: 'de',
        context: 'Question: Wie viele Beine hat eine Spinne?\nAnswer:',
        choices: ['sechs', 'acht', 'zehn', 'vier'],
        gold: 1,
      },
      {
        id: 'q3',
        lang: 'hr',
        context: 'Question: Koja je boja neba?\nAnswer:',
        choices: ['zelena', 'plava'],
        gold: 1,
      },
    ]);
    const file = join(fixtures, 'oellm-bad-gold.parquet');
    await expect(readTask(file)).rejects.toThrow(
      `${file}:3: field 'gold': 5 is out of range: 3 choices take 0..2`,
    );
  });

  it('reads JSONL task files from disk with the file name in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eval-task-'));
    const file = join(dir, 'mine.jsonl');
    writeFileSync(
      file,
      jsonl({ context: 'c', choices: ['a', 'b'], gold: 0 }, { context: 'c', choices: ['a', 'b'] }),
    );
    await expect(readTask(file)).rejects.toThrow(`${file}:2: field 'gold': is missing`);
    await expect(readTask(join(dir, 'x.csv'))).rejects.toThrow();
  });
});

describe('generation tasks', () => {
  const task = generationTaskFromJsonl(
    jsonl(
      { prompt: 'x', references: ['a a', 'a b'], lang: 'en' },
      { prompt: 'xb', reference: 'b b b', lang: 'en' },
      { prompt: 'x a', references: ['a'], lang: 'de' },
    ),
    { file: 'gen.jsonl' },
  );

  it('generates greedily, cuts, and scores like bleu() and chrf() on the outputs', async () => {
    const model = new GreedyBigramModel();
    const r = await evaluateGeneration(model, charTokenizer, task, {
      maxNewTokens: 4,
      stopSequences: ['b a'],
    });
    // greedy bigram: after 'x' ' ', after ' ' 'a', after 'a' ' ' (first of a tie); after 'b' 'b'
    expect(r.docs.map((d) => d.output)).toEqual(['a a', 'bbbb', 'a a']);
    expect(r.docs.map((d) => d.exactMatch)).toEqual([true, false, false]);
    expect(r.metrics.exact_match.value).toBeCloseTo(1 / 3, 12);
    const hyps = ['a a', 'bbbb', 'a a'];
    const refs = [
      ['a a', 'b b b', 'a'],
      ['a b', null, null],
    ];
    expect(r.metrics.bleu).toEqual(bleu(hyps, refs));
    expect(r.metrics.chrf).toEqual(chrf(hyps, refs));
    expect(r.metrics['chrf++']).toEqual(chrf(hyps, refs, { wordOrder: 2 }));
    expect(r.metrics.bleu.signature).toContain('nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp');
    expect(r.byLang.de.n).toBe(1);
    expect(r.byLang.de.chrf.score).toBe(chrf(['a a'], [['a']]).score);
    expect(r.source).toMatchObject({ file: 'gen.jsonl', docs: 3 });
  });

  it('cuts at stop sequences and leaves room for new tokens in the context', async () => {
    const model = new GreedyBigramModel();
    const r = await evaluateGeneration(
      model,
      charTokenizer,
      { name: 'g', docs: [{ prompt: 'x', references: ['a'] }] },
      { maxNewTokens: 6, stopSequences: [' a'] },
    );
    expect(r.docs[0].output).toBe('');
    const long = 'x'.repeat(100);
    await evaluateGeneration(
      model,
      charTokenizer,
      { name: 'g', docs: [{ prompt: long, references: ['a'] }] },
      { maxNewTokens: 10 },
    );
    expect(model.prompts.at(-1)).toHaveLength(64 - 10);
  });

  it('samples with a seed per document on a CausalLM: the same seed repeats, another differs', async () => {
    manualSeed(0);
    const model = new CausalLM({
      arch: 'gpt2',
      vocabSize: 256,
      contextLength: 32,
      dModel: 16,
      nLayers: 1,
      nHeads: 2,
      bosTokenId: 0,
    });
    const bytes = {
      encode: (t: string) => ({ ids: [...new TextEncoder().encode(t)] }),
      decode: (ids: number[]) => String.fromCharCode(...ids),
    };
    const t = {
      name: 's',
      docs: [
        { prompt: 'abc', references: ['x'] },
        { prompt: 'abc', references: ['y'] },
      ],
    };
    const run = (seed: number) =>
      evaluateGeneration(model, bytes, t, {
        temperature: 1,
        maxNewTokens: 12,
        seed,
        stopSequences: [],
      });
    const [a, b, c] = await Promise.all([run(5), run(5), run(6)]);
    expect(a.docs.map((d) => d.output)).toEqual(b.docs.map((d) => d.output));
    expect(a.docs.map((d) => d.output)).not.toEqual(c.docs.map((d) => d.output));
    // documents get seed + index: the same prompt samples differently
    expect(a.docs[0].output).not.toBe(a.docs[1].output);
    expect(a.config).toMatchObject({ temperature: 1, seed: 5, maxNewTokens: 12 });
  });

  it('rejects a record without prompt or references', () => {
    expect(() => generationTaskFromJsonl(jsonl({ prompt: 'p' }), { file: 'g.jsonl' })).toThrow(
      "g.jsonl:1: field 'reference': is missing",
    );
    expect(() =>
      generationTaskFromJsonl(jsonl({ references: ['r'] }), { file: 'g.jsonl' }),
    ).toThrow("g.jsonl:1: field 'prompt': is missing");
  });
});
