/**
 * @openeurollm/data: streaming corpus pipeline with a provenance ledger, Megatron indexed
 * datasets, an embedded 24-language EU corpus and the EU AI Act training-content summary.
 * This is the browser-safe core (no Node imports); the Node entry adds the file readers,
 * packing and the indexed-dataset reader, and reads the embedded corpus from disk.
 */
export {
  type ChatTokenizer,
  type ChatTokens,
  type ChatTokensOptions,
  chatTokens,
  checkConversation,
} from './chat.js';
export {
  DataError,
  type Document,
  type DocumentInit,
  type DocumentSource,
  makeDocument,
  sourceName,
} from './document.js';
export {
  type AssetLoader,
  EU_CORPUS_FILE,
  type EuCorpusOptions,
  euCorpus,
  euCorpusDocuments,
  fetchAsset,
  gunzipText,
} from './eu-corpus.js';
export { hash64, hashUnit, sha256Hex, utf8Length } from './hash.js';
export {
  DTYPE_CODES,
  DTYPE_SIZES,
  decodeIndex,
  encodeIndex,
  type IndexData,
  MMIDIDX_MAGIC,
  MMIDIDX_VERSION,
  type TokenDtype,
  tokenDtypeFor,
} from './indexed-format.js';
export {
  type IdentifyOptions,
  type LabelledText,
  type LanguageGuess,
  LanguageIdentifier,
  type LanguageIdentifierOptions,
} from './language-id/language-identifier.js';
export {
  EU_LANGUAGES,
  type EuLanguage,
  isEuLanguage,
  LANGUAGE_INFO,
  type LanguageInfo,
} from './languages.js';
export {
  LEDGER_FORMAT,
  LEDGER_VERSION,
  Ledger,
  type LedgerAction,
  type LedgerCount,
  type LedgerEvent,
  type LedgerOptions,
  type LedgerRun,
  type LedgerSource,
  type LedgerStageInfo,
  type LedgerTotals,
} from './ledger.js';
export {
  Key64Map,
  MinHasher,
  MinHashIndex,
  type MinHashOptions,
  shingleHashes,
} from './minhash.js';
export {
  documentStage,
  filterDocuments,
  mapDocuments,
  type Outcome,
  Pipeline,
  type PipelineOptions,
  pipeline,
  rejectRecord,
  type Source,
  type SourceLike,
  type Stage,
  type StageContext,
} from './pipeline.js';
export { type DatasheetOptions, type DatasheetQuestion, datasheet } from './reports/datasheet.js';
export { TO_FILL } from './reports/report-data.js';
export {
  type TrainingContentSummaryJson,
  type TrainingContentSummaryOptions,
  trainingContentSummary,
  trainingContentSummaryJson,
} from './reports/training-content-summary.js';
export {
  type BalanceOptions,
  balanceLanguages,
  balanceRates,
  countLanguages,
  temperatureWeights,
} from './stages/balance.js';
export { type DecontaminateOptions, decontaminate, NgramIndex } from './stages/decontaminate.js';
export { dedupKeyText, exactDedup, nearDedup } from './stages/dedup.js';
export {
  defaultLanguageIdentifier,
  type IdentifyLanguageOptions,
  identifyLanguage,
  trainLanguageIdentifier,
} from './stages/identify-language.js';
export { type NormalizeOptions, normalize, normalizeText } from './stages/normalize.js';
export {
  isValidIban,
  type PiiKind,
  type RedactPiiOptions,
  redactPii,
  redactText,
} from './stages/pii.js';
export {
  C4_DEFAULTS,
  type C4Options,
  c4Filter,
  FINEWEB_DEFAULTS,
  type FineWebOptions,
  finewebQuality,
  GOPHER_DEFAULTS,
  GOPHER_REPETITION_DEFAULTS,
  type GopherQualityOptions,
  type GopherRepetitionOptions,
  gopherQuality,
  gopherRepetition,
  type QualityOptions,
  qualityFilter,
} from './stages/quality.js';
export {
  inShard,
  parseShard,
  type Shard,
  type SplitOptions,
  shardSource,
  splitByHash,
  splitOf,
} from './stages/split.js';
export { countStopWords, STOP_WORDS, stopWordSet } from './stages/stop-words.js';
