/**
 * Readers and bad input: every kind of broken record is reported with file and line, counted
 * as rejected in the ledger with its reason, and skipped; with strict it stops the run and
 * nothing half-written is left.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataError,
  Ledger,
  normalize,
  packIndexedDataset,
  pipeline,
  readFiles,
  readJsonl,
  readLedger,
  readParquet,
  readText,
  shardSource,
} from '../src/node.js';
import { corpusTokenizer, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const quiet = { onReject: () => {} };

function write(name: string, data: string | Uint8Array): string {
  const p = join(tmp.dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, data);
  return p;
}

const good = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: `g${i}`, text: `Good document number ${i}.`, lang: 'en', ...extra });

function parquet(columns: { name: string; data: unknown[]; type?: string }[]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: columns as never }));
}

describe('readers', () => {
  it('JSONL: bad lines are rejected with file, line and reason, good ones are read with provenance', async () => {
    const lines = [
      good(1, {
        source: { uri: 'https://example.org/a', license: 'CC-BY-4.0', retrieved: '2025-01-02' },
      }),
      '{"text": "unterminated',
      good(2),
      '{"title": "no text field"}',
      '[1, 2, 3]',
      '',
      good(3),
    ];
    const bytes = Buffer.concat([
      Buffer.from(`${lines.join('\n')}\n`),
      Buffer.from([
        0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a,
      ]), // {"text":"\xc3(" } invalid UTF-8
      Buffer.from(`${good(4)}\n`),
    ]);
    const file = write('mixed.jsonl', bytes);
    const p = pipeline(readJsonl(file, { license: 'MIT' }), quiet);
    const docs = await p.toArray();
    expect(docs.map((d) => d.id)).toEqual(['g1', 'g2', 'g3', 'g4']);
    expect(docs[0].source).toMatchObject({
      uri: 'https://example.org/a',
      license: 'CC-BY-4.0',
      retrieved: '2025-01-02',
    });
    expect(docs[1].source.license).toBe('MIT');
    expect(docs[1].source.uri).toMatch(/^file:\/\/.*mixed\.jsonl#L3$/);
    expect(docs[1].source.sha256).toMatch(/^[0-9a-f]{64}$/);
    const t = p.ledger.totals();
    expect(t.records).toBe(8);
    expect(t.rejected.byReason).toEqual({
      'invalid-json': 1,
      'missing-text': 1,
      'not-an-object': 1,
      'invalid-utf8': 1,
    });
    const ev = p.ledger.events.filter((e) => e.action === 'rejected');
    expect(ev.map((e) => [e.line, e.reason])).toEqual([
      [2, 'invalid-json'],
      [4, 'missing-text'],
      [5, 'not-an-object'],
      [8, 'invalid-utf8'],
    ]);
    expect(ev.every((e) => e.file === file)).toBe(true);
  });

  it('gzip JSONL is read by its magic bytes; a truncated stream keeps the lines before it and is counted', async () => {
    const body = Buffer.from(`${Array.from({ length: 200 }, (_, i) => good(i)).join('\n')}\n`);
    const gz = gzipSync(body);
    const whole = write('ok.jsonl.gz', gz);
    expect((await pipeline(readJsonl(whole)).toArray()).length).toBe(200);
    const cut = write('cut.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const p = pipeline(readJsonl(cut), quiet);
    const docs = await p.toArray();
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.length).toBeLessThan(200);
    const t = p.ledger.totals();
    expect(t.rejected.byReason).toEqual({ 'truncated-gzip': 1 });
    const e = p.ledger.events[0];
    expect(e.file).toBe(cut);
    expect(e.line).toBe(docs.length + 1);
  });

  it('an empty file is one rejected record', async () => {
    const empty = write('empty.jsonl', '');
    const p = pipeline(readJsonl(empty), quiet);
    expect(await p.toArray()).toEqual([]);
    expect(p.ledger.totals().rejected.byReason).toEqual({ 'empty-file': 1 });
  });

  it('Parquet: reads the text column with ids and languages; a file of another schema is rejected with its columns', async () => {
    const ok = write(
      'p/ok.parquet',
      parquet([
        { name: 'id', data: ['a', 'b', 'c'], type: 'STRING' },
        { name: 'text', data: ['Erster Text.', null, 'Dritter Text.'], type: 'STRING' },
        { name: 'lang', data: ['de', 'de', 'de'], type: 'STRING' },
      ]),
    );
    const other = write(
      'p/other.parquet',
      parquet([
        { name: 'content', data: ['x'], type: 'STRING' },
        { name: 'n', data: [1], type: 'INT32' },
      ]),
    );
    const p = pipeline(readParquet([ok, other], { license: 'CC0-1.0' }), quiet);
    const docs = await p.toArray();
    expect(docs.map((d) => [d.id, d.lang, d.text, d.source.license])).toEqual([
      ['a', 'de', 'Erster Text.', 'CC0-1.0'],
      ['c', 'de', 'Dritter Text.', 'CC0-1.0'],
    ]);
    expect(docs[1].source.uri).toMatch(/ok\.parquet#row3$/);
    const rejected = p.ledger.events.filter((e) => e.action === 'rejected');
    expect(rejected.map((e) => [e.reason, e.line])).toEqual([
      ['missing-text', 2],
      ['schema', undefined],
    ]);
    expect(rejected[1].message).toContain('columns: content, n');
    // the text column can be named
    const named = await pipeline(readParquet(other, { textColumn: 'content' })).toArray();
    expect(named.map((d) => d.text)).toEqual(['x']);
  });

  it('text files, folders and globs; invalid UTF-8 in a text file names its line', async () => {
    write('t/a.txt', 'Première ligne.\nDeuxième ligne.\n');
    write('t/sub/b.md', '# Title\n\nBody.\n');
    write(
      't/bad.txt',
      Buffer.concat([Buffer.from('fine\nalso fine\n'), Buffer.from([0xff, 0xfe, 0x0a])]),
    );
    write('t/skip.bin', 'not read: unknown extension');
    const p = pipeline(readText(join(tmp.dir, 't'), { lang: 'fr' }), quiet);
    const docs = await p.toArray();
    expect(docs.map((d) => d.id).sort()).toEqual(['a', 'b']);
    expect(p.ledger.events).toEqual([expect.objectContaining({ reason: 'invalid-utf8', line: 3 })]);
    const globbed = await pipeline(readFiles(join(tmp.dir, 't', '**', '*.md'))).toArray();
    expect(globbed.map((d) => d.text)).toEqual(['# Title\n\nBody.\n']);
    await expect(pipeline(readText(join(tmp.dir, 'nope', '*.txt'))).toArray()).rejects.toThrow(
      /matches no file/,
    );
  });

  it('strict: the first bad record stops the run with file and line, and nothing is written', async () => {
    const tok = await corpusTokenizer();
    const file = write('strict.jsonl', `${good(1)}\n${good(2)}\nnot json\n${good(3)}\n`);
    const out = join(tmp.dir, 'strict-out', 'ds');
    const p = pipeline(readJsonl(file), normalize(), { strict: true });
    const err = await packIndexedDataset(p, tok, { outPrefix: out }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.file).toBe(file);
    expect(err.line).toBe(3);
    expect(err.reason).toBe('invalid-json');
    expect(err.message).toContain('strict.jsonl:3');
    expect(readdirSync(join(tmp.dir, 'strict-out'))).toEqual([]);
    expect(p.ledger.runs[0].status).toBe('failed');
    // lenient, the same input packs the 3 good documents and the ledger shows the rejected line
    const lenient = await packIndexedDataset(pipeline(readJsonl(file), normalize(), quiet), tok, {
      outPrefix: out,
    });
    expect(lenient.datasets[0].documents).toBe(3);
    const back = readLedger(lenient.ledgerPath);
    expect(back.totals().rejected.byReason).toEqual({ 'invalid-json': 1 });
    expect(back.events.find((e) => e.action === 'rejected')).toMatchObject({ file, line: 3 });
  });

  it('shards split the records N ways, and their ledgers add up to the whole', async () => {
    const file = write(
      'shards.jsonl',
      `${Array.from({ length: 300 }, (_, i) => good(i)).join('\n')}\nbroken\n`,
    );
    const ledgers: Ledger[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = pipeline(readJsonl(file, { shard: `${i}/3` }), quiet);
      for (const d of await p.toArray()) ids.push(d.id);
      ledgers.push(p.ledger);
    }
    expect(ids.length).toBe(300);
    expect(new Set(ids).size).toBe(300);
    expect(ledgers.every((l) => l.totals().read.docs > 60)).toBe(true);
    const all = Ledger.merge(ledgers).totals();
    expect(all.records).toBe(301);
    expect(all.rejected.docs).toBe(1);
    // sharding any source by document id works the same way
    const shardIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      for (const d of await pipeline(shardSource(readJsonl(file), `${i}/4`), quiet).toArray())
        shardIds.push(d.id);
    }
    expect(shardIds.sort()).toEqual([...ids].sort());
    expect(() => readJsonl(file, { shard: '3/3' })).toThrow(/0 <= i < N/);
  });
});
