/**
 * Streaming pipelines: a source of documents and stages, each an async iterable in, async
 * iterable out, so memory stays bounded by what a stage must remember (the dedup indexes), not
 * by the size of the corpus. Every stage counts what comes in and what it removes, changes or
 * adds in the pipeline's ledger.
 */
import type { DataError, Document } from './document.js';
import { utf8Length } from './hash.js';
import { Ledger, type LedgerStageInfo } from './ledger.js';

/** What a stage gets besides its input. */
export interface StageContext {
  readonly ledger: Ledger;
  /** Stop at the first bad record instead of counting it as rejected and going on. */
  readonly strict: boolean;
  /** Called for every rejected input record (file, line, reason). */
  readonly onReject: (e: DataError) => void;
}

/** A step of a pipeline. */
export interface Stage {
  /** Name in the ledger (unique within a pipeline; a repeat gets '#2', '#3'). */
  readonly name: string;
  /** Settings recorded in the ledger (thresholds, seeds), so a run can be described and redone. */
  readonly options?: Record<string, unknown>;
  apply(
    input: AsyncIterable<Document>,
    ctx: StageContext & { stage: string },
  ): AsyncIterable<Document>;
}

/** Where documents come from: a reader, the embedded corpus, or any iterable of documents. */
export interface Source {
  readonly name: string;
  readonly options?: Record<string, unknown>;
  read(ctx: StageContext): AsyncIterable<Document>;
}

export type SourceLike = Source | Iterable<Document> | AsyncIterable<Document>;

export interface PipelineOptions {
  /** Ledger to record in; default a new one (`pipeline.ledger`). */
  ledger?: Ledger;
  /** Stop at the first bad record (`--strict`). Default false: count it as rejected, go on. */
  strict?: boolean;
  /**
   * Called for each rejected input record. Default: print the first 20 to stderr with file,
   * line and reason, then one line saying how many more there were (all are in the ledger).
   */
  onReject?: (e: DataError) => void;
}

function isSource(s: SourceLike): s is Source {
  return typeof (s as Source).read === 'function' && typeof (s as Source).name === 'string';
}

function isStage(s: unknown): s is Stage {
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof (s as Stage).apply === 'function' &&
    typeof (s as Stage).name === 'string'
  );
}

async function* iterate<T>(it: Iterable<T> | AsyncIterable<T>): AsyncIterable<T> {
  yield* it as AsyncIterable<T>;
}

/** Checks the shape of a document that came from a plain iterable. */
function checkDocument(d: unknown, i: number): Document {
  const doc = d as Document;
  if (
    !doc ||
    typeof doc !== 'object' ||
    typeof doc.text !== 'string' ||
    typeof doc.id !== 'string' ||
    !doc.source ||
    typeof doc.source.uri !== 'string'
  ) {
    throw new Error(
      `pipeline: item ${i} of the source is not a Document ({ id, text, lang, source: { uri, license, sha256, retrieved }, meta }); make one with makeDocument`,
    );
  }
  doc.lang ??= 'und';
  doc.meta ??= {};
  return doc;
}

function defaultOnReject(): (e: DataError) => void {
  let n = 0;
  return (e) => {
    n++;
    if (n <= 20) console.warn(`oellm data: rejected ${e.message}`);
    else if (n === 21)
      console.warn('oellm data: more records rejected; all are listed in the ledger');
  };
}

/** A source and its stages; iterate it (or pass it to packIndexedDataset) to run it. */
export class Pipeline implements AsyncIterable<Document> {
  readonly ledger: Ledger;
  readonly strict: boolean;
  readonly source: SourceLike;
  readonly stages: readonly Stage[];
  private readonly onReject: (e: DataError) => void;

  constructor(source: SourceLike, stages: Stage[], options: PipelineOptions = {}) {
    if (
      !source ||
      (!isSource(source) && !(Symbol.iterator in source) && !(Symbol.asyncIterator in source))
    ) {
      throw new Error(
        'pipeline: source must be a Source (readJsonl, readText, readParquet, euCorpus, ...) or an iterable of documents',
      );
    }
    stages.forEach((s, i) => {
      if (!isStage(s)) {
        throw new Error(
          `pipeline: argument ${i + 2} is not a stage (an object with name and apply); got ${typeof s}`,
        );
      }
    });
    this.source = source;
    this.stages = stages;
    this.ledger = options.ledger ?? new Ledger();
    this.strict = options.strict ?? false;
    this.onReject = options.onReject ?? defaultOnReject();
  }

  /** Stage names as they appear in the ledger (repeats numbered). */
  stageNames(): string[] {
    const seen = new Map<string, number>();
    return this.stages.map((s) => {
      const k = (seen.get(s.name) ?? 0) + 1;
      seen.set(s.name, k);
      return k === 1 ? s.name : `${s.name}#${k}`;
    });
  }

