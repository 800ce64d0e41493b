/**
 * Multiple-choice log-likelihood tasks in lm-evaluation-harness's convention.
 *
 * For each document and choice the model scores `targetDelimiter + choice` (default " ") after
 * the context (few-shot examples first, if any). The context is encoded alone and together
 * with the continuation; the continuation's tokens are the tail of the joint encoding past the
 * context's tokens, and trailing spaces of the context move to the continuation (the harness's
 * `_encode_pair`). An empty context is replaced by the prefix token (BOS, else EOS). Inputs
 * longer than the context length lose tokens on the left.
 *
 * Metrics, each a mean over documents with its standard error (sample standard deviation /
 * sqrt(n), as the harness):
 * - `acc`: the choice with the highest log-likelihood is the gold one;
 * - `acc_norm`: the same after dividing each log-likelihood by the choice's length in
 *   characters (code points, of the choice without the delimiter);
 * - `acc_bytes`: divided by the choice's UTF-8 bytes instead.
 * Ties go to the first choice (numpy's argmax).
 */
import { utf8Length } from '@openeurollm/data';
import { Generator } from '@openeurollm/tensor';
import {
  type ScoreOptions,
  type ScoreRequest,
  type ScoreStats,
  scoreRequests,
} from '../lm/score.js';
import { checkModel, defaultPrefixToken, type ScoringModel } from '../lm/scoring-model.js';
import { codePointLength, pyRstrip } from '../metrics/python-text.js';
import { mean, stderrOfMean } from '../stats.js';
import { type EvalTokenizer, encodeText } from '../tokenizer.js';
import type { McDoc } from './task-format.js';

export interface McTask {
  name: string;
  docs: McDoc[];
  /** Where few-shot examples come from; default the task's own docs (never the doc itself). */
  fewshotDocs?: McDoc[];
  /** Text before the examples and the question. Default ''. */
  description?: string;
  /** Between the context and a choice. Default ' '. */
  targetDelimiter?: string;
  /** Between few-shot examples. Default '\n\n'. */
  fewshotDelimiter?: string;
  /** A smoke task checks that the pipeline works; it is not a benchmark. */
  smoke?: boolean;
  /** Where the docs came from (file, layout, sha256), copied into reports. */
  source?: Record<string, string | number>;
}

export interface McOptions extends Omit<ScoreOptions, 'greedy'> {
  /** Score only the first `limit` documents. */
  limit?: number;
  /** Few-shot examples per document. Default 0. */
  numFewshot?: number;
  /** Seed of the few-shot sampler. Default 1234 (the harness's). */
  seed?: number;
  /** Token used as the context of an empty one. Default BOS, else EOS. */
  prefixTokenId?: number | null;
}

export interface McMetric {
  value: number;
  /** Standard error of the mean (NaN with fewer than 2 documents). */
  stderr: number;
}

export interface McMetrics {
  acc: McMetric;
  acc_norm: McMetric;
  acc_bytes: McMetric;
}

export interface McDocResult {
  index: number;
  id?: string;
  lang?: string;
  /** The full context the choices were scored after (few-shot examples included). */
  prompt: string;
  gold: number;
  logLikelihoods: number[];
  pred: number;
  predNorm: number;
  predBytes: number;
}

export interface McResult {
  task: string;
  smoke: boolean;
  /** The task's source (file, layout, sha256), when it has one. */
  source: Record<string, string | number> | null;
  n: number;
  metrics: McMetrics;
  /** The same metrics per language, for documents with a `lang`. */
  byLang: Record<string, McMetrics & { n: number }>;
  docs: McDocResult[];
  config: {
    limit: number | null;
    numFewshot: number;
    seed: number;
    targetDelimiter: string;
    prefixTokenId: number | null;
  };
  stats: ScoreStats;
}

