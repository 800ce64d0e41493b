/**
 * Readers (Node): text files, JSONL and gzip'd JSONL, Parquet, and folders and globs of them.
 * Each is a pipeline Source that streams documents with their provenance (`file:` uri with the
 * line or row, the licence you give or the record carries, sha256 of the text as read).
 *
 * Bad input (invalid UTF-8, truncated gzip, a line that is not JSON or lacks the text field, an
 * empty file, a Parquet file without the text column) is reported with file and line: counted
 * as rejected in the ledger with the reason, and skipped; with `strict` it stops the run.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataError, type Document, type DocumentSource } from '../document.js';
import { Ledger } from '../ledger.js';
import { rejectRecord, type Source, type StageContext } from '../pipeline.js';
import { inShard, parseShard, type Shard } from '../stages/split.js';
import { readLines } from './line-reader.js';

/** Options every reader takes. */
export interface ReaderOptions {
  /** Licence of the documents when the records do not carry one. Default null (unknown). */
  license?: string | null;
  /** Language of the documents when the records do not carry one. Default 'und'. */
  lang?: string;
  /** Retrieval date (ISO 8601) when the records do not carry one. */
  retrieved?: string | null;
  /** Source name for the ledger. Default the file name. */
  sourceName?: string;
  /** Set on every document's meta (e.g. { availability: 'crawled' }). */
  meta?: Record<string, unknown>;
  /** Only this shard ('i/N'): records are assigned by a hash of file and line. */
  shard?: string | Shard;
}

export interface JsonlOptions extends ReaderOptions {
  /** Field of the record holding the text. Default 'text'. */
  textField?: string;
  /** Field holding the id. Default 'id' (else `<file>:<line>`). */
  idField?: string;
}

export interface ParquetOptions extends ReaderOptions {
  /** Column holding the text. Default 'text'. */
  textColumn?: string;
  /** Column holding the id. Default 'id' when present (else `<file>:<row>`). */
  idColumn?: string;
}

const KNOWN = ['.jsonl', '.ndjson', '.gz', '.parquet', '.txt', '.md', '.text'];

/**
 * Files named by paths, folders (all files below with a known extension, recursively) and
 * glob patterns (`*`, `**`, `?`, `{a,b}`), sorted, without repeats.
 */
