/**
 * A character bigram "language model" whose probabilities are written down, so that every
 * log-likelihood a task computes can be checked by hand. Tokens: ' ' 0, 'a' 1, 'b' 2, 'x' 3,
 * 'é' 4; 'x' doubles as BOS (the prefix of an empty context). A newline reads as a space.
 */
import { tensor } from '@openeurollm/tensor';
import type { ScoringModel } from '../src/index.js';

export const CHARS = [' ', 'a', 'b', 'x', 'é'];

/** P[prev][next]. */
export const P = [
  /* ' ' */ [1 / 16, 1 / 2, 1 / 8, 1 / 16, 1 / 4],
  /* 'a' */ [1 / 4, 1 / 4, 1 / 8, 1 / 4, 1 / 8],
  /* 'b' */ [1 / 8, 1 / 16, 5 / 8, 1 / 16, 1 / 8],
  /* 'x' */ [1 / 2, 1 / 8, 1 / 8, 1 / 8, 1 / 8],
  /* 'é' */ [1 / 5, 1 / 5, 1 / 5, 1 / 5, 1 / 5],
];

export const charTokenizer = {
  encode: (text: string) => ({
    ids: Array.from(text, (c) => {
      const id = CHARS.indexOf(c === '\n' ? ' ' : c);
      if (id < 0) throw new Error(`toy tokenizer: no token for '${c}'`);
      return id;
    }),
  }),
  decode: (ids: number[]) => ids.map((i) => CHARS[i]).join(''),
};

export class BigramModel implements ScoringModel {
  readonly config: {
    vocabSize: number;
    contextLength: number;
    bosTokenId: number;
    eosTokenId: number[];
  };
  constructor(contextLength = 64) {
    this.config = { vocabSize: 5, contextLength, bosTokenId: 3, eosTokenId: [] };
  }
  /** Every batch the model was run on (to check batching and padding). */
  readonly batches: number[][][] = [];

  forward(ids: number[][]) {
    this.batches.push(ids);
    const B = ids.length;
    const T = ids[0].length;
    const out = new Float32Array(B * T * 5);
    for (const [b, row] of ids.entries()) {
      for (const [t, prev] of row.entries()) {
        for (let v = 0; v < 5; v++) out[(b * T + t) * 5 + v] = Math.log(P[prev][v]);
      }
    }
    return tensor(out, { shape: [B, T, 5] });
  }
}

/** The bigram model with greedy generation (ties go to the lower id, as argmax). */
export class GreedyBigramModel extends BigramModel {
  readonly prompts: number[][] = [];

  generate(prompt: number[], options: { maxNewTokens?: number }): number[][] {
    this.prompts.push(prompt);
    const out = [...prompt];
    for (let i = 0; i < (options.maxNewTokens ?? 32); i++) {
      const row = P[out[out.length - 1]];
      out.push(row.indexOf(Math.max(...row)));
    }
    return [out];
  }
}
