/**
 * The Node.js entry of @openeurollm/data: the browser-safe core, plus file readers (text,
 * JSONL, gzip, Parquet, folders and globs), packing into Megatron indexed datasets, the
 * indexed-dataset reader and loader, ledger files, and the embedded corpus read from disk.
 */
export * from './index.js';
export {
  type Batch,
  IndexedDataset,
  Loader,
  type LoaderOptions,
  type LoaderState,
  type TokenArray,
} from './node/indexed-dataset.js';
export { LedgerFileSink, readLedger, writeLedger } from './node/ledger-file.js';
export {
  type ChatPackOptions,
  type ChatRecord,
  type ChatSource,
  PACK_FORMAT,
  PACK_VERSION,
  type PackedDataset,
  type PackOptions,
  type PackResult,
  type PackTokenizer,
  packChatDataset,
  packIndexedDataset,
  readChatJsonl,
} from './node/pack.js';
export {
  type JsonlOptions,
  type ParquetOptions,
  type ReaderOptions,
  readFiles,
  readJsonl,
  readParquet,
  readText,
  resolveInputs,
} from './node/readers.js';
export {
  defaultLanguageIdentifier,
  euCorpus,
  euCorpusDocuments,
  fileAsset,
  identifyLanguage,
  trainLanguageIdentifier,
} from './node-assets.js';
