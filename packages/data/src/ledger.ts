/**
 * The provenance ledger: what every stage read, kept, changed, removed and wrote, counted in
 * documents, UTF-8 bytes, tokens and items (e.g. PII matches), per language, per source and
 * per reason; the documents removed or rejected one by one (id, stage, reason, file and line);
 * the sources with their licences; and the runs with their stages and options.
 *
 * Serialized as JSON lines (format `oellm-ledger`, version 1), one record per line, appended
 * and never rewritten; `Ledger.fromJSONL` reads it back. The datasheet and the training-content
 * summary are generated from it (reports/).
 */
import { type Document, sourceName } from './document.js';
import { utf8Length } from './hash.js';

export const LEDGER_FORMAT = 'oellm-ledger';
export const LEDGER_VERSION = 1;

/**
 * - `read`: a document came out of a source.
 * - `rejected`: a record of the input could not become a document (bad JSON, no text, ...).
 * - `in`: a document entered a stage.
 * - `removed`: a stage dropped it (with the reason).
 * - `changed`: a stage changed its text (reason; `items` counts e.g. redactions).
 * - `added`: a stage added a document (e.g. a repeat when upsampling).
 * - `out`: a document left the last stage.
 * - `written`: a document was written to an output (with its tokens).
 */
export type LedgerAction =
  | 'read'
  | 'rejected'
  | 'in'
  | 'removed'
  | 'changed'
  | 'added'
  | 'out'
  | 'written';

export interface LedgerCount {
  stage: string;
  action: LedgerAction;
  reason: string;
  lang: string;
  source: string;
  docs: number;
  bytes: number;
  tokens: number;
  items: number;
}

/** One document (or record) removed or rejected. */
export interface LedgerEvent {
  stage: string;
  action: 'removed' | 'rejected';
  reason: string;
  id?: string;
  lang?: string;
  source?: string;
  bytes?: number;
  file?: string;
  line?: number;
  message?: string;
  /** More about the removal (e.g. the id of the document it duplicates). */
  detail?: string;
}

/** A source as the ledger saw it: licences and retrieval dates of its documents. */
export interface LedgerSource {
  name: string;
  /** One uri of the source (the first seen), without fragment. */
  uri: string;
  documents: number;
  bytes: number;
  /** Documents per licence statement ('unknown' when a document has none). */
  licenses: Record<string, number>;
  /** Documents per language. */
  languages: Record<string, number>;
  /** Earliest and latest `retrieved` dates, null when no document recorded one. */
  retrievedFirst: string | null;
  retrievedLast: string | null;
  /** Document kinds (`meta.kind`), when the source sets them. */
  kinds: Record<string, number>;
  /**
   * How the data was obtained, from `meta.availability` of its documents ('public' dataset,
   * 'private', 'crawled', 'user', 'synthetic', 'other'); documents per value.
   */
  availability: Record<string, number>;
}

export interface LedgerStageInfo {
  name: string;
  options?: Record<string, unknown>;
}

export interface LedgerRun {
  id: string;
  started: string;
  finished: string | null;
  status: 'running' | 'ok' | 'failed';
  error?: string;
  /** The source and the stages, in order, with their options. */
  stages: LedgerStageInfo[];
  /** What the run wrote (e.g. an indexed dataset prefix). */
  outputs: string[];
  /** Free-form facts about the run (tokenizer, shard, tool version). */
  info: Record<string, unknown>;
}

/** Totals of the ledger, the numbers the reports use. */
export interface LedgerTotals {
  /** Records offered by the sources: read + rejected. */
  records: number;
  read: { docs: number; bytes: number };
  rejected: { docs: number; byReason: Record<string, number> };
  removed: {
    docs: number;
    bytes: number;
    byReason: Record<string, number>;
    byStage: Record<string, number>;
  };
  added: { docs: number; bytes: number };
  out: { docs: number; bytes: number };
  written: { docs: number; bytes: number; tokens: number };
  changed: {
    docs: number;
    items: number;
    byReason: Record<string, { docs: number; items: number }>;
  };
  byLanguage: Record<
    string,
    { read: number; removed: number; out: number; outBytes: number; tokens: number }
  >;
  bySource: Record<
    string,
    { read: number; removed: number; out: number; outBytes: number; tokens: number }
  >;
}

