/**
 * Near-duplicate detection measured: copies of held-out documents made by small edits must be
 * found (recall), and distinct documents must not be matched (precision).
 */
import { describe, expect, it } from 'vitest';
import {
  euCorpusDocuments,
  exactDedup,
  Key64Map,
  MinHasher,
  MinHashIndex,
  makeDocument,
  nearDedup,
  pipeline,
  shingleHashes,
} from '../src/node.js';

/** Deterministic small edits: about `rate` of the words substituted, one deleted, one inserted. */
function edit(text: string, rate: number, seed: number): string {
  let s = seed >>> 0;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const words = text.split(' ');
  for (let i = 0; i < words.length; i++) if (r() < rate) words[i] = `x${Math.floor(r() * 1e6)}`;
  words.splice(Math.floor(r() * words.length), 1);
  words.splice(Math.floor(r() * words.length), 0, 'inserted');
  return words.join(' ');
}

function jaccard(a: string, b: string): number {
  const x = new Set(shingleHashes(a, 5));
  const y = new Set(shingleHashes(b, 5));
  let inter = 0;
  for (const v of x) if (y.has(v)) inter++;
  return inter / (x.size + y.size - inter);
}

describe('MinHash near-dedup', () => {
  it('finds near duplicates made by small edits and keeps distinct texts apart (precision and recall measured)', async () => {
    // distinct running-text documents of 150+ words (exact duplicates and near duplicates
    // already in the corpus would blur the measurement, so they are dropped first)
    const docs = (await euCorpusDocuments({ excludeUi: true })).filter(
      (d) => d.text.split(' ').length >= 150,
    );
    const base = await pipeline(docs, exactDedup(), nearDedup()).toArray();
    expect(base.length).toBeGreaterThan(1500);
    const originals = base.filter((_, i) => i % 4 === 0);
    const index = new MinHashIndex();
    const numberOf = new Map<number, string>();
    for (const d of originals) numberOf.set(index.add(index.hasher.signature(d.text)), d.id);
    // negatives: the documents not indexed; none may match an indexed one
    let fp = 0;
    const negatives = base.filter((_, i) => i % 4 !== 0);
    for (const d of negatives) if (index.match(index.hasher.signature(d.text)) >= 0) fp++;
    // positives: an edited copy of each original (1% or 2% of words substituted, one word
    // deleted, one inserted); the expected recall is the mean of 1 - (1 - J^8)^14 over the pairs
    const measure = (rate: number) => {
      let tp = 0;
      let wrong = 0;
      let expected = 0;
      let sim = 0;
      originals.forEach((d, i) => {
        const copy = edit(d.text, rate, i + 1);
        const j = jaccard(d.text, copy);
        sim += j;
        expected += 1 - (1 - j ** 8) ** 14;
        const m = index.match(index.hasher.signature(copy));
        if (m >= 0 && numberOf.get(m) === d.id) tp++;
        else if (m >= 0) wrong++;
      });
      const n = originals.length;
      return {
        recall: tp / n,
        precision: tp / (tp + wrong + fp),
        expected: expected / n,
        sim: sim / n,
      };
    };
    const light = measure(0.01);
    const heavier = measure(0.02);
    for (const [name, r] of [
      ['1%', light],
      ['2%', heavier],
    ] as const) {
      console.log(
        `near-dedup (5-word shingles, 112 hashes, 14 bands x 8), ${name} of words edited: ${originals.length} copies (mean Jaccard ${r.sim.toFixed(3)}) ` +
          `among ${negatives.length} distinct documents: recall ${r.recall.toFixed(3)} (S-curve predicts ${r.expected.toFixed(3)}), precision ${r.precision.toFixed(4)}`,
      );
    }
    expect(fp).toBe(0);
    expect(light.sim).toBeGreaterThan(0.8);
    expect(light.recall).toBeGreaterThanOrEqual(0.95);
    expect(light.precision).toBeGreaterThanOrEqual(0.99);
    expect(heavier.precision).toBeGreaterThanOrEqual(0.99);
    // the measured recall is what the band construction predicts
    expect(Math.abs(light.recall - light.expected)).toBeLessThan(0.04);
    expect(Math.abs(heavier.recall - heavier.expected)).toBeLessThan(0.06);
  });

  it('the chance of a match follows 1 - (1 - s^8)^14 across similarity levels', async () => {
    const docs = (
      await euCorpusDocuments({ languages: ['en', 'de', 'fr'], excludeUi: true })
    ).filter((d) => d.text.split(' ').length >= 250);
    const rates = [0.01, 0.04, 0.1];
    const found: number[] = [];
    for (const rate of rates) {
      let hit = 0;
      docs.forEach((d, i) => {
        const index = new MinHashIndex();
        index.add(index.hasher.signature(d.text));
        if (index.match(index.hasher.signature(edit(d.text, rate, 7 * i + 3))) >= 0) hit++;
      });
      found.push(hit / docs.length);
    }
    // light edits are nearly always found, heavy ones (Jaccard ~0.5) mostly not
    expect(found[0]).toBeGreaterThan(0.97);
    expect(found[1]).toBeLessThan(found[0]);
    expect(found[2]).toBeLessThan(0.5);
  });

  it('the stage removes a near duplicate and names the document it matched', async () => {
    const text = (
      await euCorpusDocuments({ languages: ['en'], split: 'validation', excludeUi: true })
    )[0].text;
    const p = pipeline(
      [
        makeDocument({ id: 'a', text }),
        makeDocument({ id: 'b', text: edit(text, 0.01, 1) }),
        makeDocument({
          id: 'c',
          text: 'A wholly different text about something else entirely, long enough to have shingles.',
        }),
      ],
      nearDedup(),
    );
    const out = await p.toArray();
    expect(out.map((d) => d.id)).toEqual(['a', 'c']);
    expect(p.ledger.events).toEqual([
      expect.objectContaining({
        id: 'b',
        stage: 'dedup-near',
        reason: 'near-duplicate',
        detail: 'a',
      }),
    ]);
  });

  it('signatures estimate Jaccard similarity', async () => {
    const h = new MinHasher({ hashes: 256, bands: 32 });
    const docs = await euCorpusDocuments({ languages: ['sv'], split: 'train' });
    const a = docs[0].text;
    const b = edit(a, 0.05, 9);
    const est = MinHasher.similarity(h.signature(a), h.signature(b));
    expect(Math.abs(est - jaccard(a, b))).toBeLessThan(0.08);
    expect(MinHasher.similarity(h.signature(a), h.signature(docs[1].text))).toBeLessThan(0.05);
  });

  it('Key64Map stores and finds 64-bit keys through growth', () => {
    const m = new Key64Map(16);
    for (let i = 0; i < 50_000; i++) m.set(i * 7919, i ^ 0x5555, i);
    expect(m.size).toBe(50_000);
    for (let i = 0; i < 50_000; i += 97) expect(m.get(i * 7919, i ^ 0x5555)).toBe(i);
    expect(m.has(1, 2)).toBe(false);
    m.set(0, 0x5555, 99); // keepFirst: value stays
    expect(m.get(0, 0x5555)).toBe(0);
  });

  it('rejects bands that do not divide the hash count', () => {
    expect(() => new MinHasher({ hashes: 100, bands: 14 })).toThrow(/bands must divide/);
  });
});
