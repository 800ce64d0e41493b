/**
 * The Node.js entry of @openeurollm/tokenizer: everything of the browser-safe core, with a
 * `Tokenizer` that also reads and writes files (`Tokenizer.fromFile`, `tokenizer.save`).
 */
export * from './index.js';
export { loadTokenizerConfig, Tokenizer } from './node-tokenizer.js';
