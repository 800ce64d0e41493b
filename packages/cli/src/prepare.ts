/**
 * Data preparation: a corpus (the embedded eu24 or files) through the data package's pipeline
 * (normalize, language id, quality, PII, dedup, validation split) into Megatron indexed
 * datasets `<prefix>.train` / `<prefix>.validation` with a provenance ledger beside them.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  type Document,
  euCorpus,
  euCorpusDocuments,
  exactDedup,
  identifyLanguage,
  nearDedup,
  normalize,
  type PackResult,
  type PackTokenizer,
  packIndexedDataset,
  pipeline,
  qualityFilter,
  readFiles,
  redactPii,
  type Source,
  type Stage,
  shardSource,
  splitByHash,
} from '@openeurollm/data';
import type { RunConfig } from './config.js';
import { UsageError } from './errors.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';

/** File inputs of a data config, resolved against the config's folder. */
function inputs(config: RunConfig['data'], baseDir: string): string[] {
  return (config.files ?? []).map((f) => (isAbsolute(f) ? f : resolve(baseDir, f)));
}

/** The pipeline source a data config names: the embedded corpus (default) or files. */
export function corpusSource(config: RunConfig['data'], baseDir: string, shard?: string): Source {
  let source: Source;
  if (config.files && config.files.length > 0) {
    const files = inputs(config, baseDir);
    const missing = files.filter((f) => !/[*?[{]/.test(f) && !existsSync(f));
    if (missing.length > 0) {
      throw new UsageError(`data.files: ${missing.map((f) => `'${f}'`).join(', ')} not found`);
    }
    source = readFiles(files, { license: config.license ?? null });
  } else {
    source = euCorpus({ languages: config.languages });
  }
  return shard ? shardSource(source, shard) : source;
}

/** Documents to train a tokenizer on: the corpus's train split (or every file's documents). */
export async function tokenizerTexts(
  config: RunConfig['data'],
  baseDir: string,
): Promise<Document[]> {
  if (config.files && config.files.length > 0) {
    const docs: Document[] = [];
    const p = pipeline(corpusSource(config, baseDir), normalize(), { onReject: () => {} });
    for await (const d of p) docs.push(d);
    if (docs.length === 0)
      throw new UsageError(
        `data.files: no documents could be read from ${config.files.join(', ')}`,
      );
    return config.languages
      ? docs.filter((d) => config.languages!.includes(d.lang) || d.lang === 'und')
      : docs;
  }
  return euCorpusDocuments({ split: 'train', languages: config.languages });
}

/** The stages a data config turns on, in pipeline order. */
export function stagesFor(config: RunConfig['data']): Stage[] {
  const s = config.stages;
  const stages: Stage[] = [];
  if (s.normalize) stages.push(normalize());
  if (s.identifyLanguage) stages.push(identifyLanguage({ threshold: 0.5 }));
  if (s.quality) stages.push(qualityFilter());
  if (s.pii) stages.push(redactPii());
  if (s.dedup) stages.push(exactDedup());
  if (s.nearDedup) stages.push(nearDedup());
  if (config.validation > 0) stages.push(splitByHash({ validation: config.validation }));
  return stages;
}

/** Counts documents as the source yields them (for the progress bar), changing nothing. */
function counted(source: Source, onDoc: (n: number) => void): Source {
  return {
    name: source.name,
    options: source.options,
    read: (ctx) =>
      (async function* () {
        let n = 0;
        for await (const d of source.read(ctx)) {
          n += 1;
          onDoc(n);
          yield d;
        }
      })(),
  };
}

export interface PrepareOptions {
  data: RunConfig['data'];
  /** Folder that relative data.files are resolved against. */
  baseDir: string;
  tokenizer: PackTokenizer;
  /** Writes `<outPrefix>.train.*`, `<outPrefix>.validation.*`, `<outPrefix>.ledger.jsonl`. */
  outPrefix: string;
  /** Only this shard of the input ('i/N'). */
  shard?: string;
  /** Expected number of input documents, for the progress bar (when known). */
  total?: number;
}

export interface PrepareResult extends PackResult {
  seconds: number;
}

/** Runs the pipeline and packs the result; progress on stderr. */
export async function prepareData(o: PrepareOptions, out: Output): Promise<PrepareResult> {
  const t0 = performance.now();
  let total = o.total;
  if (total === undefined && !(o.data.files && o.data.files.length > 0)) {
    total = (await euCorpusDocuments({ languages: o.data.languages })).length;
    if (o.shard) total = undefined;
  }
  const progress = new Progress(out, { label: 'data', total, unit: 'docs' });
  let rejected = 0;
  const source = counted(corpusSource(o.data, o.baseDir, o.shard), (n) => progress.update(n));
  const p = pipeline(source, ...stagesFor(o.data), {
    onReject: (e) => {
      rejected += 1;
      if (rejected <= 5) out.warn(`rejected: ${e.message}`);
    },
  });
  let result: PackResult;
  try {
    result = await packIndexedDataset(p, o.tokenizer, {
      outPrefix: o.outPrefix,
      bySplit: o.data.validation > 0,
      info: o.shard ? { shard: o.shard } : undefined,
    });
  } catch (e) {
    progress.clear();
    throw e;
  }
  const t = result.ledger.totals();
  const tokens = result.datasets.reduce((s, d) => s + d.tokens, 0);
  progress.finish(
    `${t.out.docs} kept, ${t.removed.docs} removed, ${t.rejected.docs} rejected, ${tokens} tokens`,
  );
  if (rejected > 5) out.warn(`${rejected - 5} more rejected records (all are in the ledger)`);
  return { ...result, seconds: (performance.now() - t0) / 1000 };
}
