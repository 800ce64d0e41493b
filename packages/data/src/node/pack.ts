/**
 * Tokenize and pack documents into Megatron-LM indexed datasets (`<prefix>.bin` + `.idx`, see
 * indexed-format.ts), with beside them `<prefix>.json` (format, tokenizer, counts),
 * `<prefix>.docs.jsonl` (for each sequence: document id, language, source uri, licence, sha256,
 * tokens; the provenance of every token) and the ledger `<outPrefix>.ledger.jsonl`.
 *
 * Files are written under temporary names and renamed when the run succeeds; on any error they
 * are removed, so a failed run leaves no half-written output (and no ledger entry).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ChatMessage } from '@openeurollm/tokenizer';
import { type ChatTokenizer, chatTokens, checkConversation } from '../chat.js';
import { DataError, type Document, sourceName } from '../document.js';
import { utf8Length } from '../hash.js';
import { encodeIndex, type TokenDtype, tokenDtypeFor } from '../indexed-format.js';
import { Ledger } from '../ledger.js';
import { Pipeline, rejectRecord, type StageContext } from '../pipeline.js';
import { LedgerFileSink } from './ledger-file.js';
import { readLines } from './line-reader.js';
import { resolveInputs } from './readers.js';

export const PACK_FORMAT = 'oellm-indexed-dataset';
export const PACK_VERSION = 1;

/** What packing needs of a tokenizer (the Tokenizer of @openeurollm/tokenizer has it). */
export interface PackTokenizer {
  readonly vocabSize: number;
  encodeIds(text: string, options?: { addSpecialTokens?: boolean }): number[];
  tokenToId(token: string): number | undefined;
  toJSON?(): unknown;
}

export interface PackOptions {
  /** Output path prefix: writes `<outPrefix>.bin`, `.idx`, `.json`, `.docs.jsonl`, `.ledger.jsonl`. */
  outPrefix: string;
  /** Append an end-of-document token after each document. Default true. */
  appendEod?: boolean;
  /** The end-of-document token. Default the first of <|endoftext|>, <|end_of_text|>, </s>, <eos> the tokenizer has. */
  eodToken?: string;
  /** Token dtype. Default uint16 under a 65,500 vocabulary, else int32. */
  dtype?: 'uint16' | 'int32';
  /**
   * Write one dataset per value of `meta.split` ('train', 'validation'): prefixes
   * `<outPrefix>.<split>`. Default false (one dataset).
   */
  bySplit?: boolean;
  /** Ledger to record in (default the pipeline's, or a new one). */
  ledger?: Ledger;
  /** Ledger file. Default `<outPrefix>.ledger.jsonl`. */
  ledgerPath?: string;
  /** Write `<prefix>.docs.jsonl`. Default true. */
  documentIndex?: boolean;
  /** Facts recorded with the run (a shard, a job id). */
  info?: Record<string, unknown>;
}

export interface PackedDataset {
  prefix: string;
  documents: number;
  tokens: number;
  dtype: TokenDtype;
  files: string[];
}

export interface PackResult {
  /** One per output (one unless bySplit). */
  datasets: PackedDataset[];
  ledger: Ledger;
  ledgerPath: string;
}

const EOD_CANDIDATES = ['<|endoftext|>', '<|end_of_text|>', '</s>', '<eos>'];

function tokenizerSha(tok: PackTokenizer): string | null {
  if (typeof tok.toJSON !== 'function') return null;
  return createHash('sha256').update(JSON.stringify(tok.toJSON())).digest('hex');
}

function eodId(
  tok: PackTokenizer,
  options: { appendEod?: boolean; eodToken?: string },
  fn: string,
): number | null {
  if (options.appendEod === false) return null;
  const names = options.eodToken !== undefined ? [options.eodToken] : EOD_CANDIDATES;
  for (const n of names) {
    const id = tok.tokenToId(n);
    if (id !== undefined) return id;
  }
  throw new Error(
    `${fn}: the tokenizer has no end-of-document token (${names.join(', ')}); pass { eodToken } or { appendEod: false }`,
  );
}

