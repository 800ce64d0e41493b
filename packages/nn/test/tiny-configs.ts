/** The tiny GPT-2 and Llama configs the LoRA tests share (Llama with grouped-query attention). */
import type { ModelConfig } from '../src/index.js';

export const GPT2: ModelConfig = {
  arch: 'gpt2',
  vocabSize: 64,
  contextLength: 16,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
};

export const LLAMA: ModelConfig = {
  arch: 'llama',
  vocabSize: 64,
  contextLength: 16,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 64,
};
