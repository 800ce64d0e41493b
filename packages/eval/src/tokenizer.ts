/**
 * What evaluation needs from a tokenizer: `encode(text, { addSpecialTokens: false })` giving
 * `{ ids }` (or a promise of it), and `decode(ids)` for generation tasks. @openeurollm/tokenizer's
 * `Tokenizer` fits as it is; other libraries fit through a small adapter (see
 * `hfTokenizersAdapter` in @openeurollm/tokenizer).
 */
import type { FairnessTokenizer } from '@openeurollm/tokenizer';

export type EvalTokenizer = FairnessTokenizer;

export interface GenerationTokenizer extends EvalTokenizer {
  decode(ids: number[]): string;
}

/** Token ids of `text`, special tokens not added; checks what the tokenizer returned. */
export async function encodeText(
  tokenizer: EvalTokenizer,
  text: string,
  fn: string,
): Promise<number[]> {
  if (
    tokenizer === null ||
    typeof tokenizer !== 'object' ||
    typeof tokenizer.encode !== 'function'
  ) {
    throw new TypeError(`${fn}: tokenizer must have encode(text, { addSpecialTokens }) -> { ids }`);
  }
  const enc = await tokenizer.encode(text, { addSpecialTokens: false });
  if (enc == null || enc.ids == null || typeof enc.ids.length !== 'number') {
    throw new TypeError(`${fn}: tokenizer.encode must return { ids }`);
  }
  return Array.from(enc.ids);
}
