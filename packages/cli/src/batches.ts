/**
 * Training batches from a packed indexed dataset, in the shape the optim Trainer reads: a
 * resumable `BatchSource` over the data package's seeded loader, with next-token targets
 * (and -100 where a chat dataset's loss mask is 0). The stop flag lets Ctrl-C end training
 * cleanly between two optimizer steps.
 */
import type { IndexedDataset, LoaderState } from '@openeurollm/data';
import type { Batch, BatchSource } from '@openeurollm/optim';
import { type Tensor, tensor } from '@openeurollm/tensor';

/** Thrown by LoaderSource.next() at a step boundary once a stop was requested. */
export class StopRequested extends Error {
  constructor() {
    super('training stopped on request');
    this.name = 'StopRequested';
  }
}

/** A flag set by the SIGINT handler, read between optimizer steps. */
export interface StopFlag {
  requested: boolean;
}

export interface LoaderSourceOptions {
  batchSize: number;
  contextLength: number;
  seed: number;
  /** Micro-batches per optimizer step: a stop is honoured only before the first of a step. */
  gradAccumulation?: number;
  stop?: StopFlag;
}

const FORMAT = 'oellm-cli-loader-source';

/** Input / target tensors from a [B, T + 1] window batch (targets -100 where mask is 0). */
export function windowsToBatch(
  tokens: Int32Array,
  mask: Uint8Array | null,
  B: number,
  T: number,
): { input: Tensor; target: Tensor } {
  const input = new Int32Array(B * T);
  const target = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = b * (T + 1);
    for (let t = 0; t < T; t++) {
      input[b * T + t] = tokens[row + t];
      const keep = mask === null || mask[row + t + 1] === 1;
      target[b * T + t] = keep ? tokens[row + t + 1] : -100;
    }
  }
  return {
    input: tensor(input, { shape: [B, T], dtype: 'int32' }),
    target: tensor(target, { shape: [B, T], dtype: 'int32' }),
  };
}

export class LoaderSource implements BatchSource {
  private loader: ReturnType<IndexedDataset['loader']>;
  private calls = 0;

  constructor(
    private readonly dataset: IndexedDataset,
    private readonly options: LoaderSourceOptions,
  ) {
    this.loader = dataset.loader({
      batchSize: options.batchSize,
      contextLength: options.contextLength,
      seed: options.seed,
    });
  }

  next(): Batch {
    const k = this.options.gradAccumulation ?? 1;
    if (this.options.stop?.requested && this.calls % k === 0) throw new StopRequested();
    this.calls += 1;
    // a batch of a chat dataset may fall entirely on masked (non-assistant) tokens: its mean
    // loss would be 0/0, so such batches are skipped (deterministically: the loader's state moves on)
    for (let tries = 0; tries < 1000; tries++) {
      const b = this.loader.next();
      const [B, row] = b.shape;
      if (b.mask && !b.mask.some((v, i) => v === 1 && i % row !== 0)) continue;
      return windowsToBatch(b.tokens, b.mask, B, row - 1);
    }
    throw new Error(
      'LoaderSource: 1000 batches in a row had no trained (unmasked) token; is the loss mask empty?',
    );
  }

  state(): unknown {
    return { format: FORMAT, version: 1, loader: this.loader.state() };
  }

  setState(state: unknown): void {
    const s = state as { format?: string; loader?: LoaderState } | null;
    if (!s || s.format !== FORMAT || !s.loader) {
      throw new Error(
        `LoaderSource.setState: expected a state of format '${FORMAT}' (written by oellm train), got ${JSON.stringify(s && typeof s === 'object' ? s.format : s)}`,
      );
    }
    this.loader = this.dataset.loader({
      batchSize: this.options.batchSize,
      contextLength: this.options.contextLength,
      state: s.loader,
    });
    this.calls = 0;
  }
}

/**
 * The same `count` held-out batches every time (a fresh loader with a fixed seed), fewer when
 * the dataset is small; empty when it holds less than one window.
 */
export function fixedBatches(
  dataset: IndexedDataset,
  options: { batchSize: number; contextLength: number; count: number },
): () => Iterable<Batch> {
  const T = options.contextLength;
  const windows = Math.floor((dataset.numTokens - 1) / T);
  const B = Math.max(1, Math.min(options.batchSize, windows));
  const count = Math.min(options.count, Math.floor(windows / B));
  return function* () {
    if (count < 1) return;
    const loader = dataset.loader({ batchSize: B, contextLength: T, seed: 1234 });
    for (let i = 0; i < count; i++) {
      const b = loader.next();
      yield windowsToBatch(b.tokens, b.mask, B, T);
    }
  };
}
