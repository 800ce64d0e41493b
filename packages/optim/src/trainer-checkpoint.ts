/**
 * Training checkpoints on disk (Node only): the folder layout, finding the newest complete one,
 * and reading one back with errors that say what is missing and what writes it.
 *
 * ```text
 * <outDir>/metrics.jsonl
 * <outDir>/checkpoints/step-00000100/
 *   config.json, generation_config.json, model.safetensors   (a Hugging Face model folder)
 *   optimizer.safetensors                                     (optimizer.stateDict())
 *   trainer_state.json                                        (everything else, JSON)
 * ```
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readTensors } from '@openeurollm/nn/node';
import type { Tensor } from '@openeurollm/tensor';
import type { LRSchedulerState } from './lr-scheduler.js';
import type { OptimizerStateDict } from './optimizer.js';
import { optimizerStateFromSafetensors } from './safetensors.js';

/** The `format` tag of trainer_state.json. */
export const TRAINER_STATE_FORMAT = 'oellm-trainer-state';
/** The version of trainer_state.json written by this package. */
export const TRAINER_STATE_VERSION = 1;

/** The files every checkpoint folder holds (trainer_state.json is written last). */
export const CHECKPOINT_FILES = [
  'config.json',
  'generation_config.json',
  'model.safetensors',
  'optimizer.safetensors',
  'trainer_state.json',
] as const;

/** What trainer_state.json holds: everything of a run that is not a tensor. */
export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  formatVersion: typeof TRAINER_STATE_VERSION;
  /** Optimizer steps done. */
  step: number;
  seed: number;
  /** Generator states: the default generator, and any module's own (Dropout with a generator). */
  rng: { global: number[]; modules: Record<string, number[]> };
  /** `data.state()`. */
  data: unknown;
  /** `evalData.state()` when evalData is a BatchSource, else null. */
  evalData: unknown;
  scheduler: LRSchedulerState;
  /** Input tokens trained on so far (all micro-batches). */
  tokensSeen: number;
  /** Wall-clock seconds of training so far, over all sessions. */
  elapsedS: number;
  bestEvalLoss: number | null;
  lastEvalLoss: number | null;
  /** The options that shape the run (provenance; resuming may change them). */
  config: Record<string, unknown>;
  /** Where it was written: backend (with its thread count), Node version, time. */
  provenance: { backend: Record<string, unknown>; node: string; writtenAt: string };
}

/** The folder name of the checkpoint after `step` optimizer steps: `step-00000100`. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

const NAME = /^step-(\d{8,})$/;

/**
 * The complete checkpoints of a run, oldest first: folders `<outDir>/checkpoints/step-NNNNNNNN`
 * that hold every checkpoint file. Temporary folders of an unfinished write (hidden names such
 * as `.step-00000100.tmp-…`) never count.
 */
export function listCheckpoints(outDir: string): { step: number; dir: string }[] {
  const root = join(outDir, 'checkpoints');
  if (!existsSync(root)) return [];
  const out: { step: number; dir: string }[] = [];
  for (const name of readdirSync(root)) {
    const m = NAME.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    if (CHECKPOINT_FILES.some((f) => !existsSync(join(dir, f)))) continue;
    out.push({ step: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint folder of the run in `outDir`, or null when it has none. */
export function latestCheckpoint(outDir: string): string | null {
  const all = listCheckpoints(outDir);
  return all.length === 0 ? null : all[all.length - 1].dir;
}

/** A checkpoint read into memory by `readCheckpoint`. */
export interface Checkpoint {
  dir: string;
  /** config.json (Hugging Face names). */
  config: Record<string, unknown>;
  /** model.safetensors, by tensor name. */
  weights: Record<string, Tensor>;
  optimizer: OptimizerStateDict;
  state: TrainerState;
}

const REMAKE =
  'a checkpoint folder is written by Trainer.train() under <outDir>/checkpoints/step-NNNNNNNN every checkpointEvery steps and at the end; find the newest with latestCheckpoint(outDir), or start a new run with new Trainer(options).train()';

/**
 * Reads and checks every file of a checkpoint folder. Throws naming the missing or broken files,
 * what was expected, and what writes a checkpoint.
 */
export function readCheckpoint(dir: string, where = 'readCheckpoint'): Checkpoint {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`${where}: '${dir}' is not a folder; ${REMAKE}`);
  }
  const name = basename(dir);
  if (name.startsWith('.') && name.includes('.tmp-')) {
    throw new Error(
      `${where}: '${dir}' is the temporary folder of an unfinished checkpoint write (it was never renamed into place), not a checkpoint; ${REMAKE}`,
    );
  }
  const present = readdirSync(dir);
  const missing = CHECKPOINT_FILES.filter((f) => !present.includes(f));
  if (missing.length > 0) {
    throw new Error(
      `${where}: '${dir}' is not a training checkpoint: missing ${missing.join(', ')} (found ${present.length === 0 ? 'nothing' : present.join(', ')}); ${REMAKE}`,
    );
  }
  const state = readJsonObject(join(dir, 'trainer_state.json'), where) as unknown as TrainerState;
  if (state.format !== TRAINER_STATE_FORMAT || state.formatVersion !== TRAINER_STATE_VERSION) {
    throw new Error(
      `${where}: '${join(dir, 'trainer_state.json')}' has format ${JSON.stringify(state.format)} version ${JSON.stringify(state.formatVersion)}, expected '${TRAINER_STATE_FORMAT}' version ${TRAINER_STATE_VERSION}; ${REMAKE}`,
    );
  }
  for (const key of ['step', 'tokensSeen', 'elapsedS'] as const) {
    if (typeof state[key] !== 'number' || !Number.isFinite(state[key]) || state[key] < 0) {
      throw new Error(
        `${where}: '${join(dir, 'trainer_state.json')}': ${key} must be a number >= 0, got ${JSON.stringify(state[key])}`,
      );
    }
  }
  if (!state.rng || !Array.isArray(state.rng.global)) {
    throw new Error(
      `${where}: '${join(dir, 'trainer_state.json')}': rng.global (the default generator's state) is missing`,
    );
  }
  const config = readJsonObject(join(dir, 'config.json'), where);
  let weights: Record<string, Tensor>;
  try {
    weights = readTensors(join(dir, 'model.safetensors'));
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  }
  const optimizerPath = join(dir, 'optimizer.safetensors');
  let optimizer: OptimizerStateDict;
  try {
    optimizer = optimizerStateFromSafetensors(readFileSync(optimizerPath));
  } catch (e) {
    throw new Error(`${where}: '${optimizerPath}': ${(e as Error).message}`, { cause: e });
  }
  return { dir, config, weights, optimizer, state };
}

function readJsonObject(path: string, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${where}: '${path}' is not readable JSON: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: '${path}' must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}
