/**
 * @openeurollm/eval: per-language perplexity and bits-per-byte, lm-evaluation-harness-style
 * multiple-choice tasks, generation tasks scored with chrF / chrF++ / BLEU exactly as
 * sacreBLEU scores them, tokenizer fairness, and reports (JSON, Markdown, HTML with charts).
 * This is the browser-safe core; the Node entry adds task files, metrics.jsonl and report files.
 */
export {
  type ScoreOptions,
  type ScoreRequest,
  type ScoreResult,
  type ScoreStats,
  scoreRequests,
} from './lm/score.js';
export {
  defaultPrefixToken,
  type ScoringModel,
  type ScoringModelConfig,
} from './lm/scoring-model.js';
export {
  type BleuOptions,
  type BleuScore,
  bleu,
  type SmoothMethod,
  sentenceBleu,
} from './metrics/bleu.js';
export { type ChrfOptions, type ChrfScore, chrf, sentenceChrf } from './metrics/chrf.js';
export {
  type ReferenceStreams,
  SACREBLEU_VERSION,
  SIGNATURE_VERSION,
} from './metrics/references.js';
export {
  BLEU_TOKENIZERS,
  type BleuTokenizerName,
  bleuTokenize,
} from './metrics/sacrebleu-tokenizers.js';
export {
  type PerplexityOptions,
  type PerplexityResult,
  type PerplexityRow,
  perplexity,
  slidingWindows,
} from './perplexity.js';
export {
  type BarDatum,
  type ChartSpec,
  type CurvePoint,
  type GroupedDatum,
  groupedBarChart,
  languageBarChart,
  lossCurveChart,
  renderChartSvg,
} from './report/charts.js';
export { reportCharts, reportToHtml } from './report/html.js';
export { stringifyReport } from './report/json.js';
export { reportToMarkdown } from './report/markdown.js';
export { type MetricsPoint, parseMetricsJsonl } from './report/metrics-jsonl.js';
export {
  type BuildReportInput,
  buildReport,
  type DataRecord,
  type EvalReport,
  type ModelInfo,
  REPORT_FORMAT,
  REPORT_VERSION,
} from './report/report.js';
export {
  evaluateGeneration,
  type GenerationDocResult,
  type GenerationMetrics,
  type GenerationModel,
  type GenerationOptions,
  type GenerationResult,
  type GenerationTask,
} from './tasks/generation.js';
export { applyLayout, type LayoutOptions, TASK_LAYOUTS, type TaskLayout } from './tasks/layouts.js';
export {
  generationTaskFromJsonl,
  generationTaskFromRecords,
  mcTaskFromJsonl,
  mcTaskFromRecords,
  type RecordsWithLines,
  type TaskFileOptions,
} from './tasks/load-task.js';
export {
  evaluateMultipleChoice,
  type McDocResult,
  type McMetric,
  type McMetrics,
  type McOptions,
  type McResult,
  type McTask,
} from './tasks/multiple-choice.js';
export {
  type GenDoc,
  type JsonRecord,
  type McDoc,
  parseJsonl,
  RecordReader,
  TaskFormatError,
} from './tasks/task-format.js';
export {
  loadUdhrSmokeTask,
  UDHR_SMOKE_TASK,
  type UdhrSmokeOptions,
  udhrSmokeTask,
} from './tasks/udhr-smoke.js';
export type { EvalTokenizer, GenerationTokenizer } from './tokenizer.js';
export {
  type TokenizerReport,
  type TokenizerReportOptions,
  tokenizerReport,
} from './tokenizer-report.js';
export { udhrArticles, udhrParallelTexts } from './udhr.js';
export { EVAL_VERSION } from './version.js';