/** Growable typed array of int32. */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number) {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Writes one indexed dataset (and optionally its loss-mask twin) under temporary names. */
class DatasetWriter {
  readonly prefix: string;
  readonly dtype: TokenDtype;
  private readonly suffix = `.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  private readonly bin: WriteStream;
  private readonly mask: WriteStream | null;
  private readonly docs: WriteStream | null;
  private readonly lengths = new IntList();
  private readonly finals: string[];
  tokens = 0;
  private error: Error | null = null;

  constructor(prefix: string, dtype: TokenDtype, withMask: boolean, withDocs: boolean) {
    this.prefix = prefix;
    this.dtype = dtype;
    mkdirSync(dirname(prefix), { recursive: true });
    const open = (path: string) => {
      const s = createWriteStream(path + this.suffix);
      s.on('error', (e) => {
        this.error = e;
      });
      return s;
    };
    this.bin = open(`${prefix}.bin`);
    this.mask = withMask ? open(`${prefix}.mask.bin`) : null;
    this.docs = withDocs ? open(`${prefix}.docs.jsonl`) : null;
    this.finals = [
      `${prefix}.bin`,
      `${prefix}.idx`,
      `${prefix}.json`,
      ...(withMask ? [`${prefix}.mask.bin`, `${prefix}.mask.idx`] : []),
      ...(withDocs ? [`${prefix}.docs.jsonl`] : []),
    ];
  }

  get documents(): number {
    return this.lengths.length;
  }

  private static async put(s: WriteStream, buf: Uint8Array): Promise<void> {
    if (!s.write(buf)) await new Promise<void>((r) => s.once('drain', r));
  }

  /** Adds one sequence (a document). */
  async add(
    ids: ArrayLike<number>,
    mask: Uint8Array | null,
    docInfo: Record<string, unknown> | null,
  ): Promise<void> {
    if (this.error) throw this.error;
    const n = ids.length;
    const arr = this.dtype === 'uint16' ? new Uint16Array(n) : new Int32Array(n);
    const limit = this.dtype === 'uint16' ? 0xffff : 0x7fffffff;
    for (let i = 0; i < n; i++) {
      const v = ids[i];
      if (v < 0 || v > limit) {
        throw new Error(
          `packIndexedDataset: token id ${v} does not fit ${this.dtype}; pass { dtype: 'int32' }`,
        );
      }
      arr[i] = v;
    }
    this.lengths.push(n);
    this.tokens += n;
    await DatasetWriter.put(this.bin, new Uint8Array(arr.buffer));
    if (this.mask && mask) await DatasetWriter.put(this.mask, mask);
    if (this.docs && docInfo) {
      await DatasetWriter.put(
        this.docs,
        Buffer.from(`${JSON.stringify({ seq: this.lengths.length - 1, ...docInfo })}\n`),
      );
    }
  }

  private async closeAll(): Promise<void> {
    const streams = [this.bin, this.mask, this.docs].filter((s): s is WriteStream => s !== null);
    await Promise.all(
      streams.map(
        (s) => new Promise<void>((res, rej) => s.end((e?: Error | null) => (e ? rej(e) : res()))),
      ),
    );
    if (this.error) throw this.error;
  }

  /** Writes the index files and metadata and renames everything into place. */
  async commit(meta: Record<string, unknown>): Promise<PackedDataset> {
    await this.closeAll();
    const lengths = this.lengths.view();
    const docIdx = new Float64Array(lengths.length + 1);
    for (let i = 0; i <= lengths.length; i++) docIdx[i] = i;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${this.prefix}.idx${this.suffix}`, encodeIndex(this.dtype, lengths, docIdx));
    if (this.mask)
      writeFileSync(`${this.prefix}.mask.idx${this.suffix}`, encodeIndex('uint8', lengths, docIdx));
    writeFileSync(
      `${this.prefix}.json${this.suffix}`,
      `${JSON.stringify(
        {
          format: PACK_FORMAT,
          version: PACK_VERSION,
          layout: 'Megatron-LM MMIDIDX (indexed_dataset), version 1, one sequence per document',
          dtype: this.dtype,
          documents: lengths.length,
          tokens: this.tokens,
          hasLossMask: this.mask !== null,
          created: new Date().toISOString(),
          ...meta,
        },
        null,
        2,
      )}\n`,
    );
    for (const f of this.finals) renameSync(f + this.suffix, f);
    return {
      prefix: this.prefix,
      documents: lengths.length,
      tokens: this.tokens,
      dtype: this.dtype,
      files: [...this.finals],
    };
  }

  /** Removes the temporary files. */
  async abort(): Promise<void> {
    try {
      await this.closeAll();
    } catch {
      // removing anyway
    }
    for (const f of this.finals) rmSync(f + this.suffix, { force: true });
  }
}

