/**
 * The Node.js entry: everything in the core entry, plus saving and loading optimizer state
 * files.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { OptimizerStateDict } from './optimizer.js';
import {
  optimizerStateFromSafetensors,
  optimizerStateToSafetensors,
  type ReadOptimizerStateOptions,
} from './safetensors.js';

export * from './index.js';

/**
 * Writes `optimizer.stateDict()` to `path` as one safetensors file (through a temporary file
 * and a rename, so a crash never leaves half a file).
 */
export function saveOptimizerState(path: string, sd: OptimizerStateDict): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, optimizerStateToSafetensors(sd));
  renameSync(tmp, path);
}

/** Reads a file written by `saveOptimizerState`, for `optimizer.loadStateDict()`. */
export function loadOptimizerState(
  path: string,
  options: ReadOptimizerStateOptions = {},
): OptimizerStateDict {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`loadOptimizerState: cannot read '${path}': ${(e as Error).message}`);
  }
  try {
    return optimizerStateFromSafetensors(bytes, options);
  } catch (e) {
    throw new Error(`loadOptimizerState: '${path}': ${(e as Error).message}`);
  }
}
export {
  type EvalData,
  type EvalLogRecord,
  type LogRecord,
  Trainer,
  type TrainerOptions,
  type TrainLogRecord,
  type TrainSummary,
} from './trainer.js';
export {
  CHECKPOINT_FILES,
  type Checkpoint,
  checkpointName,
  latestCheckpoint,
  listCheckpoints,
  readCheckpoint,
  TRAINER_STATE_FORMAT,
  TRAINER_STATE_VERSION,
  type TrainerState,
} from './trainer-checkpoint.js';
