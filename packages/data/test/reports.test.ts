/**
 * The committed example reports are what the recipe generates today, and the ledger reads
 * back, merges and leaves out failed runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_FILES, EXAMPLES_DIR, exampleReports } from '../scripts/example-reports.js';
import {
  datasheet,
  Ledger,
  makeDocument,
  normalize,
  pipeline,
  TO_FILL,
  trainingContentSummary,
} from '../src/node.js';
import { corpusTokenizer } from './helpers.js';

describe('reports', () => {
  it('docs/examples holds the datasheet and training-content summary the recipe makes now (npx tsx scripts/example-reports.ts)', async () => {
    const files = await exampleReports(await corpusTokenizer());
    for (const [k, name] of Object.entries(EXAMPLE_FILES)) {
      const committed = readFileSync(join(EXAMPLES_DIR, name), 'utf8');
      expect(
        committed,
        `${name} is stale: run npx tsx scripts/example-reports.ts in packages/data`,
      ).toBe(files[k as keyof typeof EXAMPLE_FILES]);
    }
    const json = JSON.parse(files.summaryJson);
    expect(json.general.modalities.text.languages).toHaveLength(24);
    // answers given by the user replace the markers; the rest stay marked
    expect(files.datasheet).toContain('- Purpose: An example');
    expect(files.datasheet).toContain(`[${TO_FILL}: Who funded`);
  });

  it('a failed run is left out when the ledger is read back; runs: last keeps the last good one', async () => {
    const ledger = new Ledger();
    const docs = [
      makeDocument({ id: 'a', text: 'one', lang: 'en' }),
      makeDocument({ id: 'b', text: 'two', lang: 'en' }),
    ];
    await pipeline(docs, normalize(), { ledger }).run();
    await pipeline(docs.slice(0, 1), normalize(), { ledger }).run();
    const broken = pipeline(
      (async function* () {
        yield docs[0];
        throw new Error('disk on fire');
      })(),
      normalize(),
      { ledger },
    );
    await expect(broken.run()).rejects.toThrow('disk on fire');
    expect(ledger.runs.map((r) => r.status)).toEqual(['ok', 'ok', 'failed']);
    // serialize through a sink the way a file ledger does
    const lines: string[] = [
      JSON.stringify({ type: 'header', format: 'oellm-ledger', version: 1 }),
    ];
    const l2 = new Ledger();
    l2.sink = (r) => lines.push(JSON.stringify(r));
    await pipeline(docs, normalize(), { ledger: l2 }).run();
    await pipeline(docs.slice(0, 1), normalize(), { ledger: l2 }).run();
    await pipeline(
      (async function* () {
        yield docs[1];
        throw new Error('stop');
      })(),
      { ledger: l2 },
    )
      .run()
      .catch(() => {});
    const text = `${lines.join('\n')}\n`;
    expect(Ledger.fromJSONL(text).totals().read.docs).toBe(3);
    expect(Ledger.fromJSONL(text, { runs: 'last' }).totals().read.docs).toBe(1);
    expect(Ledger.fromJSONL(text).runs.map((r) => r.status)).toEqual(['ok', 'ok', 'failed']);
    expect(() => Ledger.fromJSONL('{"type":"count"}\n')).toThrow(/oellm-ledger header/);
    expect(() =>
      Ledger.fromJSONL('{"type":"header","format":"oellm-ledger","version":9}\n'),
    ).toThrow(/version 9/);
    // toJSONL round trip
    expect(Ledger.fromJSONL(ledger.toJSONL()).totals()).toEqual(ledger.totals());
  });

  it('reports of a ledger with no tokens, no sources classified and no licences say so instead of inventing', async () => {
    const p = pipeline(
      [
        makeDocument({
          id: 'x',
          text: 'Ein kurzer Text.',
          lang: 'de',
          source: { uri: 'https://example.org/x' },
        }),
      ],
      normalize(),
    );
    await p.run();
    const { json, markdown } = trainingContentSummary(p.ledger, {
      provider: { name: 'Example GmbH' },
    });
    expect(json.general.provider.name).toBe('Example GmbH');
    expect(json.general.modalities.text.tokens).toBeNull();
    expect(json.general.modalities.text.sizeRange).toContain(TO_FILL);
    expect(json.sources.publicDatasets.used).toBe(false);
    expect(String(json.sources.crawled.used)).toContain(TO_FILL);
    expect(markdown).toContain('https://example.org/x');
    const sheet = datasheet(p.ledger);
    expect(sheet).toContain('not tokenized in the recorded runs');
    expect(sheet).toContain('unknown (1 documents)');
  });
});