/** Runs `body` inside a ledger run whose records are committed to the ledger file on success. */
async function withLedgerRun<T>(
  ledger: Ledger,
  ledgerPath: string,
  info: Record<string, unknown>,
  body: () => Promise<T>,
  writers: () => DatasetWriter[],
): Promise<T> {
  if (ledger.activeRun) {
    throw new Error(
      'packIndexedDataset: the ledger has a run in progress (is the pipeline being iterated elsewhere?)',
    );
  }
  mkdirSync(dirname(ledgerPath), { recursive: true });
  const sink = new LedgerFileSink(ledgerPath);
  const previous = ledger.sink;
  ledger.sink = sink.write;
  ledger.beginRun({ info });
  try {
    const out = await body();
    ledger.endRun('ok');
    await sink.commit();
    return out;
  } catch (err) {
    for (const w of writers()) await w.abort();
    if (ledger.activeRun) ledger.endRun('failed', err);
    await sink.discard();
    throw err;
  } finally {
    ledger.sink = previous;
  }
}

/**
 * Tokenizes documents (a pipeline or any iterable of documents) and writes a Megatron indexed
 * dataset at `outPrefix`, recording the tokens per language and source in the ledger
 * (stage 'pack', action 'written').
 */
export async function packIndexedDataset(
  docs: Pipeline | Iterable<Document> | AsyncIterable<Document>,
  tokenizer: PackTokenizer,
  options: PackOptions,
): Promise<PackResult> {
  if (!options || typeof options.outPrefix !== 'string' || options.outPrefix === '') {
    throw new Error(
      'packIndexedDataset: options.outPrefix (a path prefix, e.g. out/eu24) is required',
    );
  }
  if (!tokenizer || typeof tokenizer.encodeIds !== 'function') {
    throw new Error(
      'packIndexedDataset: tokenizer must have encodeIds (a Tokenizer of @openeurollm/tokenizer)',
    );
  }
  const outPrefix = resolve(options.outPrefix);
  const ledger = options.ledger ?? (docs instanceof Pipeline ? docs.ledger : new Ledger());
  const ledgerPath = resolve(options.ledgerPath ?? `${outPrefix}.ledger.jsonl`);
  const eod = eodId(tokenizer, options, 'packIndexedDataset');
  const dtype = options.dtype ?? tokenDtypeFor(tokenizer.vocabSize);
  const withDocs = options.documentIndex ?? true;
  const writers = new Map<string, DatasetWriter>();
  const writerFor = (split: string) => {
    let w = writers.get(split);
    if (!w) {
      w = new DatasetWriter(
        options.bySplit ? `${outPrefix}.${split}` : outPrefix,
        dtype,
        false,
        withDocs,
      );
      writers.set(split, w);
    }
    return w;
  };
  const tokSha = tokenizerSha(tokenizer);
  const info = {
    tool: '@openeurollm/data packIndexedDataset',
    outPrefix,
    tokenizer: { vocabSize: tokenizer.vocabSize, sha256: tokSha },
    eod,
    dtype,
    ...options.info,
  };
  const datasets = await withLedgerRun(
    ledger,
    ledgerPath,
    info,
    async () => {
      const source = docs instanceof Pipeline ? docs : (docs as AsyncIterable<Document>);
      if (!(docs instanceof Pipeline)) ledger.addStages([{ name: 'source:documents' }]);
      for await (const doc of source) {
        if (!(docs instanceof Pipeline)) {
          ledger.count('source', 'read', doc);
          ledger.noteSource(doc);
          ledger.count('output', 'out', doc);
        }
        const ids = tokenizer.encodeIds(doc.text, { addSpecialTokens: false });
        if (eod !== null) ids.push(eod);
        if (ids.length === 0) {
          ledger.removed('pack', doc, 'no-tokens');
          continue;
        }
        const split = options.bySplit ? String(doc.meta.split ?? 'train') : '';
        const w = writerFor(split);
        await w.add(ids, null, withDocs ? docInfo(doc, ids.length) : null);
        ledger.count('pack', 'written', doc, { tokens: ids.length });
      }
      // the pipeline added its source and stages when it started; pack comes last
      ledger.addStages([
        {
          name: 'pack',
          options: { dtype, eod, appendEod: eod !== null, bySplit: options.bySplit ?? false },
        },
      ]);
      if (writers.size === 0) writerFor(options.bySplit ? 'train' : '');
      const out: PackedDataset[] = [];
      for (const w of writers.values()) {
        out.push(
          await w.commit({
            tokenizer: { vocabSize: tokenizer.vocabSize, sha256: tokSha },
            eod,
            ledger: ledgerPath,
            remake: 'packIndexedDataset(docs, tokenizer, { outPrefix }) of @openeurollm/data',
          }),
        );
      }
      for (const d of out) ledger.addOutput(d.prefix);
      return out;
    },
    () => [...writers.values()],
  );
  return { datasets, ledger, ledgerPath };
}