  /** The source and stages with their options, as recorded in the ledger's run. */
  describe(): LedgerStageInfo[] {
    const src: LedgerStageInfo = isSource(this.source)
      ? { name: `source:${this.source.name}`, options: this.source.options }
      : { name: 'source:documents' };
    const names = this.stageNames();
    return [src, ...this.stages.map((s, i) => ({ name: names[i], options: s.options }))];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Document> {
    const ledger = this.ledger;
    // inside a run someone else opened (packIndexedDataset), join it; else open our own
    const own = ledger.activeRun === null;
    if (own) ledger.beginRun({ stages: this.describe() });
    else ledger.addStages(this.describe());
    const ctx: StageContext = { ledger, strict: this.strict, onReject: this.onReject };
    try {
      let stream = this.read(ctx);
      const names = this.stageNames();
      this.stages.forEach((stage, i) => {
        stream = stage.apply(stream, { ...ctx, stage: names[i] });
      });
      for await (const doc of stream) {
        ledger.count('output', 'out', doc);
        yield doc;
      }
      if (own) ledger.endRun('ok');
    } catch (err) {
      if (own && ledger.activeRun) ledger.endRun('failed', err);
      throw err;
    } finally {
      // the consumer stopped early (break): the run did not finish
      if (own && ledger.activeRun) ledger.endRun('failed', 'stopped before the end of the input');
    }
  }

  private async *read(ctx: StageContext): AsyncIterable<Document> {
    const ledger = ctx.ledger;
    const src = this.source;
    const stream = isSource(src) ? src.read(ctx) : iterate(src);
    let i = 0;
    for await (const d of stream) {
      const doc = isSource(src) ? d : checkDocument(d, i);
      i++;
      const bytes = utf8Length(doc.text);
      ledger.count('source', 'read', doc, { bytes });
      ledger.noteSource(doc, bytes);
      yield doc;
    }
  }

  /** Runs the pipeline to the end, keeping nothing; returns the ledger. */
  async run(): Promise<Ledger> {
    for await (const _ of this) {
      // drain
    }
    return this.ledger;
  }

  /** Runs the pipeline and collects the documents (for small inputs and tests). */
  async toArray(): Promise<Document[]> {
    const out: Document[] = [];
    for await (const d of this) out.push(d);
    return out;
  }
}

/**
 * `pipeline(source, ...stages)`: a source of documents and the stages to run on them, in
 * order. Options (`{ ledger, strict, onReject }`) may come last.
 */
export function pipeline(source: SourceLike, ...stages: (Stage | PipelineOptions)[]): Pipeline {
  const last = stages[stages.length - 1];
  const options = last !== undefined && !isStage(last) ? (stages.pop() as PipelineOptions) : {};
  return new Pipeline(source, stages as Stage[], options);
}

/** What a per-document stage function reports about the document in hand. */
export interface Outcome {
  /** Drop the document, for this reason (`detail`, e.g. the id it duplicates, goes to the ledger's event). */
  remove(reason: string, detail?: string): null;
  /** The text (or metadata) was changed, for this reason; `items` counts e.g. replacements. */
  change(reason: string, items?: number): void;
}

/**
 * Builds a stage from a function of one document: it returns the document (possibly
 * changed), null (after `outcome.remove(reason)`), or several documents (the first is the
 * input, the others are added). `setup` runs once per pipeline run (load a model, make an
 * index) and returns that function.
 */
export function documentStage(
  name: string,
  options: Record<string, unknown> | undefined,
  setup: (
    ctx: StageContext & { stage: string },
  ) =>
    | ((
        doc: Document,
        outcome: Outcome,
      ) => Document | Document[] | null | Promise<Document | Document[] | null>)
    | Promise<
        (
          doc: Document,
          outcome: Outcome,
        ) => Document | Document[] | null | Promise<Document | Document[] | null>
      >,
  addedReason = 'added',
): Stage {
  return {
    name,
    options,
    async *apply(input, ctx) {
      const fn = await setup(ctx);
      const { ledger, stage } = ctx;
      let removedReason: string | null = null;
      let removedDetail: string | undefined;
      const changes: [string, number][] = [];
      const outcome: Outcome = {
        remove(reason, detail) {
          removedReason = reason;
          removedDetail = detail;
          return null;
        },
        change(reason, items = 1) {
          changes.push([reason, items]);
        },
      };
      for await (const doc of input) {
        const bytesIn = utf8Length(doc.text);
        ledger.count(stage, 'in', doc, { bytes: bytesIn });
        removedReason = null;
        removedDetail = undefined;
        changes.length = 0;
        const textIn = doc.text;
        const result = await fn(doc, outcome);
        if (result === null) {
          ledger.removed(stage, doc, removedReason ?? 'filtered', bytesIn, removedDetail);
          continue;
        }
        const docs = Array.isArray(result) ? result : [result];
        if (changes.length > 0) {
          const bytes = docs[0].text === textIn ? bytesIn : utf8Length(docs[0].text);
          // one changed document per reason; bytes are those after the change
          for (const [reason, items] of changes) {
            ledger.count(stage, 'changed', docs[0], { reason, items, bytes });
          }
        }
        for (let k = 1; k < docs.length; k++) {
          ledger.count(stage, 'added', docs[k], { reason: addedReason });
        }
        yield* docs;
      }
    },
  };
}

/** A stage that keeps the documents for which `keep(doc)` is true; the others are removed for `reason`. */
export function filterDocuments(
  name: string,
  keep: (doc: Document) => boolean,
  reason = 'filtered',
): Stage {
  return documentStage(name, { reason }, () => (doc, o) => (keep(doc) ? doc : o.remove(reason)));
}

/** A stage that maps each document (counted as changed, for `reason`, when its text changes). */
export function mapDocuments(
  name: string,
  fn: (doc: Document) => Document,
  reason = 'mapped',
): Stage {
  return documentStage(name, { reason }, () => (doc, o) => {
    const text = doc.text;
    const out = fn(doc);
    if (out.text !== text) o.change(reason);
    return out;
  });
}

/**
 * Reports a bad input record: in strict mode throws the DataError, else records it in the
 * ledger as rejected and calls `ctx.onReject`.
 */
export function rejectRecord(
  ctx: StageContext,
  stage: string,
  error: DataError,
  source?: string,
): void {
  if (ctx.strict) throw error;
  ctx.ledger.rejected(stage, error.reason, {
    file: error.file,
    line: error.line,
    message: error.message,
    source,
  });
  ctx.onReject(error);
}
