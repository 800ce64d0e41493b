/**
 * The whole path on the embedded corpus: pipeline (every stage) -> packed indexed datasets
 * (train and validation) -> loader batches, with the ledger's accounting checked at each step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  balanceLanguages,
  datasheet,
  decontaminate,
  euCorpus,
  euCorpusDocuments,
  exactDedup,
  IndexedDataset,
  identifyLanguage,
  type Ledger,
  nearDedup,
  normalize,
  type PackResult,
  packIndexedDataset,
  pipeline,
  qualityFilter,
  readLedger,
  redactPii,
  splitByHash,
  TO_FILL,
  trainingContentSummary,
} from '../src/node.js';
import { corpusTokenizer, tempDir } from './helpers.js';

const tmp = tempDir();
let result: PackResult;
let ledger: Ledger;
let sizes: Record<string, number>;

beforeAll(async () => {
  const tok = await corpusTokenizer();
  // the language sizes for balancing come from a first pass (as a real job would do)
  sizes = {};
  for (const d of await euCorpusDocuments()) sizes[d.lang] = (sizes[d.lang] ?? 0) + d.text.length;
  // evaluation texts: a few validation paragraphs, to be removed from training data
  const evalTexts = (await euCorpusDocuments({ split: 'validation', languages: ['en', 'de'] }))
    .slice(0, 3)
    .map((d) => d.text.split('\n').filter((l) => l.split(' ').length > 20)[0])
    .filter((t): t is string => typeof t === 'string');
  expect(evalTexts.length).toBeGreaterThan(0);
  const p = pipeline(
    euCorpus(),
    normalize(),
    identifyLanguage(),
    qualityFilter(),
    redactPii(),
    exactDedup(),
    nearDedup(),
    decontaminate({ evalTexts, evalName: 'eu24-validation-sample' }),
    balanceLanguages({ sizes, unit: 'bytes', alpha: 0.5, maxRepeat: 3 }),
    splitByHash({ validation: 0.05 }),
  );
  result = await packIndexedDataset(p, tok, { outPrefix: join(tmp.dir, 'eu24'), bySplit: true });
  ledger = result.ledger;
});

afterAll(() => tmp.cleanup());

describe('embedded corpus -> pipeline -> packed dataset -> loader', () => {
  it("the ledger's totals add up: records in = rejected + removed by reason + kept - added", () => {
    const t = ledger.totals();
    expect(t.records).toBe(2785);
    expect(t.read.docs).toBe(2785);
    const removedByReason = Object.values(t.removed.byReason).reduce((a, b) => a + b, 0);
    expect(removedByReason).toBe(t.removed.docs);
    expect(t.records).toBe(t.rejected.docs + t.removed.docs + t.out.docs - t.added.docs);
    // every stage: in = removed + (in of the next stage) - added
    const stages = [
      'normalize',
      'language-id',
      'quality',
      'pii',
      'dedup-exact',
      'dedup-near',
      'decontaminate',
      'balance',
      'split',
    ];
    const sum = (stage: string, action: string) =>
      ledger.counts
        .filter((c) => c.stage === stage && c.action === action)
        .reduce((a, c) => a + c.docs, 0);
    expect(sum('normalize', 'in')).toBe(t.read.docs);
    for (let i = 0; i < stages.length; i++) {
      const next = i + 1 < stages.length ? sum(stages[i + 1], 'in') : t.out.docs;
      expect(
        sum(stages[i], 'in') - sum(stages[i], 'removed') + sum(stages[i], 'added'),
        stages[i],
      ).toBe(next);
    }
    // the quality filter and balancing both did something on this corpus
    expect(t.removed.byStage.quality).toBeGreaterThan(0);
    expect(t.removed.byReason['balance:downsampled']).toBeGreaterThan(0);
    expect(t.added.docs).toBeGreaterThan(0);
    expect(t.removed.byReason['decontaminate:eval-overlap']).toBeGreaterThanOrEqual(1);
    // per source: read - removed + added = out (per language too, but language
    // identification may move a document from its declared language to another)
    for (const [source, row] of Object.entries(t.bySource)) {
      const added = ledger.counts
        .filter((c) => c.action === 'added' && c.source === source)
        .reduce((a, c) => a + c.docs, 0);
      expect(row.read - row.removed + added, source).toBe(row.out);
    }
    const relabelled = t.changed.byReason['language-id:relabelled']?.docs ?? 0;
    const langSum = Object.values(t.byLanguage).reduce((a, r) => a + r.read - r.removed - r.out, 0);
    expect(langSum).toBe(-t.added.docs);
    expect(relabelled).toBeLessThan(40);
    // everything that came out was written
    expect(t.written.docs).toBe(t.out.docs);
  });

  it('writes train and validation datasets whose token counts match the ledger', () => {
    const t = ledger.totals();
    expect(result.datasets.map((d) => d.prefix.split('.').pop()).sort()).toEqual([
      'train',
      'validation',
    ]);
    let tokens = 0;
    let docs = 0;
    for (const d of result.datasets) {
      const ds = IndexedDataset.open(d.prefix);
      expect(ds.length).toBe(d.documents);
      expect(ds.numTokens).toBe(d.tokens);
      tokens += ds.numTokens;
      docs += ds.length;
      // the provenance file has one line per sequence, with licence and source
      const lines = readFileSync(`${d.prefix}.docs.jsonl`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.length).toBe(ds.length);
      expect(lines.every((l) => typeof l.license === 'string' && typeof l.uri === 'string')).toBe(
        true,
      );
      expect(lines.reduce((a, l) => a + l.tokens, 0)).toBe(ds.numTokens);
      ds.close();
    }
    expect(tokens).toBe(t.written.tokens);
    expect(docs).toBe(t.written.docs);
    // all 24 languages made it through
    expect(Object.keys(t.byLanguage).filter((l) => t.byLanguage[l].tokens > 0).length).toBe(24);
  });

  it('the loader yields [batch, contextLength + 1] windows of real text, EOD between documents', async () => {
    const tok = await corpusTokenizer();
    const train = result.datasets.find((d) => d.prefix.endsWith('.train'))!;
    const ds = IndexedDataset.open(train.prefix);
    const loader = ds.loader({ batchSize: 8, contextLength: 128, seed: 3 });
    const eod = tok.tokenToId('<|endoftext|>')!;
    let eods = 0;
    for (let s = 0; s < 5; s++) {
      const b = loader.next();
      expect(b.shape).toEqual([8, 129]);
      expect(b.tokens.length).toBe(8 * 129);
      expect(b.mask).toBeNull();
      for (const id of b.tokens) if (id === eod) eods++;
      const text = tok.decode(Array.from(b.tokens.subarray(0, 129)));
      expect(text.length).toBeGreaterThan(100);
    }
    // documents average ~900 tokens, so 40 windows of 129 cross a few boundaries
    expect(eods).toBeGreaterThan(0);
    ds.close();
  });

  it('the ledger file beside the output reads back to the same totals, with removed documents one by one', () => {
    expect(existsSync(result.ledgerPath)).toBe(true);
    const back = readLedger(result.ledgerPath);
    expect(back.totals()).toEqual(ledger.totals());
    const removed = back.events.filter((e) => e.action === 'removed');
    expect(removed.length).toBe(ledger.totals().removed.docs);
    expect(removed.every((e) => typeof e.id === 'string' && typeof e.reason === 'string')).toBe(
      true,
    );
    const run = back.runs[back.runs.length - 1];
    expect(run.status).toBe('ok');
    expect(run.stages.map((s) => s.name)).toEqual([
      'source:eu24',
      'normalize',
      'language-id',
      'quality',
      'pii',
      'dedup-exact',
      'dedup-near',
      'decontaminate',
      'balance',
      'split',
      'pack',
    ]);
  });

  it('the datasheet and the training-content summary report the ledger and leave the rest to fill', () => {
    const t = ledger.totals();
    const sheet = datasheet(ledger, { title: 'eu24' });
    for (const h of [
      '## Motivation',
      '## Composition',
      '## Collection process',
      '## Preprocessing, cleaning, labeling',
      '## Uses',
      '## Distribution',
      '## Maintenance',
    ]) {
      expect(sheet).toContain(h);
    }
    expect(sheet).toContain(`${t.written.tokens.toLocaleString('en-US')} tokens`);
    expect(sheet).toContain('| Maltese | mt |');
    expect(sheet).toContain(`[${TO_FILL}: Who funded`);
    const { markdown, json } = trainingContentSummary(ledger);
    expect(json.general.modalities.text.tokens).toBe(t.written.tokens);
    expect(json.general.modalities.text.languages.length).toBe(24);
    expect(json.general.provider.name).toContain(TO_FILL);
    expect(json.sources.publicDatasets.used).toBe(true);
    expect(json.sources.publicDatasets.datasets.map((d) => d.name)).toContain('udhr');
    // no document recorded a retrieval date, so none is invented
    expect(json.general.latestAcquisitionDate).toContain(TO_FILL);
    for (const h of [
      '## 1. General information',
      '## 2. List of data sources',
      '## 3. Data processing aspects',
    ]) {
      expect(markdown).toContain(h);
    }
  });
});
