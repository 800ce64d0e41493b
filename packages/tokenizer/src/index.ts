/**
 * @openeurollm/tokenizer: Hugging Face-compatible tokenizers (tokenizer.json) in TypeScript.
 * This is the browser-safe core; in Node the package entry adds file I/O (`Tokenizer.fromFile`,
 * `tokenizer.save`).
 */
export { AddedToken, type AddedTokenInit } from './added-vocabulary.js';
export {
  type ChatMessage,
  type ChatTemplateOptions,
  renderChatTemplate,
  type TokenizerConfig,
} from './chat-template.js';
export * from './decoders/index.js';
export type { Encoding } from './encoding.js';
export {
  bytesPerToken,
  countWords,
  type EncodedIds,
  type FairnessReport,
  type FairnessRow,
  type FairnessTexts,
  type FairnessTokenizer,
  fairnessReport,
  fertility,
  hfTokenizersAdapter,
  type ParityOptions,
  parity,
  type TextStats,
  type TextsByLang,
  textStats,
  utf8Bytes,
} from './fairness.js';
export { type JsonObject, JsonPath, TokenizerJsonError } from './json.js';
export * from './models/index.js';
export { NormalizedString } from './normalized-string.js';
export * from './normalizers/index.js';
export { SPLIT_BEHAVIORS, type SplitBehavior } from './pattern.js';
export * from './post-processors/index.js';
export * from './pre-tokenizers/index.js';
export { RegexTranslationError, translateRegex } from './regex.js';
export {
  type DecodeOptions,
  type EncodeOptions,
  type FromJSONOptions,
  Tokenizer,
  type TokenizerParts,
} from './tokenizer.js';
export {
  bpeFromWordCounts,
  type TrainBpeOptions,
  type TrainBpeProgress,
  type TrainedTokenizerJson,
  type TrainingText,
  trainBpe,
} from './trainers/bpe-trainer.js';
export { balancedLanguageWeights } from './trainers/language-weights.js';
export { type BpePreTokenizer, SPLIT_PATTERNS, type SplitPattern } from './trainers/pretokenize.js';
export { trainBpeTokenizer } from './trainers/train-bpe-tokenizer.js';
export { BYTE_TO_CHAR } from './unicode.js';
