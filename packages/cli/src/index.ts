/**
 * @openeurollm/cli: the `oellm` command line, and its parts as a library: run configs (schema,
 * loading, errors), the commands as functions, progress bars, model cards.
 */
export { chooseBackend, describeBackend } from './backend.js';
export {
  fixedBatches,
  LoaderSource,
  type LoaderSourceOptions,
  type StopFlag,
  StopRequested,
  windowsToBatch,
} from './batches.js';
export { type CardOptions, modelCard, type RunDocuments, runDocuments } from './card.js';
export {
  CHATML_TEMPLATE,
  END_OF_TEXT,
  IM_END,
  IM_START,
  tokenizerConfigFor,
} from './chat-format.js';
export {
  applyOverrides,
  dataConfigSchema,
  evalConfigSchema,
  formatConfigIssues,
  loadRunConfig,
  modelConfigSchema,
  parseConfigText,
  type RunConfig,
  type RunConfigInput,
  resolveRunConfig,
  runConfigSchema,
  runConfigToYaml,
  tokenizerConfigSchema,
  trainingConfigSchema,
} from './config.js';
export { CliError, EXIT, type ExitCode, InterruptedError, UsageError } from './errors.js';
export {
  defaultPrompts,
  type EvaluateOptions,
  evaluateModel,
  sampleText,
  writeEvalOutputs,
} from './eval-run.js';
export {
  capTexts,
  type LanguageScore,
  type PerplexityReport,
  perplexityByLanguage,
} from './evaluate.js';
export { type StreamOptions, streamTokens, TextStreamer } from './generation.js';
export {
  type LoadedModel,
  loadModelSource,
  type ModelSource,
  resolveModelSource,
} from './model-source.js';
export { colorEnabled, formatCount, formatDuration, Output, type OutputOptions } from './output.js';
export {
  alignedTexts,
  type InstructionExample,
  languageName,
  parallelArticles,
  translationInstructions,
  udhrArticles,
} from './parallel.js';
export {
  corpusSource,
  type PrepareOptions,
  prepareData,
  stagesFor,
  tokenizerTexts,
} from './prepare.js';
export { PRESETS } from './presets.js';
export { buildProgram, main } from './program.js';
export { Progress, type ProgressOptions } from './progress.js';
export { type EvalResults, evalHtml, evalMarkdown, readMetrics } from './report.js';
export { RUN_FILES, RunFolder, type RunStatus } from './run-folder.js';
export { trainTokenizer } from './tokenizer-build.js';
export {
  modelConfigFor,
  scheduleFor,
  type TrainRunOptions,
  type TrainRunResult,
  trainRun,
} from './train-run.js';
export { cliVersion, versions } from './versions.js';
