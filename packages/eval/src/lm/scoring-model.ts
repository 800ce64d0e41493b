/**
 * What scoring needs from a model: a causal LM's forward pass and its sizes. `CausalLM` of
 * @openeurollm/nn fits as it is; any object with the same shape does (a toy model in a test, a
 * wrapper around another runtime).
 */
import type { Tensor } from '@openeurollm/tensor';

export interface ScoringModelConfig {
  vocabSize: number;
  /** The most positions the model takes at once. */
  contextLength: number;
  /** Beginning-of-sequence id, if the model has one. */
  bosTokenId?: number | null;
  /** End-of-sequence ids. */
  eosTokenId?: readonly number[] | number | null;
}

export interface ScoringModel {
  readonly config: ScoringModelConfig;
  /** int32 ids [B, T] -> logits [B, T, vocab]. */
  forward(ids: number[][]): Tensor;
  /** Switches dropout off while scoring (Module.train(false)); restored afterwards. */
  train?(mode: boolean): unknown;
  readonly training?: boolean;
}

/** The model's BOS id, else its first EOS id, else null (lm-evaluation-harness's prefix token). */
export function defaultPrefixToken(model: ScoringModel): number | null {
  const { bosTokenId, eosTokenId } = model.config;
  if (typeof bosTokenId === 'number') return bosTokenId;
  if (typeof eosTokenId === 'number') return eosTokenId;
  if (Array.isArray(eosTokenId) && eosTokenId.length > 0) return eosTokenId[0];
  return null;
}

export function checkModel(fn: string, model: ScoringModel): void {
  if (
    model === null ||
    typeof model !== 'object' ||
    typeof model.forward !== 'function' ||
    typeof model.config?.vocabSize !== 'number' ||
    typeof model.config?.contextLength !== 'number'
  ) {
    throw new TypeError(
      `${fn}: model must have forward(ids) and config { vocabSize, contextLength } (a CausalLM), received ${model === null ? 'null' : typeof model}`,
    );
  }
}