type Record_ = Record<string, unknown>;

export interface LedgerOptions {
  /**
   * Keep removed and rejected documents one by one (id, reason, file and line). With a sink
   * attached they stream to it; otherwise the first `maxEvents` stay in memory. Default true.
   */
  documentEvents?: boolean;
  /** In-memory limit for document events without a sink. Default 100,000. */
  maxEvents?: number;
}

const SEP = '\u0001';

function newRunId(): string {
  const rand = Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${rand}`;
}

export class Ledger {
  private readonly countMap = new Map<string, LedgerCount>();
  private readonly sourceMap = new Map<string, LedgerSource>();
  private readonly runList: LedgerRun[] = [];
  private readonly eventList: LedgerEvent[] = [];
  private droppedEvents = 0;
  private readonly documentEvents: boolean;
  private readonly maxEvents: number;
  private currentRun: LedgerRun | null = null;
  /** Where records go as they are made (a file in Node); null keeps them in memory only. */
  sink: ((record: Record_) => void) | null = null;

  constructor(options: LedgerOptions = {}) {
    this.documentEvents = options.documentEvents ?? true;
    this.maxEvents = options.maxEvents ?? 100_000;
  }

  // ---- runs ----

  /** The run in progress, if any. */
  get activeRun(): LedgerRun | null {
    return this.currentRun;
  }

  /** Starts a run; counts made until `endRun` belong to it. */
  beginRun(init: { stages?: LedgerStageInfo[]; info?: Record<string, unknown> } = {}): LedgerRun {
    if (this.currentRun) {
      throw new Error(`Ledger.beginRun: run ${this.currentRun.id} is still in progress`);
    }
    const run: LedgerRun = {
      id: newRunId(),
      started: new Date().toISOString(),
      finished: null,
      status: 'running',
      stages: init.stages ?? [],
      outputs: [],
      info: init.info ?? {},
    };
    this.currentRun = run;
    this.runList.push(run);
    this.sink?.({ type: 'run', ...run });
    return run;
  }

  /** Adds the stages of a pipeline to the run in progress (a pipeline inside a pack run). */
  addStages(stages: LedgerStageInfo[]): void {
    if (!this.currentRun) throw new Error('Ledger.addStages: no run in progress');
    this.currentRun.stages.push(...stages);
  }

  /** Records an output of the run in progress. */
  addOutput(path: string): void {
    if (!this.currentRun) throw new Error('Ledger.addOutput: no run in progress');
    this.currentRun.outputs.push(path);
  }

  /**
   * Ends the run in progress. Its counts and sources go to the sink (the counts of a run are
   * written once, at its end, so a file never holds half a run's totals).
   */
  endRun(status: 'ok' | 'failed', error?: unknown): LedgerRun {
    const run = this.currentRun;
    if (!run) throw new Error('Ledger.endRun: no run in progress');
    run.status = status;
    run.finished = new Date().toISOString();
    if (error !== undefined) run.error = error instanceof Error ? error.message : String(error);
    if (this.sink) {
      for (const c of this.runCounts.values()) this.sink({ type: 'count', run: run.id, ...c });
      for (const s of this.runSources.values()) this.sink({ type: 'source', run: run.id, ...s });
      this.sink({
        type: 'end',
        run: run.id,
        status,
        finished: run.finished,
        stages: run.stages,
        outputs: run.outputs,
        info: run.info,
        ...(run.error ? { error: run.error } : {}),
      });
    }
    this.runCounts.clear();
    this.runSources.clear();
    this.currentRun = null;
    return run;
  }

  get runs(): readonly LedgerRun[] {
    return this.runList;
  }

  // counts and sources of the run in progress, for the sink
  private readonly runCounts = new Map<string, LedgerCount>();
  private readonly runSources = new Map<string, LedgerSource>();

  // ---- recording ----

  /** Adds to a count. `doc` gives the language, source and (unless given) the bytes. */
  count(
    stage: string,
    action: LedgerAction,
    doc: Pick<Document, 'lang' | 'source' | 'text'> | { lang: string; source: string },
    amounts: {
      reason?: string;
      docs?: number;
      bytes?: number;
      tokens?: number;
      items?: number;
    } = {},
  ): void {
    const lang = doc.lang || 'und';
    const source = typeof doc.source === 'string' ? doc.source : sourceName(doc as Document);
    const reason = amounts.reason ?? '';
    const bytes =
      amounts.bytes ?? ('text' in doc && typeof doc.text === 'string' ? utf8Length(doc.text) : 0);
    const key = [stage, action, reason, lang, source].join(SEP);
    for (const map of [this.countMap, this.runCounts]) {
      let c = map.get(key);
      if (!c) {
        c = { stage, action, reason, lang, source, docs: 0, bytes: 0, tokens: 0, items: 0 };
        map.set(key, c);
      }
      c.docs += amounts.docs ?? 1;
      c.bytes += bytes;
      c.tokens += amounts.tokens ?? 0;
      c.items += amounts.items ?? 0;
    }
  }

  /** Records a removed document one by one (besides the count). */
  removed(stage: string, doc: Document, reason: string, bytes?: number, detail?: string): void {
    const b = bytes ?? utf8Length(doc.text);
    this.count(stage, 'removed', doc, { reason, bytes: b });
    this.event({
      stage,
      action: 'removed',
      reason,
      id: doc.id,
      lang: doc.lang,
      source: sourceName(doc),
      bytes: b,
      ...(detail !== undefined ? { detail } : {}),
    });
  }

  /** Records an input record that could not become a document. */
  rejected(
    stage: string,
    reason: string,
    where: { file?: string; line?: number; message?: string; source?: string; bytes?: number },
  ): void {
    const source = where.source ?? where.file ?? stage;
    this.count(stage, 'rejected', { lang: 'und', source }, { reason, bytes: where.bytes ?? 0 });
    this.event({ stage, action: 'rejected', reason, source, ...where });
  }

  private event(e: LedgerEvent): void {
    if (!this.documentEvents) return;
    if (this.sink) {
      this.sink({ type: 'doc', run: this.currentRun?.id ?? null, ...e });
      return;
    }
    if (this.eventList.length < this.maxEvents) this.eventList.push(e);
    else this.droppedEvents++;
  }

  /** Notes the source, licence, language and retrieval date of a document that was read. */
  noteSource(doc: Document, bytes?: number): void {
    const name = sourceName(doc);
    const b = bytes ?? utf8Length(doc.text);
    for (const map of [this.sourceMap, this.runSources]) {
      let s = map.get(name);
      if (!s) {
        const hash = doc.source.uri.indexOf('#');
        s = {
          name,
          uri: hash >= 0 ? doc.source.uri.slice(0, hash) : doc.source.uri,
          documents: 0,
          bytes: 0,
          licenses: {},
          languages: {},
          retrievedFirst: null,
          retrievedLast: null,
          kinds: {},
          availability: {},
        };
        map.set(name, s);
      }
      s.documents++;
      s.bytes += b;
      const lic = doc.source.license ?? 'unknown';
      s.licenses[lic] = (s.licenses[lic] ?? 0) + 1;
      s.languages[doc.lang] = (s.languages[doc.lang] ?? 0) + 1;
      const r = doc.source.retrieved;
      if (r) {
        if (s.retrievedFirst === null || r < s.retrievedFirst) s.retrievedFirst = r;
        if (s.retrievedLast === null || r > s.retrievedLast) s.retrievedLast = r;
      }
      const kind = doc.meta?.kind;
      if (typeof kind === 'string') s.kinds[kind] = (s.kinds[kind] ?? 0) + 1;
      const av = doc.meta?.availability;
      if (typeof av === 'string') s.availability[av] = (s.availability[av] ?? 0) + 1;
    }
  }

  // ---- reading ----

  get counts(): LedgerCount[] {
    return [...this.countMap.values()];
  }

  get sources(): LedgerSource[] {
    return [...this.sourceMap.values()];
  }

  /** Removed and rejected documents kept in memory (see LedgerOptions.documentEvents). */
  get events(): readonly LedgerEvent[] {
    return this.eventList;
  }

  /** Document events not kept because of `maxEvents`. */
  get eventsDropped(): number {
    return this.droppedEvents;
  }

  /** Sums of the counts: records in, rejected, removed by reason and stage, out, written. */
  totals(): LedgerTotals {
    const t: LedgerTotals = {
      records: 0,
      read: { docs: 0, bytes: 0 },
      rejected: { docs: 0, byReason: {} },
      removed: { docs: 0, bytes: 0, byReason: {}, byStage: {} },
      added: { docs: 0, bytes: 0 },
      out: { docs: 0, bytes: 0 },
      written: { docs: 0, bytes: 0, tokens: 0 },
      changed: { docs: 0, items: 0, byReason: {} },
      byLanguage: {},
      bySource: {},
    };
    const row = (m: LedgerTotals['byLanguage'], k: string) => {
      m[k] ??= { read: 0, removed: 0, out: 0, outBytes: 0, tokens: 0 };
      return m[k];
    };
    for (const c of this.countMap.values()) {
      switch (c.action) {
        case 'read':
          t.read.docs += c.docs;
          t.read.bytes += c.bytes;
          row(t.byLanguage, c.lang).read += c.docs;
          row(t.bySource, c.source).read += c.docs;
          break;
        case 'rejected':
          t.rejected.docs += c.docs;
          t.rejected.byReason[c.reason] = (t.rejected.byReason[c.reason] ?? 0) + c.docs;
          break;
        case 'removed': {
          t.removed.docs += c.docs;
          t.removed.bytes += c.bytes;
          const key = `${c.stage}:${c.reason}`;
          t.removed.byReason[key] = (t.removed.byReason[key] ?? 0) + c.docs;
          t.removed.byStage[c.stage] = (t.removed.byStage[c.stage] ?? 0) + c.docs;
          row(t.byLanguage, c.lang).removed += c.docs;
          row(t.bySource, c.source).removed += c.docs;
          break;
        }
        case 'added':
          t.added.docs += c.docs;
          t.added.bytes += c.bytes;
          break;
        case 'out':
          t.out.docs += c.docs;
          t.out.bytes += c.bytes;
          row(t.byLanguage, c.lang).out += c.docs;
          row(t.byLanguage, c.lang).outBytes += c.bytes;
          row(t.bySource, c.source).out += c.docs;
          row(t.bySource, c.source).outBytes += c.bytes;
          break;
        case 'written':
          t.written.docs += c.docs;
          t.written.bytes += c.bytes;
          t.written.tokens += c.tokens;
          row(t.byLanguage, c.lang).tokens += c.tokens;
          row(t.bySource, c.source).tokens += c.tokens;
          break;
        case 'changed': {
          t.changed.docs += c.docs;
          t.changed.items += c.items;
          const key = `${c.stage}:${c.reason}`;
          t.changed.byReason[key] ??= { docs: 0, items: 0 };
          const r = t.changed.byReason[key];
          r.docs += c.docs;
          r.items += c.items;
          break;
        }
        case 'in':
          break;
      }
    }
    t.records = t.read.docs + t.rejected.docs;
    return t;
  }

  // ---- serialization ----

  /** All records as JSON lines (header, runs, counts, sources, document events). */
  toJSONL(): string {
    const lines: Record_[] = [{ type: 'header', format: LEDGER_FORMAT, version: LEDGER_VERSION }];
    for (const run of this.runList) lines.push({ type: 'run', ...run });
    for (const e of this.eventList) lines.push({ type: 'doc', ...e });
    for (const c of this.countMap.values()) lines.push({ type: 'count', run: null, ...c });
    for (const s of this.sourceMap.values()) lines.push({ type: 'source', run: null, ...s });
    return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
  }

  /**
   * Reads a ledger written by a FileLedger or `toJSONL`. Counts of runs that did not end
   * with status ok are left out (they are listed in `runs` with their status).
   * `runs: 'last'` keeps only the last successful run.
   */
  static fromJSONL(text: string, options: { runs?: 'all' | 'last'; what?: string } = {}): Ledger {
    const what = options.what ?? 'ledger';
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const records: Record_[] = lines.map((l, i) => {
      try {
        return JSON.parse(l) as Record_;
      } catch {
        throw new Error(`Ledger.fromJSONL: ${what}:${i + 1} is not JSON`);
      }
    });
    const header = records[0];
    if (header?.type !== 'header' || header.format !== LEDGER_FORMAT) {
      throw new Error(
        `Ledger.fromJSONL: ${what} does not start with an ${LEDGER_FORMAT} header (found ${JSON.stringify(header)?.slice(0, 80)}); write it with FileLedger or Ledger.toJSONL`,
      );
    }
    if (header.version !== LEDGER_VERSION) {
      throw new Error(
        `Ledger.fromJSONL: ${what} is ${LEDGER_FORMAT} version ${header.version}; this package reads version ${LEDGER_VERSION}`,
      );
    }
    const ledger = new Ledger();
    const runs = new Map<string, LedgerRun>();
    for (const r of records) {
      if (r.type === 'run') {
        const { type: _t, ...run } = r;
        runs.set(String(r.id), run as unknown as LedgerRun);
      } else if (r.type === 'end') {
        const run = runs.get(String(r.run));
        if (run) {
          run.status = r.status as LedgerRun['status'];
          run.finished = r.finished as string;
          run.stages = (r.stages as LedgerStageInfo[]) ?? run.stages;
          run.outputs = (r.outputs as string[]) ?? run.outputs;
          run.info = (r.info as Record<string, unknown>) ?? run.info;
          if (r.error) run.error = String(r.error);
        }
      }
    }
    const okRuns = [...runs.values()].filter((r) => r.status === 'ok');
    const keep = new Set(
      options.runs === 'last' ? okRuns.slice(-1).map((r) => r.id) : okRuns.map((r) => r.id),
    );
    // records written by toJSONL have run null: they are the ledger's own totals
    const counted = (r: Record_) =>
      r.run === null || r.run === undefined || keep.has(String(r.run));
    for (const r of records) {
      if (r.type === 'count' && counted(r)) {
        const c = r as unknown as LedgerCount;
        ledger.count(c.stage, c.action, { lang: c.lang, source: c.source }, c);
      } else if (r.type === 'source' && counted(r)) {
        const { type: _t, run: _r, ...src } = r;
        ledger.mergeSource(src as unknown as LedgerSource);
      } else if (r.type === 'doc' && counted(r)) {
        const { type: _t, run: _r, ...e } = r;
        ledger.event(e as unknown as LedgerEvent);
      }
    }
    ledger.runList.push(...(options.runs === 'last' ? okRuns.slice(-1) : [...runs.values()]));
    ledger.runCounts.clear();
    ledger.runSources.clear();
    return ledger;
  }

  /** One ledger with the sums of several (e.g. the shards of a job array). */
  static merge(ledgers: Ledger[]): Ledger {
    const out = new Ledger();
    for (const l of ledgers) {
      for (const c of l.countMap.values()) {
        out.count(c.stage, c.action, { lang: c.lang, source: c.source }, c);
      }
      for (const s of l.sourceMap.values()) out.mergeSource(s);
      for (const e of l.eventList) out.event(e);
      out.runList.push(...l.runList);
    }
    out.runCounts.clear();
    out.runSources.clear();
    return out;
  }

  private mergeSource(s: LedgerSource): void {
    const cur = this.sourceMap.get(s.name);
    if (!cur) {
      const copy = structuredClone(s);
      copy.availability ??= {};
      copy.kinds ??= {};
      this.sourceMap.set(s.name, copy);
      return;
    }
    cur.documents += s.documents;
    cur.bytes += s.bytes;
    for (const field of ['licenses', 'languages', 'kinds', 'availability'] as const) {
      cur[field] ??= {};
      for (const [k, v] of Object.entries(s[field] ?? {})) cur[field][k] = (cur[field][k] ?? 0) + v;
    }
    if (s.retrievedFirst && (!cur.retrievedFirst || s.retrievedFirst < cur.retrievedFirst)) {
      cur.retrievedFirst = s.retrievedFirst;
    }
    if (s.retrievedLast && (!cur.retrievedLast || s.retrievedLast > cur.retrievedLast)) {
      cur.retrievedLast = s.retrievedLast;
    }
  }
}
