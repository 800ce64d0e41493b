/** `oellm tokenizer train` and `oellm data prepare`. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IndexedDataset, readLedger } from '@openeurollm/data';
import { Tokenizer } from '@openeurollm/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

describe('oellm tokenizer train', () => {
  const dir = tempDir();

  it('trains on the embedded corpus and reports parity on parallel text', async () => {
    const r = await runCli(
      [
        'tokenizer',
        'train',
        '--out',
        'tok',
        '--vocab-size',
        '600',
        '--languages',
        'en,de,fr,pl',
        '--json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.vocabSize).toBe(600);
    expect(Object.keys(j.languages).sort()).toEqual(['de', 'en', 'fr', 'pl']);
    expect(j.fairness.reference).toBe('en');
    expect(j.fairness.rows.map((x: { lang: string }) => x.lang).sort()).toEqual([
      'de',
      'en',
      'fr',
      'pl',
    ]);
    const tok = Tokenizer.fromFile(join(dir, 'tok'));
    expect(tok.decode(tok.encodeIds('Všetci ľudia sa rodia slobodní.'))).toBe(
      'Všetci ľudia sa rodia slobodní.',
    );
    // the chat template goes with it
    expect(
      tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true }),
    ).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.tokenToId('<|endoftext|>')).toBe(0);
  });

  it('prints a parity table in text mode', async () => {
    const r = await runCli(
      ['tokenizer', 'train', '--out', 'tok2', '--vocab-size', '400', '--languages', 'en,el'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lang\s+parity\s+tokens\/word\s+bytes\/token/);
    expect(r.stdout).toMatch(/\nel\s+\d+\.\d\d/);
    expect(r.stderr).toMatch(/tokenizer: merge\s+100%/);
  });

  it('trains on files', async () => {
    writeFileSync(join(dir, 'a.txt'), 'hello world, hello tokenizer\n'.repeat(50));
    const r = await runCli(
      ['tokenizer', 'train', 'a.txt', '--out', 'tok3', '--vocab-size', '300', '--json'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).documents).toBeGreaterThan(0);
  });

  it('exits 2 on a vocabulary too small or files that do not exist', async () => {
    expect(
      (await runCli(['tokenizer', 'train', '--out', 'x', '--vocab-size', '10'], { cwd: dir })).code,
    ).toBe(2);
    const r = await runCli(['tokenizer', 'train', 'missing.txt', '--out', 'x'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.txt');
  });
});

describe('oellm data prepare', () => {
  const dir = tempDir();
  beforeAll(async () => {
    const r = await runCli(
      ['tokenizer', 'train', '--out', 'tok', '--vocab-size', '500', '--languages', 'en,de,fr'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
  });

  it('packs the embedded corpus into train/validation datasets with a ledger, datasheet and AI Act summary', async () => {
    const r = await runCli(
      [
        'data',
        'prepare',
        '--tokenizer',
        'tok',
        '--out',
        'out/eu',
        '--languages',
        'en,de,fr',
        '--no-near-dedup',
        '--json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.datasets.map((d: { prefix: string }) => d.prefix.split('.').pop())).toEqual([
      'train',
      'validation',
    ]);
    const ds = IndexedDataset.open(join(dir, 'out', 'eu.train'));
    expect(ds.numTokens).toBeGreaterThan(10_000);
    ds.close();
    const ledger = readLedger(join(dir, 'out', 'eu.ledger.jsonl'));
    expect(Object.keys(ledger.totals().byLanguage).sort()).toEqual(
      expect.arrayContaining(['de', 'en', 'fr']),
    );
    expect(readFileSync(join(dir, 'out', 'eu.datasheet.md'), 'utf8')).toContain('## Composition');
    expect(
      JSON.parse(readFileSync(join(dir, 'out', 'eu.training-content-summary.json'), 'utf8'))
        .general,
    ).toBeDefined();
    expect(j.totals.records).toBeGreaterThan(j.totals.kept - 1);
  });

  it('reads files, shards them, and records bad records instead of stopping', async () => {
    writeFileSync(
      join(dir, 'web.jsonl'),
      [
        JSON.stringify({
          id: 'a',
          lang: 'en',
          text: 'All human beings are born free and equal in dignity and rights. '.repeat(8),
        }),
        '{"text": broken',
        JSON.stringify({
          id: 'b',
          lang: 'de',
          text: 'Alle Menschen sind frei und gleich an Würde und Rechten geboren. '.repeat(8),
        }),
      ].join('\n'),
    );
    const r = await runCli(
      [
        'data',
        'prepare',
        'web.jsonl',
        '--tokenizer',
        'tok/tokenizer.json',
        '--out',
        'out/web',
        '--validation',
        '0',
        '--license',
        'CC-BY-4.0',
        '--no-quality',
        '--json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.totals.rejected['invalid-json']).toBe(1);
    expect(existsSync(join(dir, 'out', 'web.bin'))).toBe(true);
    expect(r.stderr).toContain('rejected');
    const shard = await runCli(
      [
        'data',
        'prepare',
        'web.jsonl',
        '--tokenizer',
        'tok',
        '--out',
        'out/shard',
        '--validation',
        '0',
        '--no-quality',
        '--shard',
        '0/2',
        '--json',
      ],
      { cwd: dir },
    );
    expect(shard.code, shard.stderr).toBe(0);
  });

  it('exits 2 when the tokenizer or the shard spec is wrong', async () => {
    const r = await runCli(['data', 'prepare', '--tokenizer', 'nope', '--out', 'x'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--tokenizer 'nope' not found");
    const s = await runCli(
      ['data', 'prepare', '--tokenizer', 'tok', '--out', 'x', '--shard', '3/2'],
      { cwd: dir },
    );
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--shard 3/2');
  });
});
