/**
 * The built-in smoke task from the embedded corpus: the UDHR reassembled from the corpus's
 * parts equals the shared source text, every question's gold choice is the same article in
 * the target language, choices differ, the seed fixes the task; and the tokenizer report on
 * the same parallel text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Document } from '@openeurollm/data';
import { euCorpusDocuments } from '@openeurollm/data/node';
import { trainBpeTokenizer } from '@openeurollm/tokenizer';
import { describe, expect, it } from 'vitest';
import {
  evaluateMultipleChoice,
  loadUdhrSmokeTask,
  tokenizerReport,
  UDHR_SMOKE_TASK,
  udhrArticles,
  udhrParallelTexts,
  udhrSmokeTask,
} from '../src/node.js';
import { BigramModel } from './toy-model.js';

const LANGS = 'bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv'.split(' ');
const shared = '/work/shared/corpus/eu24';

describe('UDHR smoke task', () => {
  it('reassembles the declaration from the embedded corpus: 30 articles in 24 languages', async () => {
    const articles = udhrArticles(await euCorpusDocuments());
    expect([...articles.keys()].sort()).toEqual(LANGS);
    for (const [lang, list] of articles) {
      expect(list, lang).toHaveLength(30);
      expect(
        list.every((p) => p.length > 20),
        lang,
      ).toBe(true);
    }
    expect(articles.get('en')![0]).toBe(
      'All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood.',
    );
    expect(articles.get('fr')![0]).toMatch(
      /^Tous les êtres humains naissent libres et égaux en dignité et en droits/,
    );
    expect(articles.get('de')![2]).toBe(
      'Jeder hat das Recht auf Leben, Freiheit und Sicherheit der Person.',
    );
  });

  it.skipIf(!existsSyncSafe(join(shared, 'en.jsonl')))(
    'agrees with the source corpus (one document per language)',
    async () => {
      const docs: Document[] = LANGS.map((lang) => {
        const line = readFileSync(join(shared, `${lang}.jsonl`), 'utf8')
          .split('\n')
          .find((l) => l.includes(`"id": "${lang}-udhr"`))!;
        return JSON.parse(line) as Document;
      });
      const fromSource = udhrArticles(docs);
      const embedded = udhrArticles(await euCorpusDocuments());
      for (const lang of LANGS) expect(embedded.get(lang), lang).toEqual(fromSource.get(lang));
      expect(udhrParallelTexts(await euCorpusDocuments()).pl).toBe(
        docs.find((d) => d.lang === 'pl')!.text,
      );
    },
  );

  it('asks for the translation of each article among other articles, in 23 languages', async () => {
    const docs = await euCorpusDocuments();
    const task = udhrSmokeTask(docs, { articles: 4, choices: 4, seed: 3 });
    const articles = udhrArticles(docs);
    expect(task.name).toBe(UDHR_SMOKE_TASK);
    expect(task.smoke).toBe(true);
    expect(String(task.source?.note)).toContain('not a benchmark');
    expect(task.docs).toHaveLength(23 * 4);
    expect(new Set(task.docs.map((d) => d.lang)).size).toBe(23);
    for (const d of task.docs) {
      const k = Number(/article-(\d+)-/.exec(d.id!)![1]) - 1;
      expect(d.context).toBe(`English: ${articles.get('en')![k]}\n${nameOf(d.lang!)}:`);
      expect(d.choices[d.gold]).toBe(articles.get(d.lang!)![k]);
      expect(new Set(d.choices).size).toBe(4);
      for (const c of d.choices) expect(articles.get(d.lang!)).toContain(c);
    }
    // gold positions vary; the same seed gives the same task, another seed another
    expect(new Set(task.docs.map((d) => d.gold)).size).toBeGreaterThan(2);
    expect(udhrSmokeTask(docs, { articles: 4, seed: 3 })).toEqual(task);
    expect(udhrSmokeTask(docs, { articles: 4, seed: 4 }).docs).not.toEqual(task.docs);
    expect(() => udhrSmokeTask(docs, { sourceLang: 'xx' })).toThrow(
      "no UDHR text in the source language 'xx'",
    );
  });

  it('runs through the multiple-choice scorer with results per language', async () => {
    const task = await loadUdhrSmokeTask({ articles: 1, targetLangs: ['de', 'fr', 'pl'] });
    // a tokenizer of a single byte-ish alphabet that the toy model understands: every char -> 'a'
    const tok = { encode: (t: string) => ({ ids: Array.from(t, () => 1) }) };
    const r = await evaluateMultipleChoice(new BigramModel(1024), tok, task);
    expect(r.smoke).toBe(true);
    expect(Object.keys(r.byLang).sort()).toEqual(['de', 'fr', 'pl']);
    // under a model that ignores the text, the shortest choice has the highest likelihood
    for (const d of r.docs) {
      const lengths = task.docs[d.index].choices.map((c) => Array.from(c).length);
      expect(lengths[d.pred]).toBe(Math.min(...lengths));
    }
  });
});

describe('tokenizer report', () => {
  it('fertility, bytes per token and parity with English on the UDHR in 24 languages', async () => {
    const tok = await trainBpeTokenizer(
      LANGS.map((lang) => ({ text: `${lang} text sample for a tiny vocabulary`, lang })),
      { vocabSize: 280 },
    );
    const r = await tokenizerReport(tok);
    expect(r.reference).toBe('en');
    expect(r.rows.map((x) => x.lang)).toEqual(LANGS);
    expect(r.rows.find((x) => x.lang === 'en')!.parity).toBe(1);
    const texts = udhrParallelTexts(await euCorpusDocuments());
    for (const row of r.rows) {
      expect(row.bytes).toBe(new TextEncoder().encode(texts[row.lang]).length);
      expect(row.tokens).toBe(tok.encodeIds(texts[row.lang]).length);
      expect(row.bytesPerToken).toBeCloseTo(row.bytes / row.tokens, 12);
    }
    // a byte-level tokenizer this small pays most for Greek and Bulgarian (2-byte letters)
    expect(['el', 'bg']).toContain(r.worst.lang);
    expect(r.data.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

function nameOf(lang: string): string {
  return new Intl.DisplayNames(['en'], { type: 'language' })
    .of(lang)!
    .replace('Modern Greek', 'Greek');
}

function existsSyncSafe(p: string): boolean {
  try {
    readFileSync(p, { flag: 'r' }).subarray(0, 1);
    return true;
  } catch {
    return false;
  }
}
