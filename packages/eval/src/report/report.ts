/**
 * The evaluation report as data: what was measured (perplexity, tasks, generation, tokenizer
 * fairness, a training run's loss curve) and what is needed to repeat it (package versions,
 * backend, model config, options, seeds, and a sha256 of every data set). JSON is the record;
 * Markdown and HTML are views of it.
 */
import { sha256Hex } from '@openeurollm/data';
import { backendReason, getBackend } from '@openeurollm/tensor';
import type { ScoringModel } from '../lm/scoring-model.js';
import { SACREBLEU_VERSION } from '../metrics/references.js';
import type { PerplexityResult } from '../perplexity.js';
import type { GenerationResult } from '../tasks/generation.js';
import type { McResult } from '../tasks/multiple-choice.js';
import type { TokenizerReport } from '../tokenizer-report.js';
import { EVAL_VERSION } from '../version.js';
import type { MetricsPoint } from './metrics-jsonl.js';

export const REPORT_FORMAT = 'oellm-eval-report';
export const REPORT_VERSION = 1;

export interface ModelInfo {
  name?: string;
  /** Where the checkpoint came from (folder, URL). */
  path?: string;
  config?: Record<string, unknown>;
  parameters?: number;
  sha256?: string;
}

export interface DataRecord {
  /** What the data is ('perplexity:de', 'task:eu24-udhr-translation-smoke', …). */
  name: string;
  sha256: string;
  [key: string]: string | number;
}

export interface EvalReport {
  format: typeof REPORT_FORMAT;
  formatVersion: typeof REPORT_VERSION;
  title: string;
  createdAt: string;
  versions: Record<string, string>;
  backend: { name: string; reason: string };
  model: ModelInfo | null;
  config: Record<string, unknown>;
  seeds: Record<string, number>;
  data: DataRecord[];
  perplexity: Omit<PerplexityResult, 'stats'> | null;
  multipleChoice: McResult[];
  generation: GenerationResult[];
  tokenizer: TokenizerReport | null;
  training: { source: string; sha256: string; points: MetricsPoint[] } | null;
  notes: string[];
}

export interface BuildReportInput {
  title?: string;
  /** A model (its config and parameter count are read) or a description of one. */
  model?: ScoringModel | ModelInfo;
  modelName?: string;
  perplexity?: PerplexityResult;
  multipleChoice?: McResult[];
  generation?: GenerationResult[];
  tokenizer?: TokenizerReport;
  /** A training run's metrics.jsonl, parsed, with its text (hashed) and where it came from. */
  training?: { points: MetricsPoint[]; text?: string; source?: string };
  /** Anything else that shaped the run (training config, command line). */
  config?: Record<string, unknown>;
  /** Seeds besides those of the tasks (training, data order). */
  seeds?: Record<string, number>;
  /** Keep each document's prompt and scores in the JSON (default false: metrics only). */
  includeDocs?: boolean;
  notes?: string[];
  /** Default: now. */
  createdAt?: Date;
}

export function buildReport(input: BuildReportInput): EvalReport {
  const data: DataRecord[] = [];
  const seeds: Record<string, number> = { ...input.seeds };
  if (input.perplexity) {
    for (const r of input.perplexity.languages) {
      data.push({ name: `perplexity:${r.lang}`, sha256: r.sha256, texts: r.texts, bytes: r.bytes });
    }
  }
  const mc = (input.multipleChoice ?? []).map((r) => (input.includeDocs ? r : { ...r, docs: [] }));
  for (const r of input.multipleChoice ?? []) {
    seeds[`multipleChoice:${r.task}`] = r.config.seed;
  }
  const gen = (input.generation ?? []).map((r) => (input.includeDocs ? r : { ...r, docs: [] }));
  for (const r of input.generation ?? []) seeds[`generation:${r.task}`] = r.config.seed;
  if (input.tokenizer)
    data.push({
      name: `tokenizer:${input.tokenizer.data.name}`,
      sha256: input.tokenizer.data.sha256,
    });
  let training: EvalReport['training'] = null;
  if (input.training) {
    const text =
      input.training.text ?? input.training.points.map((p) => JSON.stringify(p)).join('\n');
    training = {
      source: input.training.source ?? 'metrics.jsonl',
      sha256: sha256Hex(text),
      points: input.training.points,
    };
    data.push({
      name: `training:${training.source}`,
      sha256: training.sha256,
      lines: input.training.points.length,
    });
  }
  for (const r of [...(input.multipleChoice ?? []), ...(input.generation ?? [])]) {
    if (r.source?.sha256 !== undefined) {
      data.push({ ...r.source, name: `task:${r.task}`, sha256: String(r.source.sha256) });
    }
  }
  const backend = getBackend();
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions
    ?.node;
  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_VERSION,
    title: input.title ?? 'Evaluation report',
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    versions: {
      '@openeurollm/eval': EVAL_VERSION,
      sacrebleu: `${SACREBLEU_VERSION} (behaviour reproduced)`,
      ...(node ? { node } : {}),
    },
    backend: { name: backend.name, reason: backendReason() },
    model: input.model ? modelInfo(input.model, input.modelName) : null,
    config: {
      ...input.config,
      ...(input.perplexity ? { perplexity: input.perplexity.config } : {}),
      ...Object.fromEntries(
        (input.multipleChoice ?? []).map((r) => [`multipleChoice:${r.task}`, r.config]),
      ),
      ...Object.fromEntries(
        (input.generation ?? []).map((r) => [`generation:${r.task}`, r.config]),
      ),
    },
    seeds,
    data,
    perplexity: input.perplexity ? withoutStats(input.perplexity) : null,
    multipleChoice: mc,
    generation: gen,
    tokenizer: input.tokenizer ?? null,
    training,
    notes: [
      ...(input.multipleChoice ?? [])
        .filter((r) => r.smoke)
        .map(
          (r) =>
            `${r.task} is a smoke task: it checks that evaluation works, it is not a benchmark.`,
        ),
      ...(input.notes ?? []),
    ],
  };
}

function withoutStats(p: PerplexityResult): Omit<PerplexityResult, 'stats'> {
  const { stats: _stats, ...rest } = p;
  return rest;
}

function modelInfo(m: ScoringModel | ModelInfo, name?: string): ModelInfo {
  if (!('forward' in m) || typeof m.forward !== 'function')
    return { ...(m as ModelInfo), ...(name ? { name } : {}) };
  const model = m as ScoringModel & {
    modelConfig?: Record<string, unknown>;
    parameters?: () => { size: number }[];
  };
  const config = (model.modelConfig ?? { ...model.config }) as Record<string, unknown>;
  const params = model.parameters?.();
  return {
    ...(name ? { name } : {}),
    config,
    ...(params ? { parameters: params.reduce((s, p) => s + p.size, 0) } : {}),
  };
}