function docInfo(doc: Document, tokens: number): Record<string, unknown> {
  return {
    id: doc.id,
    lang: doc.lang,
    source: sourceName(doc),
    uri: doc.source.uri,
    license: doc.source.license,
    sha256: doc.source.sha256,
    tokens,
  };
}

/** One conversation of instruction data. */
export interface ChatRecord {
  id: string;
  messages: ChatMessage[];
  source: { name: string; uri: string; license: string | null };
}

export interface ChatSource {
  readonly name: string;
  read(ctx: StageContext): AsyncIterable<ChatRecord>;
}

/**
 * Chat JSONL (gzip'd or not): one `{ messages: [{ role, content }], id?, source? }` per line.
 * Rejection reasons: those of readJsonl, and 'bad-messages' (missing, empty, or a message
 * without a known role or string content).
 */
export function readChatJsonl(
  inputs: string | readonly string[],
  options: { license?: string | null; sourceName?: string } = {},
): ChatSource {
  return {
    name: 'chat-jsonl',
    async *read(ctx) {
      for (const file of await resolveInputs(inputs)) {
        const name = options.sourceName ?? basename(file);
        const reject = (reason: string, message: string, line?: number) =>
          rejectRecord(ctx, 'source', new DataError(reason, message, { file, line }), name);
        for await (const item of readLines(file)) {
          if (item.kind === 'empty-file') {
            reject('empty-file', 'the file is empty');
            continue;
          }
          if (item.kind === 'gzip-error') {
            reject(
              'truncated-gzip',
              `gzip stream ends early or is corrupt (${item.message})`,
              item.line,
            );
            break;
          }
          if (item.kind === 'invalid-utf8') {
            reject('invalid-utf8', 'the line is not valid UTF-8', item.line);
            continue;
          }
          if (item.text.trim() === '') continue;
          let rec: Record<string, unknown>;
          try {
            rec = JSON.parse(item.text);
          } catch (e) {
            reject('invalid-json', `not JSON (${(e as Error).message})`, item.line);
            continue;
          }
          const problem = checkConversation(rec?.messages);
          if (problem) {
            reject('bad-messages', problem, item.line);
            continue;
          }
          const src = (rec.source && typeof rec.source === 'object' ? rec.source : {}) as Record<
            string,
            unknown
          >;
          yield {
            id: typeof rec.id === 'string' ? rec.id : `${basename(file)}:${item.line}`,
            messages: rec.messages as ChatMessage[],
            source: {
              name: typeof src.name === 'string' ? src.name : name,
              uri: typeof src.uri === 'string' ? src.uri : `file://${file}#L${item.line}`,
              license: typeof src.license === 'string' ? src.license : (options.license ?? null),
            },
          };
        }
      }
    },
  };
}

export interface ChatPackOptions extends Omit<PackOptions, 'bySplit'> {
  /** A Jinja chat template (else the tokenizer's). */
  chatTemplate?: string;
  /** Roles trained on. Default ['assistant']. */
  trainRoles?: string[];
  /** Stop at the first bad record. Default false. */
  strict?: boolean;
}

