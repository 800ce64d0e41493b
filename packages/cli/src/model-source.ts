/**
 * Finding a model and its tokenizer from what the user points at: a Hugging Face model folder
 * (config.json + model.safetensors + tokenizer.json), a training checkpoint
 * (runs/x/checkpoints/step-…), or a run folder (its model/, else its newest checkpoint).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type CausalLM, loadModel } from '@openeurollm/nn';
import { latestCheckpoint } from '@openeurollm/optim';
import { Tokenizer } from '@openeurollm/tokenizer';
import { UsageError } from './errors.js';
import { RUN_FILES } from './run-folder.js';

export interface ModelSource {
  /** The folder holding config.json and the weights. */
  modelDir: string;
  /** The folder (or file) holding tokenizer.json. */
  tokenizerPath: string;
  /** The run folder, when the model belongs to one. */
  runDir: string | null;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const hasModel = (p: string) => isDir(p) && existsSync(join(p, 'config.json'));

/** Resolves `path` to a model folder and a tokenizer, or throws a UsageError saying what is there. */
export function resolveModelSource(path: string, what = 'model'): ModelSource {
  if (!existsSync(path)) {
    throw new UsageError(
      `${what} '${path}' does not exist`,
      'give a model folder (config.json, model.safetensors, tokenizer.json), a run folder (runs/<name>) or a checkpoint folder',
    );
  }
  if (!isDir(path)) {
    throw new UsageError(`${what} '${path}' is a file; expected a model, run or checkpoint folder`);
  }
  // a run folder: its final model, else its newest checkpoint
  if (existsSync(join(path, RUN_FILES.config)) && !hasModel(path)) {
    const model = join(path, RUN_FILES.model);
    const modelDir = hasModel(model) ? model : latestCheckpoint(path);
    if (!modelDir) {
      throw new UsageError(
        `run folder '${path}' has no model yet (no model/ and no checkpoint)`,
        `train it: oellm train --resume ${path}`,
      );
    }
    return { modelDir, tokenizerPath: tokenizerBeside(modelDir, path), runDir: path };
  }
  if (!hasModel(path)) {
    throw new UsageError(
      `${what} '${path}' has no config.json: not a model folder, run folder or checkpoint`,
    );
  }
  // a checkpoint inside a run: runs/x/checkpoints/step-…
  const parent = dirname(path);
  const runDir =
    basename(parent) === RUN_FILES.checkpoints || basename(path) === RUN_FILES.model
      ? basename(parent) === RUN_FILES.checkpoints
        ? dirname(parent)
        : parent
      : null;
  const realRun = runDir && existsSync(join(runDir, RUN_FILES.config)) ? runDir : null;
  return { modelDir: path, tokenizerPath: tokenizerBeside(path, realRun), runDir: realRun };
}

function tokenizerBeside(modelDir: string, runDir: string | null): string {
  if (existsSync(join(modelDir, 'tokenizer.json'))) return modelDir;
  if (runDir && existsSync(join(runDir, RUN_FILES.tokenizer, 'tokenizer.json'))) {
    return join(runDir, RUN_FILES.tokenizer);
  }
  throw new UsageError(
    `no tokenizer.json in '${modelDir}'${runDir ? ` or '${join(runDir, RUN_FILES.tokenizer)}'` : ''}`,
  );
}

export interface LoadedModel extends ModelSource {
  model: CausalLM;
  tokenizer: Tokenizer;
}

/** Loads the model and tokenizer at `path` (see resolveModelSource). */
export function loadModelSource(path: string, what = 'model'): LoadedModel {
  const src = resolveModelSource(path, what);
  let model: CausalLM;
  try {
    model = loadModel(src.modelDir);
  } catch (e) {
    throw new UsageError(`cannot load the ${what} in '${src.modelDir}': ${(e as Error).message}`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromFile(src.tokenizerPath);
  } catch (e) {
    throw new UsageError(
      `cannot load the tokenizer in '${src.tokenizerPath}': ${(e as Error).message}`,
    );
  }
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new UsageError(
      `the tokenizer in '${src.tokenizerPath}' has ${tokenizer.vocabSize} tokens, more than the model's vocabulary (${model.config.vocabSize})`,
    );
  }
  return { ...src, model, tokenizer };
}
