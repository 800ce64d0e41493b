/**
 * Language identification on held-out text of the embedded corpus: paragraphs (lines) of 200+
 * characters of documents the model never saw, UI-string documents aside.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultLanguageIdentifier,
  EU_LANGUAGES,
  euCorpus,
  euCorpusDocuments,
  identifyLanguage,
  LanguageIdentifier,
  makeDocument,
  pipeline,
} from '../src/node.js';
import { heldOutParagraphs } from './helpers.js';

function accuracy(
  lid: LanguageIdentifier,
  set: { lang: string; text: string }[],
): { acc: Record<string, number>; n: Record<string, number> } {
  const ok: Record<string, number> = {};
  const n: Record<string, number> = {};
  for (const p of set) {
    n[p.lang] = (n[p.lang] ?? 0) + 1;
    if (lid.identify(p.text).lang === p.lang) ok[p.lang] = (ok[p.lang] ?? 0) + 1;
  }
  return { acc: Object.fromEntries(Object.keys(n).map((l) => [l, (ok[l] ?? 0) / n[l]])), n };
}

describe('language identification', () => {
  it('is at least 95% accurate on held-out paragraphs of 200+ characters in every one of the 24 languages', async () => {
    const docs = await euCorpusDocuments();
    const set = heldOutParagraphs(docs, 200);
    const lid = await defaultLanguageIdentifier();
    // the model was trained on the train split only: no held-out document is in it
    const trainIds = new Set((await euCorpusDocuments({ split: 'train' })).map((d) => d.id));
    expect(set.every((p) => !trainIds.has(p.id))).toBe(true);
    const { acc, n } = accuracy(lid, set);
    expect(Object.keys(n).sort()).toEqual([...EU_LANGUAGES].sort());
    for (const l of EU_LANGUAGES) {
      expect(n[l], `held-out paragraphs in ${l}`).toBeGreaterThanOrEqual(4);
      expect(acc[l], `accuracy in ${l} (${n[l]} paragraphs)`).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('5-fold cross-validation by document hash over all running text: >= 95% per language, Irish and Maltese on 20+ paragraphs', async () => {
    const docs = await euCorpusDocuments();
    const running = docs.filter((d) => d.meta.kind !== 'ui');
    const fold = (sha: string) => Number.parseInt(sha.slice(0, 8), 16) % 5;
    const ok: Record<string, number> = {};
    const n: Record<string, number> = {};
    for (let k = 0; k < 5; k++) {
      const lid = LanguageIdentifier.train(
        docs.filter((d) => d.meta.kind === 'ui' || fold(d.source.sha256) !== k),
        { languages: EU_LANGUAGES },
      );
      for (const d of running.filter((d) => fold(d.source.sha256) === k)) {
        for (const p of d.text.split('\n').filter((x) => x.length >= 200)) {
          n[d.lang] = (n[d.lang] ?? 0) + 1;
          if (lid.identify(p).lang === d.lang) ok[d.lang] = (ok[d.lang] ?? 0) + 1;
        }
      }
    }
    expect(n.ga).toBeGreaterThanOrEqual(20);
    expect(n.mt).toBeGreaterThanOrEqual(20);
    for (const l of EU_LANGUAGES) {
      expect((ok[l] ?? 0) / n[l], `${l}: ${ok[l]}/${n[l]}`).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('gives undetermined for text in other scripts and too little text', async () => {
    const lid = await defaultLanguageIdentifier();
    expect(
      lid.identify('这是一个用中文写的句子，没有欧盟语言。这是一个用中文写的句子。').lang,
    ).toBe('und');
    expect(lid.identify('ok').lang).toBe('und');
    expect(lid.identify('12345 67890 !!!').lang).toBe('und');
    const sure = lid.identify(
      'Die Würde des Menschen ist unantastbar. Sie zu achten und zu schützen ist Verpflichtung aller staatlichen Gewalt.',
    );
    expect(sure.lang).toBe('de');
    expect(sure.confidence).toBeGreaterThan(0.99);
  });

  it('on short held-out paragraphs (50-199 characters), a higher confidence threshold keeps fewer and more accurate ones', async () => {
    const lid = await defaultLanguageIdentifier();
    const docs = await euCorpusDocuments({ split: 'validation' });
    const guesses = docs
      .filter((d) => d.meta.kind !== 'ui')
      .flatMap((d) =>
        d.text
          .split('\n')
          .filter((p) => p.length >= 50 && p.length < 200)
          .map((text) => ({ lang: d.lang, g: lid.identify(text) })),
      );
    const at = (threshold: number) => {
      const kept = guesses.filter((x) => x.g.confidence >= threshold);
      return {
        kept: kept.length,
        acc: kept.filter((x) => x.g.lang === x.lang).length / kept.length,
      };
    };
    const all = at(0);
    const strict = at(0.999);
    expect(all.acc).toBeGreaterThan(0.97);
    expect(strict.kept).toBeLessThan(all.kept);
    expect(strict.acc).toBeGreaterThan(all.acc);
  });

  it('the stage labels documents, relabels wrong declarations and removes what it cannot place', async () => {
    const docs = [
      makeDocument({
        id: 'de',
        text: 'Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und Gewissen begabt.',
      }),
      makeDocument({
        id: 'mislabelled',
        lang: 'fr',
        text: 'Il-bnedmin kollha jitwieldu ħielsa u ugwali fid-dinjità u d-drittijiet.',
      }),
      makeDocument({
        id: 'zh',
        text: '人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心。',
      }),
      makeDocument({
        id: 'pl',
        text: 'Wszyscy ludzie rodzą się wolni i równi pod względem swej godności i swych praw.',
      }),
    ];
    const p = pipeline(docs, identifyLanguage({ languages: ['de', 'mt', 'fr'] }));
    const out = await p.toArray();
    expect(out.map((d) => [d.id, d.lang])).toEqual([
      ['de', 'de'],
      ['mislabelled', 'mt'],
    ]);
    expect(out[1].meta.declaredLang).toBe('fr');
    const t = p.ledger.totals();
    expect(t.removed.byReason).toEqual({
      'language-id:undetermined': 1,
      'language-id:not-allowed': 1,
    });
    expect(t.changed.byReason['language-id:relabelled']).toEqual({ docs: 1, items: 1 });
  });

  it('keeps nearly all of the embedded corpus at the default threshold', async () => {
    const p = pipeline(euCorpus({ excludeUi: true }), identifyLanguage());
    await p.run();
    const t = p.ledger.totals();
    expect(t.removed.docs / t.read.docs).toBeLessThan(0.01);
  });

  it('a model survives toBytes / fromBytes', async () => {
    const lid = await defaultLanguageIdentifier();
    const back = LanguageIdentifier.fromBytes(lid.toBytes());
    const text = 'Kaikki ihmiset syntyvät vapaina ja tasavertaisina arvoltaan ja oikeuksiltaan.';
    expect(back.identify(text)).toEqual(lid.identify(text));
    expect(() => LanguageIdentifier.fromBytes(new Uint8Array(16))).toThrow(/fromBytes/);
  });
});