/** Scores a multiple-choice task. */
export async function evaluateMultipleChoice(
  model: ScoringModel,
  tokenizer: EvalTokenizer,
  task: McTask,
  options: McOptions = {},
): Promise<McResult> {
  checkModel('evaluateMultipleChoice', model);
  if (!task || !Array.isArray(task.docs)) {
    throw new TypeError(
      'evaluateMultipleChoice: task must be { name, docs: [{ context, choices, gold }] }',
    );
  }
  const limit = options.limit ?? null;
  if (limit !== null && !(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError(
      `evaluateMultipleChoice: limit must be a positive integer, received ${limit}`,
    );
  }
  const numFewshot = options.numFewshot ?? 0;
  if (!Number.isInteger(numFewshot) || numFewshot < 0) {
    throw new RangeError(
      `evaluateMultipleChoice: numFewshot must be an integer >= 0, received ${numFewshot}`,
    );
  }
  const seed = options.seed ?? 1234;
  const delimiter = task.targetDelimiter ?? ' ';
  const fewshotDelimiter = task.fewshotDelimiter ?? '\n\n';
  const prefixTokenId =
    options.prefixTokenId === undefined ? defaultPrefixToken(model) : options.prefixTokenId;
  const docs = limit === null ? task.docs : task.docs.slice(0, limit);
  if (docs.length === 0)
    throw new RangeError(`evaluateMultipleChoice: task '${task.name}' has no documents`);
  for (const [i, d] of docs.entries()) checkDoc(task.name, d, i);
  const pool = task.fewshotDocs ?? task.docs;
  if (numFewshot > 0 && pool.length - (task.fewshotDocs ? 0 : 1) < numFewshot) {
    throw new RangeError(
      `evaluateMultipleChoice: task '${task.name}' has ${pool.length} few-shot candidates, too few for numFewshot ${numFewshot}`,
    );
  }
  const rng = new Generator(seed);
  const ctxLen = model.config.contextLength;

  const prompts: string[] = [];
  const requests: ScoreRequest[] = [];
  const owner: [number, number][] = []; // request -> [doc, choice]
  const empty: [number, number][] = []; // continuations that encode to no token: log-likelihood 0
  for (const [di, doc] of docs.entries()) {
    const shots =
      numFewshot > 0 ? sampleFewshot(pool, task.fewshotDocs ? null : doc, numFewshot, rng) : [];
    const prompt =
      (task.description ?? '') +
      shots.map((s) => s.context + delimiter + s.choices[s.gold]).join(fewshotDelimiter) +
      (shots.length > 0 ? fewshotDelimiter : '') +
      doc.context;
    prompts.push(prompt);
    for (const [ci, choice] of doc.choices.entries()) {
      const [ctx, cont] = await encodePair(
        tokenizer,
        prompt,
        delimiter + choice,
        prefixTokenId,
        task.name,
        di,
      );
      if (cont.length === 0) {
        empty.push([di, ci]);
        continue;
      }
      if (cont.length > ctxLen) {
        throw new RangeError(
          `evaluateMultipleChoice: task '${task.name}' doc ${di} choice ${ci} has ${cont.length} tokens, more than the context length ${ctxLen}`,
        );
      }
      const all = [...ctx, ...cont].slice(-(ctxLen + 1));
      requests.push({ tokens: all, scored: cont.length });
      owner.push([di, ci]);
    }
  }
  const { results, stats } = scoreRequests(model, requests, options);
  const lls = docs.map((d) => new Array<number>(d.choices.length).fill(0));
  results.forEach((r, i) => {
    const [di, ci] = owner[i];
    lls[di][ci] = r.logLikelihood;
  });
  for (const [di, ci] of empty) lls[di][ci] = 0;

  const docResults: McDocResult[] = docs.map((doc, i) => {
    const ll = lls[i];
    return {
      index: i,
      ...(doc.id !== undefined ? { id: doc.id } : {}),
      ...(doc.lang !== undefined ? { lang: doc.lang } : {}),
      prompt: prompts[i],
      gold: doc.gold,
      logLikelihoods: ll,
      pred: argmax(ll),
      predNorm: argmax(ll.map((x, c) => x / codePointLength(doc.choices[c]))),
      predBytes: argmax(ll.map((x, c) => x / utf8Length(doc.choices[c]))),
    };
  });
  const byLang: McResult['byLang'] = {};
  for (const lang of new Set(
    docResults.map((d) => d.lang).filter((l): l is string => l !== undefined),
  )) {
    const sub = docResults.filter((d) => d.lang === lang);
    byLang[lang] = { n: sub.length, ...metricsOf(sub) };
  }
  return {
    task: task.name,
    smoke: task.smoke ?? false,
    source: task.source ?? null,
    n: docResults.length,
    metrics: metricsOf(docResults),
    byLang,
    docs: docResults,
    config: { limit, numFewshot, seed, targetDelimiter: delimiter, prefixTokenId },
    stats,
  };
}

function metricsOf(docs: McDocResult[]): McMetrics {
  const m = (pick: (d: McDocResult) => number): McMetric => {
    const xs = docs.map((d) => (pick(d) === d.gold ? 1 : 0));
    return { value: mean(xs), stderr: stderrOfMean(xs) };
  };
  return {
    acc: m((d) => d.pred),
    acc_norm: m((d) => d.predNorm),
    acc_bytes: m((d) => d.predBytes),
  };
}

/** The first index of the largest value (numpy's argmax). */
function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** k distinct docs from the pool other than `exclude`, by a seeded partial shuffle. */
function sampleFewshot(pool: McDoc[], exclude: McDoc | null, k: number, rng: Generator): McDoc[] {
  const candidates = exclude ? pool.filter((d) => d !== exclude) : [...pool];
  for (let i = 0; i < k; i++) {
    const j = rng.int(i, candidates.length);
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  return candidates.slice(0, k);
}

/** lm-evaluation-harness's `_encode_pair`: [context tokens, continuation tokens]. */
async function encodePair(
  tokenizer: EvalTokenizer,
  context: string,
  continuation: string,
  prefixTokenId: number | null,
  task: string,
  doc: number,
): Promise<[number[], number[]]> {
  const fn = 'evaluateMultipleChoice';
  const trimmed = pyRstrip(context);
  if (trimmed.length < context.length) {
    continuation = context.slice(trimmed.length) + continuation;
    context = trimmed;
  }
  const prefix = () => {
    if (prefixTokenId === null) {
      throw new RangeError(
        `${fn}: task '${task}' doc ${doc} has an empty context and the model has no BOS/EOS token to stand for it; pass prefixTokenId`,
      );
    }
    return [prefixTokenId];
  };
  if (context === '') return [prefix(), await encodeText(tokenizer, continuation, fn)];
  const whole = await encodeText(tokenizer, context + continuation, fn);
  const ctx = await encodeText(tokenizer, context, fn);
  return [ctx.length > 0 ? ctx : prefix(), whole.slice(ctx.length)];
}

function checkDoc(task: string, d: McDoc, i: number): void {
  const where = `evaluateMultipleChoice: task '${task}' doc ${i}`;
  if (typeof d?.context !== 'string') throw new TypeError(`${where}: context must be a string`);
  if (
    !Array.isArray(d.choices) ||
    d.choices.length < 2 ||
    d.choices.some((c) => typeof c !== 'string')
  ) {
    throw new TypeError(`${where}: choices must be an array of at least 2 strings`);
  }
  if (d.choices.some((c) => c.length === 0)) throw new RangeError(`${where}: a choice is empty`);
  if (!Number.isInteger(d.gold) || d.gold < 0 || d.gold >= d.choices.length) {
    throw new RangeError(
      `${where}: gold ${d.gold} is out of range for ${d.choices.length} choices`,
    );
  }
}
