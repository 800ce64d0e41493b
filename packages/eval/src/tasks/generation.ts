/**
 * Generation tasks: the model continues each prompt (greedy by default, or sampled with a
 * seed per document), the output is cut at the first stop sequence and trimmed, and scored
 * against the references by exact match, chrF, chrF++ and BLEU (corpus-level, sacreBLEU's
 * defaults and signatures), overall and per language.
 */

import { defaultPrefixToken, type ScoringModel } from '../lm/scoring-model.js';
import { type BleuOptions, type BleuScore, bleu } from '../metrics/bleu.js';
import { type ChrfOptions, type ChrfScore, chrf } from '../metrics/chrf.js';
import { mean, stderrOfMean } from '../stats.js';
import { encodeText, type GenerationTokenizer } from '../tokenizer.js';
import type { GenDoc } from './task-format.js';

export interface GenerationTask {
  name: string;
  docs: GenDoc[];
  smoke?: boolean;
  source?: Record<string, string | number>;
}

/** A model that generates: CausalLM.generate's shape. */
export interface GenerationModel extends ScoringModel {
  generate(
    prompt: number[],
    options: {
      maxNewTokens?: number;
      temperature?: number;
      topK?: number;
      topP?: number;
      seed?: number;
      stop?: number[];
    },
  ): number[][];
}

export interface GenerationOptions {
  /** Default 64. */
  maxNewTokens?: number;
  /** 0 = greedy (default). */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Sampling seed; document i uses seed + i. Default 0. */
  seed?: number;
  /** Output is cut at the first of these strings. Default ['\n']. */
  stopSequences?: string[];
  /** Score only the first `limit` documents. */
  limit?: number;
  bleu?: BleuOptions;
  chrf?: Omit<ChrfOptions, 'wordOrder'>;
}

export interface GenerationMetrics {
  exact_match: { value: number; stderr: number };
  chrf: ChrfScore;
  'chrf++': ChrfScore;
  bleu: BleuScore;
}

export interface GenerationDocResult {
  index: number;
  id?: string;
  lang?: string;
  prompt: string;
  output: string;
  references: string[];
  exactMatch: boolean;
}

export interface GenerationResult {
  task: string;
  smoke: boolean;
  source: Record<string, string | number> | null;
  n: number;
  metrics: GenerationMetrics;
  byLang: Record<string, GenerationMetrics & { n: number }>;
  docs: GenerationDocResult[];
  config: {
    maxNewTokens: number;
    temperature: number;
    topK: number;
    topP: number;
    seed: number;
    stopSequences: string[];
    limit: number | null;
  };
}

export async function evaluateGeneration(
  model: GenerationModel,
  tokenizer: GenerationTokenizer,
  task: GenerationTask,
  options: GenerationOptions = {},
): Promise<GenerationResult> {
  const fn = 'evaluateGeneration';
  if (typeof model?.generate !== 'function')
    throw new TypeError(`${fn}: model must have generate(prompt, options) (a CausalLM)`);
  if (typeof tokenizer?.decode !== 'function')
    throw new TypeError(`${fn}: tokenizer must have decode(ids)`);
  const config = {
    maxNewTokens: options.maxNewTokens ?? 64,
    temperature: options.temperature ?? 0,
    topK: options.topK ?? 0,
    topP: options.topP ?? 1,
    seed: options.seed ?? 0,
    stopSequences: options.stopSequences ?? ['\n'],
    limit: options.limit ?? null,
  };
  if (!Number.isInteger(config.maxNewTokens) || config.maxNewTokens < 1) {
    throw new RangeError(
      `${fn}: maxNewTokens must be a positive integer, received ${config.maxNewTokens}`,
    );
  }
  const docs = config.limit === null ? task.docs : task.docs.slice(0, config.limit);
  if (docs.length === 0) throw new RangeError(`${fn}: task '${task.name}' has no documents`);
  const ctxLen = model.config.contextLength;
  const prefix = defaultPrefixToken(model);
  const results: GenerationDocResult[] = [];
  for (const [i, doc] of docs.entries()) {
    if (
      typeof doc.prompt !== 'string' ||
      !Array.isArray(doc.references) ||
      doc.references.length === 0
    ) {
      throw new TypeError(
        `${fn}: task '${task.name}' doc ${i} needs a prompt and at least one reference`,
      );
    }
    let ids = await encodeText(tokenizer, doc.prompt, fn);
    if (ids.length === 0) {
      if (prefix === null)
        throw new RangeError(
          `${fn}: doc ${i} has an empty prompt and the model has no BOS/EOS token`,
        );
      ids = [prefix];
    }
    // keep room for the new tokens: the prompt loses tokens on the left
    ids = ids.slice(-Math.max(1, ctxLen - config.maxNewTokens));
    const [out] = model.generate(ids, {
      maxNewTokens: config.maxNewTokens,
      temperature: config.temperature,
      topK: config.topK,
      topP: config.topP,
      seed: config.seed + i,
    });
    const output = cutAtStop(tokenizer.decode(out.slice(ids.length)), config.stopSequences).trim();
    results.push({
      index: i,
      ...(doc.id !== undefined ? { id: doc.id } : {}),
      ...(doc.lang !== undefined ? { lang: doc.lang } : {}),
      prompt: doc.prompt,
      output,
      references: doc.references,
      exactMatch: doc.references.some((r) => r.trim() === output),
    });
  }
  const byLang: GenerationResult['byLang'] = {};
  for (const lang of new Set(
    results.map((r) => r.lang).filter((l): l is string => l !== undefined),
  )) {
    const sub = results.filter((r) => r.lang === lang);
    byLang[lang] = { n: sub.length, ...score(sub, options) };
  }
  return {
    task: task.name,
    smoke: task.smoke ?? false,
    source: task.source ?? null,
    n: results.length,
    metrics: score(results, options),
    byLang,
    docs: results,
    config,
  };
}

function cutAtStop(text: string, stops: string[]): string {
  let end = text.length;
  for (const s of stops) {
    if (s === '') continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

function score(rs: GenerationDocResult[], options: GenerationOptions): GenerationMetrics {
  const hyps = rs.map((r) => r.output);
  // reference streams: stream k holds every document's k-th reference (null where it has fewer)
  const k = Math.max(...rs.map((r) => r.references.length));
  const streams = Array.from({ length: k }, (_, j) => rs.map((r) => r.references[j] ?? null));
  const em = rs.map((r) => (r.exactMatch ? 1 : 0));
  return {
    exact_match: { value: mean(em), stderr: stderrOfMean(em) },
    chrf: chrf(hyps, streams, { ...options.chrf, wordOrder: 0 }),
    'chrf++': chrf(hyps, streams, { ...options.chrf, wordOrder: 2 }),
    bleu: bleu(hyps, streams, options.bleu),
  };
}
