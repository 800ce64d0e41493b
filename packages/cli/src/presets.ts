/**
 * Built-in run configs. `quickstart` is sized to finish the whole path (data, tokenizer, model,
 * evaluation, card) in about two minutes on two CPU cores with the native backend; `tiny` is a
 * seconds-long version of it for tests and smoke checks.
 */
import type { RunConfigInput } from './config.js';

export const PRESETS: Record<'quickstart' | 'tiny', RunConfigInput> = {
  quickstart: {
    name: 'quickstart',
    seed: 0,
    data: { corpus: 'eu24', validation: 0.05 },
    tokenizer: { vocabSize: 3072 },
    // ~0.6M parameters: short contexts and a wide batch give the most tokens per second here
    model: {
      arch: 'llama',
      contextLength: 64,
      dModel: 96,
      nLayers: 2,
      nHeads: 4,
      tieEmbeddings: true,
    },
    training: {
      steps: 600,
      batchSize: 16,
      lr: 1e-2,
      warmupSteps: 30,
      minLrRatio: 0.1,
      evalEvery: 100,
      evalBatches: 4,
      checkpointEvery: 100,
    },
    eval: { maxBytesPerLanguage: 3000, sampleTokens: 32 },
  },
  tiny: {
    name: 'tiny',
    seed: 0,
    data: {
      corpus: 'eu24',
      languages: ['en', 'de', 'fr'],
      validation: 0.1,
      stages: { nearDedup: false },
    },
    tokenizer: { vocabSize: 512 },
    model: { arch: 'llama', contextLength: 32, dModel: 32, nLayers: 1, nHeads: 2 },
    training: {
      steps: 30,
      batchSize: 4,
      lr: 5e-3,
      warmupSteps: 3,
      evalEvery: 15,
      evalBatches: 2,
      checkpointEvery: 10,
    },
    eval: { maxBytesPerLanguage: 800, sampleTokens: 12 },
  },
};
