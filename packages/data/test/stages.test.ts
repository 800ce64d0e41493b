/**
 * The stages one by one: normalization, PII, quality rules (each family firing on text made to
 * fail it, and the per-language stop words on real text), exact dedup, decontamination,
 * balancing, split.
 */
import { describe, expect, it } from 'vitest';
import {
  balanceLanguages,
  C4_DEFAULTS,
  c4Filter,
  countStopWords,
  decontaminate,
  EU_LANGUAGES,
  euCorpusDocuments,
  exactDedup,
  FINEWEB_DEFAULTS,
  finewebQuality,
  GOPHER_DEFAULTS,
  GOPHER_REPETITION_DEFAULTS,
  gopherQuality,
  gopherRepetition,
  isValidIban,
  makeDocument,
  normalize,
  normalizeText,
  pipeline,
  qualityFilter,
  redactPii,
  redactText,
  splitByHash,
  splitOf,
  stopWordSet,
  temperatureWeights,
} from '../src/node.js';

const doc = (id: string, text: string, lang = 'en') => makeDocument({ id, text, lang });

describe('normalize', () => {
  it('applies NFC, strips controls and invisible characters, regularizes whitespace', () => {
    const { text, changes } = normalizeText(
      'Cafe\u0301\u200b  au\u00a0lait\r\n\r\n\r\n\u0007next  \t line \ufeff',
    );
    expect(text).toBe('Café au lait\n\nnext line');
    expect(changes).toEqual(['nfc', 'controls', 'whitespace']);
    expect(normalizeText('e\u200dmoji').text).toBe('e\u200dmoji');
  });

  it('removes documents left empty and counts changes', async () => {
    const p = pipeline(
      [doc('a', ' \u200b \n '), doc('b', 'fine'), doc('c', 'two  spaces')],
      normalize(),
    );
    expect((await p.toArray()).map((d) => d.id)).toEqual(['b', 'c']);
    const t = p.ledger.totals();
    expect(t.removed.byReason).toEqual({ 'normalize:empty': 1 });
    expect(t.changed.byReason['normalize:whitespace']).toEqual({ docs: 1, items: 1 });
  });
});

