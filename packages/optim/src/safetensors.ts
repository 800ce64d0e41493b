/**
 * Optimizer state as one safetensors file, through @openeurollm/nn's reader and writer (which
 * check the format in full): each state tensor as `F32` under its flat name, the meta as a JSON
 * string in `__metadata__`.
 */
import { entryToTensor, parseSafetensors, serializeSafetensors } from '@openeurollm/nn';
import type { Tensor } from '@openeurollm/tensor';
import {
  OPTIMIZER_STATE_FORMAT,
  type OptimizerMeta,
  type OptimizerStateDict,
} from './optimizer.js';

/** The `__metadata__` key that holds the optimizer's meta as a JSON string. */
export const META_KEY = 'oellm.optimizer';

/**
 * Encodes an optimizer state dict as one safetensors file: each state tensor as `F32` under its
 * flat name (sorted), and the meta as a JSON string under `__metadata__['oellm.optimizer']`
 * (beside `format: 'oellm-optim-state'`).
 */
export function optimizerStateToSafetensors(sd: OptimizerStateDict): Uint8Array {
  for (const [name, t] of Object.entries(sd.state)) {
    if (t.dtype !== 'float32') {
      throw new Error(
        `optimizerStateToSafetensors: state tensor '${name}' is ${t.dtype}, expected float32`,
      );
    }
  }
  return serializeSafetensors(sd.state, {
    metadata: { format: OPTIMIZER_STATE_FORMAT, [META_KEY]: JSON.stringify(sd.meta) },
  });
}

export interface ReadOptimizerStateOptions {
  /** Backend for the state tensors; default the active one (`loadStateDict` moves them anyway). */
  backend?: string;
}

/** Decodes a file written by `optimizerStateToSafetensors` into a state dict for `loadStateDict`. */
export function optimizerStateFromSafetensors(
  bytes: Uint8Array,
  options: ReadOptimizerStateOptions = {},
): OptimizerStateDict {
  const fail = (what: string): never => {
    throw new Error(
      `optimizerStateFromSafetensors: ${what}; expected a safetensors file written by optimizerStateToSafetensors (or saveOptimizerState) from optimizer.stateDict()`,
    );
  };
  if (bytes.length < 8) fail(`the data has ${bytes.length} bytes, too short for a header`);
  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(bytes);
  } catch (e) {
    return fail((e as Error).message);
  }
  const metaJson = file.metadata[META_KEY];
  if (typeof metaJson !== 'string') {
    fail(
      `no '${META_KEY}' entry in __metadata__ (found ${JSON.stringify(Object.keys(file.metadata))})`,
    );
  }
  let meta: OptimizerMeta;
  try {
    meta = JSON.parse(metaJson) as OptimizerMeta;
  } catch (e) {
    return fail(`__metadata__['${META_KEY}'] is not JSON (${(e as Error).message})`);
  }
  const state: Record<string, Tensor> = {};
  for (const [name, entry] of file.tensors) {
    if (entry.dtype !== 'F32') fail(`tensor '${name}' has dtype ${entry.dtype}, expected F32`);
    state[name] = entryToTensor(entry, { backend: options.backend });
  }
  return { state, meta };
}