/**
 * Packs conversations into an indexed dataset of token ids plus a twin dataset of loss masks
 * (`<outPrefix>.mask.bin/.idx`, uint8, same lengths; 1 = trained, i.e. assistant turns; the
 * end-of-document token is 0). IndexedDataset.open finds the mask and the loader returns it.
 */
export async function packChatDataset(
  records: ChatSource | Iterable<ChatRecord> | AsyncIterable<ChatRecord>,
  tokenizer: PackTokenizer & ChatTokenizer,
  options: ChatPackOptions,
): Promise<PackResult> {
  if (!options || typeof options.outPrefix !== 'string' || options.outPrefix === '') {
    throw new Error('packChatDataset: options.outPrefix is required');
  }
  const outPrefix = resolve(options.outPrefix);
  const ledger = options.ledger ?? new Ledger();
  const ledgerPath = resolve(options.ledgerPath ?? `${outPrefix}.ledger.jsonl`);
  const eod = eodId(tokenizer, options, 'packChatDataset');
  const dtype = options.dtype ?? tokenDtypeFor(tokenizer.vocabSize);
  const writer = new DatasetWriter(outPrefix, dtype, true, options.documentIndex ?? true);
  const tokSha = tokenizerSha(tokenizer);
  const ctx: StageContext = {
    ledger,
    strict: options.strict ?? false,
    onReject: (e) => console.warn(`oellm data: rejected ${e.message}`),
  };
  const datasets = await withLedgerRun(
    ledger,
    ledgerPath,
    {
      tool: '@openeurollm/data packChatDataset',
      outPrefix,
      tokenizer: { vocabSize: tokenizer.vocabSize, sha256: tokSha },
      eod,
      dtype,
      ...options.info,
    },
    async () => {
      ledger.addStages([
        {
          name: 'source:chat',
          options: { name: 'name' in records ? String(records.name) : 'records' },
        },
        {
          name: 'pack-chat',
          options: {
            dtype,
            eod,
            trainRoles: options.trainRoles ?? ['assistant'],
            chatTemplate: options.chatTemplate ? 'given' : 'tokenizer',
          },
        },
      ]);
      const stream =
        typeof (records as ChatSource).read === 'function'
          ? (records as ChatSource).read(ctx)
          : (records as AsyncIterable<ChatRecord>);
      for await (const rec of stream) {
        const text = rec.messages
          .map((m) => (typeof m.content === 'string' ? m.content : ''))
          .join('\n');
        const doc = { lang: 'und', source: rec.source.name, text };
        ledger.count('source', 'read', doc, { bytes: utf8Length(text) });
        ledger.noteSource({
          id: rec.id,
          text,
          lang: 'und',
          source: { ...rec.source, sha256: '', retrieved: null },
          meta: { kind: 'chat' },
        });
        let t: ReturnType<typeof chatTokens>;
        try {
          t = chatTokens(rec.messages, tokenizer, {
            chatTemplate: options.chatTemplate,
            trainRoles: options.trainRoles,
          });
        } catch (e) {
          ledger.removed(
            'pack-chat',
            {
              id: rec.id,
              text,
              lang: 'und',
              source: { ...rec.source, sha256: '', retrieved: null },
              meta: {},
            },
            'template',
          );
          if (ctx.strict) throw e;
          continue;
        }
        const ids = t.ids.slice();
        const mask = new Uint8Array(ids.length + (eod !== null ? 1 : 0));
        mask.set(t.mask);
        if (eod !== null) ids.push(eod);
        await writer.add(ids, mask, {
          id: rec.id,
          source: rec.source.name,
          uri: rec.source.uri,
          license: rec.source.license,
          tokens: ids.length,
        });
        let trained = 0;
        for (const m of mask) trained += m;
        ledger.count('output', 'out', doc);
        ledger.count('pack-chat', 'written', doc, { tokens: ids.length, items: trained });
      }
      const d = await writer.commit({
        tokenizer: { vocabSize: tokenizer.vocabSize, sha256: tokSha },
        eod,
        ledger: ledgerPath,
        lossMask: `${outPrefix}.mask (uint8, 1 = trained)`,
        remake: 'packChatDataset(records, tokenizer, { outPrefix }) of @openeurollm/data',
      });
      ledger.addOutput(d.prefix);
      return [d];
    },
    () => [writer],
  );
  return { datasets, ledger, ledgerPath };
}