describe('PII redaction', () => {
  it('validates IBANs by the mod-97 checksum and country length', () => {
    expect(isValidIban('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(isValidIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isValidIban('MT84 MALT 0110 0001 2345 MTLC AST0 01S')).toBe(true);
    expect(isValidIban('DE89 3704 0044 0532 0130 01')).toBe(false); // checksum
    expect(isValidIban('DE89 3704 0044 0532 0130')).toBe(false); // length
  });

  it('redacts e-mails, phone numbers, valid IBANs and IP addresses, and leaves look-alikes', () => {
    const input = [
      'Write to jana.novak@example.eu or +420 601 234 567.',
      'Pay to DE89 3704 0044 0532 0130 00, not DE89 3704 0044 0532 0130 01.',
      'Server 192.168.10.254 and 2001:db8::8a2e:370:7334; version 1.2.3.4.5 and 999.1.1.1 stay.',
      'Call 030 1234567 on 2024-05-01 at 12:30; order 12345678 stays.',
    ].join('\n');
    const { text, counts } = redactText(input);
    expect(counts).toEqual({ email: 1, phone: 2, iban: 1, ip: 2 });
    expect(text).toContain('Write to <EMAIL> or <PHONE>.');
    expect(text).toContain('Pay to <IBAN>, not DE89 3704 0044 0532 0130 01.');
    expect(text).toContain('Server <IP> and <IP>;');
    expect(text).toContain('1.2.3.4.5 and 999.1.1.1 stay');
    expect(text).toContain('Call <PHONE> on 2024-05-01 at 12:30; order 12345678 stays.');
  });

  it('counts redactions per kind in the ledger', async () => {
    const p = pipeline(
      [doc('a', 'a@b.eu, c@d.eu'), doc('b', 'no pii here')],
      redactPii({ kinds: ['email'] }),
    );
    await p.run();
    expect(p.ledger.totals().changed.byReason).toEqual({ 'pii:email': { docs: 1, items: 2 } });
  });
});

const SENTENCES = [
  'The committee met on Tuesday to discuss the new budget for the coming year.',
  'Several members argued that spending on public transport had been neglected for too long.',
  'After a long debate, they agreed to postpone the final vote until more figures were available.',
  'A local newspaper reported that the mayor would attend the next session in person.',
  'Residents who live near the river have asked for better protection against floods.',
  'Engineers presented three options, each with a different cost and timetable.',
  'The cheapest plan would raise the embankment by half a metre along the old harbour.',
  'Critics said that such a small change could not cope with the storms of recent winters.',
  'Teachers from two schools wrote a letter asking for safer crossings near their buildings.',
  'Most of the written questions concerned parking, rubbish collection and street lighting.',
  'The chair thanked everyone for their patience and closed the meeting shortly after nine.',
  'Minutes of the session will be published on the council website within a week.',
];
const prose = (n: number) => SENTENCES.slice(0, n).join('\n');

const G0 = GOPHER_DEFAULTS;

describe('quality rules', () => {
  const G = GOPHER_DEFAULTS;
  const stop = stopWordSet('en');
  it('Gopher quality: each rule fires on text made to fail it', () => {
    expect(gopherQuality(prose(8), G, stop)).toBeNull();
    expect(gopherQuality('The cat and the dog.', G, stop)).toBe('word-count');
    expect(gopherQuality(`${'a b c d e '.repeat(20)}the and`, G, stop)).toBe('mean-word-length');
    expect(gopherQuality(`${prose(6)}\n${'#tag '.repeat(20)}`, G, stop)).toBe('symbol-ratio');
    expect(
      gopherQuality(
        Array.from({ length: 12 }, (_, i) => `- item ${i} of the list and the rest`).join('\n'),
        G,
        stop,
      ),
    ).toBe('bullet-lines');
    expect(
      gopherQuality(
        SENTENCES.map(
          (l) => `${l.slice(0, -1)} and so the story went on and on, with the end…`,
        ).join('\n'),
        G,
        stop,
      ),
    ).toBe('ellipsis-lines');
    expect(gopherQuality(`${prose(4)} ${'123 456 789 '.repeat(40)}`, G, stop)).toBe('alpha-words');
    expect(gopherQuality(prose(8), G, stopWordSet('el'))).toBe('stop-words');
  });

  it('Gopher repetition: duplicated lines, paragraphs and n-grams', () => {
    const R = GOPHER_REPETITION_DEFAULTS;
    expect(gopherRepetition(prose(8), R)).toBeNull();
    expect(gopherRepetition(`${'Same line here.\n'.repeat(5)}Other one.\nAnd another.`, R)).toBe(
      'dup-lines',
    );
    expect(gopherRepetition(`${'Same paragraph here.\n\n'.repeat(4)}Other.\n\nMore.`, R)).toBe(
      'dup-paragraphs',
    );
    expect(
      gopherRepetition(
        `buy now ${'buy now '.repeat(30)} please consider other words in this sentence`,
        R,
      ),
    ).toMatch(/top-2-gram|dup-/);
  });

  it('C4: drops short, javascript and policy lines; fails lorem ipsum, braces and too few sentences', () => {
    const C = C4_DEFAULTS;
    const text = `${prose(6)}\nMenu\nPlease enable JavaScript to view this page.\nThis site uses cookies to work.`;
    const r = c4Filter(text, C);
    expect(r).toEqual({ text: prose(6), dropped: 3 });
    expect(c4Filter(`${prose(6)} lorem ipsum dolor`, C)).toEqual({ rule: 'lorem-ipsum' });
    expect(c4Filter(`${prose(6)} function f() { return 1; }`, C)).toEqual({
      rule: 'curly-bracket',
    });
    expect(c4Filter('One sentence here. Two sentences here.', C)).toEqual({ rule: 'sentences' });
    expect(
      c4Filter(`${prose(6)}\nA line without an end`, { ...C, terminalPunctuation: true }),
    ).toEqual({ text: prose(6), dropped: 1 });
  });

  it('FineWeb: line punctuation, short lines, duplicated characters, newline ratio', () => {
    const F = FINEWEB_DEFAULTS;
    expect(finewebQuality(prose(8), F)).toBeNull();
    expect(
      finewebQuality(
        Array.from(
          { length: 10 },
          (_, i) => `a heading without a full stop ${i} and more words`,
        ).join('\n'),
        F,
      ),
    ).toBe('line-punctuation');
    expect(
      finewebQuality(
        `${prose(2)}\n${Array.from({ length: 10 }, (_, i) => `Short ${i}.`).join('\n')}`,
        F,
      ),
    ).toBe('short-lines');
    expect(finewebQuality(`${prose(8)}\n${prose(1)}`, F)).toBe('char-duplicates');
    expect(
      finewebQuality(Array.from({ length: 12 }, (_, i) => `Item ${i}.`).join('\n'), {
        ...F,
        maxShortLines: 1.01,
      }),
    ).toBe('newline-ratio');
  });

  it('the stop-word rule keeps 95%+ of the running text the other rules keep, in every language, and the words are characteristic', async () => {
    const docs = await euCorpusDocuments({ excludeUi: true });
    for (const lang of EU_LANGUAGES) {
      // documents every other Gopher rule and FineWeb keep (menus and caption lists are not prose)
      const own = docs.filter(
        (d) =>
          d.lang === lang &&
          gopherQuality(d.text, { ...G0, minStopWords: 0 }, stopWordSet(lang)) === null &&
          finewebQuality(d.text, FINEWEB_DEFAULTS) === null,
      );
      expect(own.length, lang).toBeGreaterThanOrEqual(5);
      const pass = own.filter((d) => countStopWords(d.text, stopWordSet(lang)) >= 2).length;
      expect(pass / own.length, `${lang}: ${pass}/${own.length}`).toBeGreaterThanOrEqual(0.95);
      // stop words should be characteristic: per word, far more frequent in their own language
      const rate = (ds: typeof docs) => {
        let words = 0;
        let stops = 0;
        for (const d of ds.slice(0, 40)) {
          words += d.text.split(/\s+/).length;
          stops += countStopWords(d.text, stopWordSet(lang));
        }
        return stops / words;
      };
      const others = docs.filter((d) => d.lang !== lang && d.lang !== 'en');
      expect(rate(own), lang).toBeGreaterThan(1.5 * rate(others.filter((_, i) => i % 7 === 0)));
    }
  });

  it('the stage removes with family:rule reasons and counts C4 line drops as changes', async () => {
    const p = pipeline(
      [
        doc('ok', `${prose(8)}\nMenu`),
        doc('short', 'Too short.'),
        doc('rep', `${'Same line again and again here.\n'.repeat(10)}`),
      ],
      qualityFilter(),
    );
    expect((await p.toArray()).map((d) => d.id)).toEqual(['ok']);
    const t = p.ledger.totals();
    expect(t.removed.byReason).toEqual({
      'quality:gopher:word-count': 1,
      'quality:gopher-repetition:dup-lines': 1,
    });
    expect(t.changed.byReason['quality:c4:lines']).toEqual({ docs: 1, items: 1 });
    // thresholds are configurable and families can be turned off
    const q = pipeline(
      [doc('short', 'Too short.')],
      qualityFilter({ gopher: { minWords: 1, minStopWords: 0 }, c4: false, fineweb: false }),
    );
    expect((await q.toArray()).length).toBe(1);
  });
});

describe('dedup, decontamination, balancing, split', () => {
  it('exact dedup compares normalized text and keeps the first copy', async () => {
    const p = pipeline(
      [doc('a', 'Hello, World!'), doc('b', 'hello   world'), doc('c', 'Hello there')],
      exactDedup(),
    );
    expect((await p.toArray()).map((d) => d.id)).toEqual(['a', 'c']);
    expect(p.ledger.totals().removed.byReason).toEqual({ 'dedup-exact:duplicate': 1 });
  });

  it('decontamination removes documents sharing a 13-gram with an eval text', async () => {
    const evalText =
      'Which river flows through the capital city of Hungary and divides Buda from Pest on its way south?';
    const p = pipeline(
      [
        doc('leak', `Quiz night. ${evalText.toUpperCase()} Answer: the Danube.`),
        doc('near', 'Which river flows through the capital city of Hungary? Nobody knew.'),
        doc('clean', 'Budapest is the capital of Hungary.'),
      ],
      decontaminate({ evalTexts: [evalText] }),
    );
    expect((await p.toArray()).map((d) => d.id)).toEqual(['near', 'clean']);
    const short = pipeline(
      [doc('a', 'the answer is forty two indeed'), doc('b', 'no match')],
      decontaminate({ evalTexts: ['answer is forty two'] }),
    );
    expect((await short.toArray()).map((d) => d.id)).toEqual(['b']);
  });

  it('temperature balancing: p_l proportional to n_l^alpha, realized by the stream', async () => {
    expect(temperatureWeights({ a: 100, b: 1 }, 1)).toEqual({ a: 100 / 101, b: 1 / 101 });
    expect(temperatureWeights({ a: 100, b: 1 }, 0)).toEqual({ a: 0.5, b: 0.5 });
    const docs = [
      ...Array.from({ length: 4000 }, (_, i) => doc(`en${i}`, 'x'.repeat(100), 'en')),
      ...Array.from({ length: 250 }, (_, i) => doc(`mt${i}`, 'y'.repeat(100), 'mt')),
    ];
    const sizes = { en: 400_000, mt: 25_000 };
    const p = pipeline(docs, balanceLanguages({ sizes, alpha: 0.5, unit: 'bytes' }));
    const out = await p.toArray();
    const target = temperatureWeights(sizes, 0.5);
    const share = out.filter((d) => d.lang === 'mt').length / out.length;
    expect(Math.abs(share - target.mt)).toBeLessThan(0.02);
    expect(Math.abs(out.length - docs.length) / docs.length).toBeLessThan(0.05);
    const t = p.ledger.totals();
    expect(t.removed.byReason['balance:downsampled']).toBeGreaterThan(0);
    expect(t.added.docs).toBe(out.filter((d) => d.meta.repeat !== undefined).length);
    // the same seed makes the same choice
    const again = await pipeline(docs, balanceLanguages({ sizes, alpha: 0.5 })).toArray();
    expect(again.map((d) => d.id)).toEqual(out.map((d) => d.id));
  });

  it('the split is deterministic by text hash and near the asked share', async () => {
    const docs = await euCorpusDocuments({ split: 'train' });
    const p = pipeline(docs, splitByHash({ validation: 0.1, seed: 3 }));
    const out = await p.toArray();
    const val = out.filter((d) => d.meta.split === 'validation').length / out.length;
    expect(Math.abs(val - 0.1)).toBeLessThan(0.02);
    expect(out.every((d) => d.meta.split === splitOf(d.text, { validation: 0.1, seed: 3 }))).toBe(
      true,
    );
    expect(splitOf('Same Text!', { validation: 0.5 })).toBe(
      splitOf('same text', { validation: 0.5 }),
    );
  });
});
