import { Tokenizer } from '../tokenizer.js';
import { type TrainBpeOptions, type TrainingText, trainBpe } from './bpe-trainer.js';

/**
 * Trains a byte-level BPE tokenizer (see `trainBpe`) and loads it: the same as
 * `Tokenizer.fromJSON(await trainBpe(texts, options))`.
 */
export async function trainBpeTokenizer(
  texts: Iterable<TrainingText> | AsyncIterable<TrainingText>,
  options: TrainBpeOptions,
): Promise<Tokenizer> {
  return Tokenizer.fromJSON(await trainBpe(texts, options));
}
