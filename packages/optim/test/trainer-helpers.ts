/** Shared pieces of the Trainer tests: the character-level corpus, a tiny model, fixed batches. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM, type ModelConfig } from '@openeurollm/nn';
import { manualSeed, tensor } from '@openeurollm/tensor';
import type { Batch, BatchSource } from '../src/trainer-data.js';

/** test/fixtures/tiny-corpus.txt as character ids, with its vocabulary (sorted characters). */
export function corpus(): { text: string; chars: string[]; ids: number[] } {
  const text = readFileSync(new URL('./fixtures/tiny-corpus.txt', import.meta.url), 'utf8');
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  return { text, chars, ids: Array.from(text, (c) => index.get(c) as number) };
}

/** Entropy in nats of the character frequencies: the loss of the best context-free model. */
export function unigramEntropy(ids: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / ids.length) * Math.log(c / ids.length);
  return h;
}

const made: string[] = [];

/** A fresh temporary folder, removed by `removeTempDirs()`. */
export function tempDir(prefix = 'oellm-trainer-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the folders made by `tempDir()` (call it in afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A GPT-2 small enough for option and error tests, initialised from `seed`. */
export function tinyModel(overrides: Partial<ModelConfig> = {}, seed = 0): CausalLM {
  manualSeed(seed);
  return new CausalLM({
    arch: 'gpt2',
    vocabSize: 16,
    contextLength: 8,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    ...overrides,
  });
}

/**
 * A BatchSource over a fixed list of batches, in order and round and round; its state is the
 * index of the next batch. Written here, not imported, to show the interface is structural.
 */
export class FixedBatches implements BatchSource {
  private index = 0;

  constructor(private readonly batches: Batch[]) {}

  next(): Batch {
    const b = this.batches[this.index % this.batches.length];
    this.index += 1;
    return b;
  }

  state(): unknown {
    return { index: this.index };
  }

  setState(state: unknown): void {
    this.index = (state as { index: number }).index;
  }
}

/** Rows [start, start + T] of `ids` as an int32 batch: input the first T, target shifted by one. */
export function windows(ids: readonly number[], starts: number[], T: number): Batch {
  const input = starts.map((s) => ids.slice(s, s + T));
  const target = starts.map((s) => ids.slice(s + 1, s + T + 1));
  return {
    input: tensor(input, { dtype: 'int32' }),
    target: tensor(target, { dtype: 'int32' }),
  };
}