export async function resolveInputs(inputs: string | readonly string[]): Promise<string[]> {
  const list = typeof inputs === 'string' ? [inputs] : [...inputs];
  if (list.length === 0) throw new Error('readers: no input paths given');
  const out = new Set<string>();
  for (const p of list) {
    if (/[*?{[]/.test(p)) {
      const { glob } = await import('tinyglobby');
      const found = await glob(p, { absolute: true, onlyFiles: true });
      if (found.length === 0) throw new Error(`readers: the pattern '${p}' matches no file`);
      for (const f of found) out.add(resolve(f));
      continue;
    }
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(p);
    } catch {
      throw new Error(`readers: input '${p}' does not exist`);
    }
    if (st.isDirectory()) {
      const { glob } = await import('tinyglobby');
      const found = await glob('**/*', { cwd: p, absolute: true, onlyFiles: true });
      for (const f of found) {
        const name = f.toLowerCase();
        if (KNOWN.some((e) => name.endsWith(e))) out.add(resolve(f));
      }
    } else out.add(resolve(p));
  }
  return [...out].sort();
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function shardOf(options: ReaderOptions): Shard | null {
  return options.shard === undefined ? null : parseShard(options.shard);
}

function recordOptions(kind: string, inputs: string | readonly string[], o: ReaderOptions) {
  return {
    inputs: typeof inputs === 'string' ? [inputs] : [...inputs],
    reader: kind,
    ...(o.license !== undefined ? { license: o.license } : {}),
    ...(o.lang !== undefined ? { lang: o.lang } : {}),
    ...(o.shard !== undefined
      ? {
          shard: String(
            typeof o.shard === 'string' ? o.shard : `${o.shard.index}/${o.shard.count}`,
          ),
        }
      : {}),
  };
}

/** A reader as a pipeline Source that can also be iterated alone (lenient, own ledger). */
function makeSource(
  name: string,
  options: Record<string, unknown>,
  read: (ctx: StageContext) => AsyncIterable<Document>,
): Source & AsyncIterable<Document> {
  return {
    name,
    options,
    read,
    [Symbol.asyncIterator]: () =>
      read({
        ledger: new Ledger(),
        strict: false,
        onReject: (e) => console.warn(`oellm data: rejected ${e.message}`),
      })[Symbol.asyncIterator](),
  };
}

function buildSource(
  record: Record<string, unknown> | null,
  file: string,
  locator: string,
  text: string,
  o: ReaderOptions,
): DocumentSource {
  const rs = (record?.source && typeof record.source === 'object' ? record.source : {}) as Record<
    string,
    unknown
  >;
  return {
    ...rs,
    name: typeof rs.name === 'string' ? rs.name : (o.sourceName ?? basename(file)),
    uri: typeof rs.uri === 'string' ? rs.uri : `${pathToFileURL(file).href}#${locator}`,
    license: typeof rs.license === 'string' ? rs.license : (o.license ?? null),
    sha256: typeof rs.sha256 === 'string' ? rs.sha256 : sha256(text),
    retrieved: typeof rs.retrieved === 'string' ? rs.retrieved : (o.retrieved ?? null),
  };
}

/**
 * JSONL (and gzip'd JSONL, by magic bytes) files: one document per line,
 * `{ text, id?, lang?, source?: { uri, license, sha256, retrieved, name }, meta? }`.
 * Rejection reasons: 'invalid-json', 'not-an-object', 'missing-text', 'invalid-utf8',
 * 'truncated-gzip', 'empty-file'.
 */
export function readJsonl(
  inputs: string | readonly string[],
  options: JsonlOptions = {},
): Source & AsyncIterable<Document> {
  const textField = options.textField ?? 'text';
  const idField = options.idField ?? 'id';
  const shard = shardOf(options);
  return makeSource(
    'jsonl',
    { ...recordOptions('jsonl', inputs, options), textField },
    async function* (ctx) {
      for (const file of await resolveInputs(inputs)) {
        const reject = (reason: string, message: string, line?: number) =>
          rejectRecord(
            ctx,
            'source',
            new DataError(reason, message, { file, line }),
            options.sourceName ?? basename(file),
          );
        for await (const item of readLines(file)) {
          if (item.kind === 'empty-file') {
            if (!shard || inShard(file, shard)) reject('empty-file', 'the file is empty');
            continue;
          }
          if (shard && !inShard(`${file}:${item.line}`, shard)) continue;
          if (item.kind === 'gzip-error') {
            reject(
              'truncated-gzip',
              `gzip stream ends early or is corrupt (${item.message}); lines before it were read`,
              item.line,
            );
            break;
          }
          if (item.kind === 'invalid-utf8') {
            reject('invalid-utf8', 'the line is not valid UTF-8', item.line);
            continue;
          }
          if (item.text.trim() === '') continue;
          let rec: unknown;
          try {
            rec = JSON.parse(item.text);
          } catch (e) {
            reject('invalid-json', `not JSON (${(e as Error).message})`, item.line);
            continue;
          }
          if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
            reject('not-an-object', 'the line is JSON but not an object', item.line);
            continue;
          }
          const r = rec as Record<string, unknown>;
          const text = r[textField];
          if (typeof text !== 'string') {
            reject('missing-text', `the record has no string field '${textField}'`, item.line);
            continue;
          }
          const id =
            typeof r[idField] === 'string' || typeof r[idField] === 'number'
              ? String(r[idField])
              : `${basename(file)}:${item.line}`;
          yield {
            id,
            text,
            lang: typeof r.lang === 'string' ? r.lang : (options.lang ?? 'und'),
            source: buildSource(r, file, `L${item.line}`, text, options),
            meta: {
              ...options.meta,
              ...(r.meta && typeof r.meta === 'object' ? (r.meta as Record<string, unknown>) : {}),
              file,
              line: item.line,
            },
          };
        }
      }
    },
  );
}

/**
 * Plain text files, one document per file (folders and globs included). Rejection reasons:
 * 'invalid-utf8' (with the line of the first bad byte), 'empty-file'.
 */
export function readText(
  inputs: string | readonly string[],
  options: ReaderOptions = {},
): Source & AsyncIterable<Document> {
  const shard = shardOf(options);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return makeSource('text', recordOptions('text', inputs, options), async function* (ctx) {
    for (const file of await resolveInputs(inputs)) {
      if (shard && !inShard(file, shard)) continue;
      const reject = (reason: string, message: string, line?: number) =>
        rejectRecord(
          ctx,
          'source',
          new DataError(reason, message, { file, line }),
          options.sourceName ?? basename(file),
        );
      const buf = await readFile(file);
      if (buf.length === 0) {
        reject('empty-file', 'the file is empty');
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(buf);
      } catch {
        // find the line of the first invalid sequence
        let line = 1;
        let lineStart = 0;
        for (let i = 0; i <= buf.length; i++) {
          if (i === buf.length || buf[i] === 0x0a) {
            try {
              decoder.decode(buf.subarray(lineStart, i));
            } catch {
              break;
            }
            line++;
            lineStart = i + 1;
          }
        }
        reject('invalid-utf8', 'the file is not valid UTF-8', line);
        continue;
      }
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      yield {
        id: basename(file, extname(file)),
        text,
        lang: options.lang ?? 'und',
        source: buildSource(null, file, 'all', text, options),
        meta: { ...options.meta, file },
      };
    }
  });
}

/**
 * Parquet files (hyparquet: pure JavaScript; snappy and uncompressed pages), read one row
 * group at a time. A file without the text column is rejected ('schema', listing the columns it
 * has); a row whose text is not a string is rejected ('missing-text', line = row number, 1-based).
 */
export function readParquet(
  inputs: string | readonly string[],
  options: ParquetOptions = {},
): Source & AsyncIterable<Document> {
  const textColumn = options.textColumn ?? 'text';
  const idColumn = options.idColumn ?? 'id';
  const shard = shardOf(options);
  return makeSource(
    'parquet',
    { ...recordOptions('parquet', inputs, options), textColumn },
    async function* (ctx) {
      const hp = await import('hyparquet');
      for (const file of await resolveInputs(inputs)) {
        const reject = (reason: string, message: string, line?: number) =>
          rejectRecord(
            ctx,
            'source',
            new DataError(reason, message, { file, line }),
            options.sourceName ?? basename(file),
          );
        let metadata: Awaited<ReturnType<typeof hp.parquetMetadataAsync>>;
        let buffer: Awaited<ReturnType<typeof hp.asyncBufferFromFile>>;
        try {
          buffer = await hp.asyncBufferFromFile(file);
          if (buffer.byteLength === 0) {
            if (!shard || inShard(file, shard)) reject('empty-file', 'the file is empty');
            continue;
          }
          metadata = await hp.parquetMetadataAsync(buffer);
        } catch (e) {
          if (!shard || inShard(file, shard))
            reject('not-parquet', `not a readable Parquet file (${(e as Error).message})`);
          continue;
        }
        const columns = hp.parquetSchema(metadata).children.map((c) => c.element.name);
        if (!columns.includes(textColumn)) {
          if (!shard || inShard(file, shard)) {
            reject(
              'schema',
              `no column '${textColumn}' (columns: ${columns.join(', ')}); pass { textColumn }`,
            );
          }
          continue;
        }
        const wanted = [
          textColumn,
          ...['lang', idColumn, 'license', 'uri', 'retrieved'].filter(
            (c) => columns.includes(c) && c !== textColumn,
          ),
        ];
        let rowStart = 0;
        for (const group of metadata.row_groups) {
          const rowEnd = rowStart + Number(group.num_rows);
          const rows = (await hp.parquetReadObjects({
            file: buffer,
            metadata,
            columns: wanted,
            rowStart,
            rowEnd,
          })) as Record<string, unknown>[];
          for (let k = 0; k < rows.length; k++) {
            const rowNo = rowStart + k + 1;
            if (shard && !inShard(`${file}:${rowNo}`, shard)) continue;
            const r = rows[k];
            const text = r[textColumn];
            if (typeof text !== 'string') {
              reject('missing-text', `row ${rowNo} has no string in column '${textColumn}'`, rowNo);
              continue;
            }
            const rec = {
              source: {
                ...(typeof r.uri === 'string' ? { uri: r.uri } : {}),
                ...(typeof r.license === 'string' ? { license: r.license } : {}),
                ...(typeof r.retrieved === 'string' ? { retrieved: r.retrieved } : {}),
              },
            };
            const idv = r[idColumn];
            yield {
              id:
                typeof idv === 'string' || typeof idv === 'number' || typeof idv === 'bigint'
                  ? String(idv)
                  : `${basename(file)}:${rowNo}`,
              text,
              lang: typeof r.lang === 'string' ? r.lang : (options.lang ?? 'und'),
              source: buildSource(rec, file, `row${rowNo}`, text, options),
              meta: { ...options.meta, file, row: rowNo },
            };
          }
          rowStart = rowEnd;
        }
      }
    },
  );
}

/**
 * Any mix of inputs, each read by its kind: `.parquet` by readParquet, `.jsonl`/`.ndjson`
 * (gzip'd or not) by readJsonl, anything else as text. Folders and globs are expanded.
 */
export function readFiles(
  inputs: string | readonly string[],
  options: JsonlOptions & ParquetOptions = {},
): Source & AsyncIterable<Document> {
  return makeSource('files', recordOptions('files', inputs, options), async function* (ctx) {
    for (const file of await resolveInputs(inputs)) {
      const name = file.toLowerCase();
      const src = name.endsWith('.parquet')
        ? readParquet(file, options)
        : /\.(jsonl|ndjson)(\.gz)?$|\.json\.gz$/.test(name)
          ? readJsonl(file, options)
          : readText(file, options);
      yield* src.read(ctx);
    }
  });
}
