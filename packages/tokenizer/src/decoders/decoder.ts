import type { JsonObject } from '../json.js';

/** A decoder: turns token strings back into text, in steps that a Sequence chains. */
export interface Decoder {
  /** The `type` tag in tokenizer.json. */
  readonly type: string;
  /** One step: token strings in, token strings out. */
  decodeChain(tokens: string[]): string[];
  /** The tokenizer.json form, with its `type` tag. */
  toJSON(): JsonObject;
}

/** Runs a decoder to the end: its chain, joined. */
export function decodeTokens(decoder: Decoder, tokens: string[]): string {
  return decoder.decodeChain(tokens).join('');
}
