import type { Tensor } from '@openeurollm/tensor';
import { checkBoolean, checkKnownOptions, checkNumber } from './check.js';
import { type NamedParameters, readParamSource } from './params.js';

/**
 * Names of embedding tables: a dot-separated segment that is `wte`, `wpe`, `embed_tokens`,
 * `embed_positions`, or ends in `embedding` / `embeddings` (`tok_embeddings`,
 * `word_embeddings`, `position_embedding`...). Matches GPT-2 (`transformer.wte.weight`),
 * Llama (`model.embed_tokens.weight`) and BERT (`embeddings.word_embeddings.weight`) names.
 */
export const EMBEDDING_NAME = /(^|\.)(wte|wpe|embed_tokens|embed_positions|\w*embeddings?)(\.|$)/;

export interface ParamGroupsOptions {
  /** Weight decay of the decayed group. */
  weightDecay: number;
  /** Decay embedding tables too (nanoGPT does; Hugging Face's Trainer does). Default false. */
  decayEmbeddings?: boolean;
  /**
   * Decides which parameters get no decay, replacing the default rule (1-D tensors, and
   * embeddings unless `decayEmbeddings`).
   */
  noDecay?: (name: string, param: Tensor) => boolean;
}

/** One of the two groups `paramGroups` returns; named, so state dict keys are the names. */
export interface NamedParamGroup {
  params: [string, Tensor][];
  weightDecay: number;
}

/**
 * The default no-decay rule: parameters with fewer than 2 dimensions (biases, norm weights)
 * and, unless `decayEmbeddings`, embedding tables (see `EMBEDDING_NAME`).
 */
export function isNoDecay(name: string, param: Tensor, decayEmbeddings = false): boolean {
  return param.ndim < 2 || (!decayEmbeddings && EMBEDDING_NAME.test(name));
}

/**
 * Splits named parameters into a decayed group and a group with weightDecay 0, for an
 * optimizer's constructor: `new AdamW(paramGroups(model, { weightDecay: 0.1 }), { lr })`.
 * Parameters without `requiresGrad` are left out; a tensor listed twice under two names
 * (tied weights) is kept once, under its first name. Both groups are always returned (one may
 * be empty), so the group layout does not depend on the model.
 */
export function paramGroups(
  model: NamedParameters | Iterable<readonly [string, Tensor]>,
  options: ParamGroupsOptions,
): [NamedParamGroup, NamedParamGroup] {
  const where = 'paramGroups';
  if (typeof options !== 'object' || options === null) {
    throw new Error(`${where}: expected options { weightDecay, decayEmbeddings?, noDecay? }`);
  }
  checkKnownOptions(where, options, ['weightDecay', 'decayEmbeddings', 'noDecay']);
  const weightDecay = checkNumber(where, 'weightDecay', options.weightDecay, { min: 0 });
  const decayEmbeddings = checkBoolean(where, 'decayEmbeddings', options.decayEmbeddings ?? false);
  const { noDecay } = options;
  if (noDecay !== undefined && typeof noDecay !== 'function') {
    throw new Error(`${where}: noDecay must be a function (name, param) => boolean`);
  }
  const named = readParamSource(model, `${where}: model`);
  const decay: [string, Tensor][] = [];
  const noDecayList: [string, Tensor][] = [];
  const seen = new Set<Tensor>();
  named.forEach(({ name, tensor }, i) => {
    if (name === null) {
      throw new Error(
        `${where}: parameter ${i} has no name; pass a module or [name, tensor] pairs`,
      );
    }
    if (!tensor.requiresGrad || seen.has(tensor)) return;
    seen.add(tensor);
    const skip = noDecay ? noDecay(name, tensor) : isNoDecay(name, tensor, decayEmbeddings);
    (skip ? noDecayList : decay).push([name, tensor]);
  });
  return [
    { params: decay, weightDecay },
    { params: noDecayList, weightDecay: 0 },
  ];
}
