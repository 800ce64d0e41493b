/**
 * What a `Trainer` reads batches from: any object with `next()`, `state()` and `setState()`
 * (structural, so a data loader from another package fits without depending on this one), and
 * `TokenWindowSource`, seeded random windows of one token array. Browser-safe.
 */
import { Generator, type Tensor, tensor } from '@openeurollm/tensor';
import { checkKnownOptions, checkNumber } from './check.js';

/** One batch: token ids [B, T] and the next-token targets [B, T] (int32 tensors or arrays). */
export interface Batch {
  input: Tensor | number[][];
  target: Tensor | number[][];
}

/**
 * A resumable stream of batches. `state()` returns plain JSON that, given to `setState()` of a
 * source built the same way, makes it continue with exactly the batches that would have come.
 */
export interface BatchSource {
  next(): Batch;
  state(): unknown;
  setState(state: unknown): void;
}

/** True for anything with `next()`, `state()` and `setState()` methods. */
export function isBatchSource(x: unknown): x is BatchSource {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as BatchSource).next === 'function' &&
    typeof (x as BatchSource).state === 'function' &&
    typeof (x as BatchSource).setState === 'function'
  );
}

export interface TokenWindowSourceOptions {
  /** Rows per batch. */
  batchSize: number;
  /** Tokens per row of `input` (each window holds contextLength + 1 tokens). */
  contextLength: number;
  /** Seed of the window positions (default 0). */
  seed?: number;
}

/** The `format` tag of `TokenWindowSource.state()`. */
export const TOKEN_WINDOW_SOURCE_FORMAT = 'oellm-token-window-source';

/** What `TokenWindowSource.state()` returns: plain JSON. */
export interface TokenWindowSourceState {
  format: typeof TOKEN_WINDOW_SOURCE_FORMAT;
  version: 1;
  seed: number;
  batchSize: number;
  contextLength: number;
  /** Length of the token array, to catch a state restored onto other data. */
  numTokens: number;
  /** Batches given out so far. */
  batches: number;
  /** The generator's four state words. */
  rng: number[];
}

/**
 * Batches of random windows of a token array: each row starts at a uniformly drawn position
 * and holds contextLength + 1 tokens, `input` the first contextLength and `target` the same
 * shifted by one. Positions come from a private `Generator(seed)` (one `int()` draw per row),
 * so the stream depends only on the tokens and the options, and `state()` / `setState()`
 * restart it exactly.
 */
export class TokenWindowSource implements BatchSource {
  readonly batchSize: number;
  readonly contextLength: number;
  readonly seed: number;
  private readonly tokens: Int32Array;
  private readonly generator: Generator;
  private batches = 0;

  constructor(tokens: Int32Array | number[], options: TokenWindowSourceOptions) {
    const where = 'TokenWindowSource';
    if (!(tokens instanceof Int32Array) && !Array.isArray(tokens)) {
      throw new Error(`${where}: tokens must be an Int32Array or a number[], got ${typeof tokens}`);
    }
    if (typeof options !== 'object' || options === null) {
      throw new Error(`${where}: expected options { batchSize, contextLength, seed? }`);
    }
    checkKnownOptions(where, options, ['batchSize', 'contextLength', 'seed']);
    this.batchSize = checkNumber(where, 'batchSize', options.batchSize, { min: 1, integer: true });
    this.contextLength = checkNumber(where, 'contextLength', options.contextLength, {
      min: 1,
      integer: true,
    });
    this.seed = checkNumber(where, 'seed', options.seed ?? 0, { integer: true });
    if (tokens.length < this.contextLength + 1) {
      throw new Error(
        `${where}: a window needs contextLength + 1 = ${this.contextLength + 1} tokens, got ${tokens.length} tokens`,
      );
    }
    this.tokens = Int32Array.from(tokens, (v, i) => {
      if (!Number.isInteger(v) || v < 0) {
        throw new Error(`${where}: tokens[${i}] must be a non-negative integer id, got ${v}`);
      }
      return v;
    });
    this.generator = new Generator(this.seed);
  }

  /** The next batch: `input` and `target`, int32 tensors [batchSize, contextLength]. */
  next(): { input: Tensor; target: Tensor } {
    const B = this.batchSize;
    const T = this.contextLength;
    const input = new Int32Array(B * T);
    const target = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      // a start in [0, n - T - 1]: the window [start, start + T] fits
      const start = this.generator.int(0, this.tokens.length - T);
      input.set(this.tokens.subarray(start, start + T), b * T);
      target.set(this.tokens.subarray(start + 1, start + T + 1), b * T);
    }
    this.batches += 1;
    return {
      input: tensor(input, { shape: [B, T], dtype: 'int32' }),
      target: tensor(target, { shape: [B, T], dtype: 'int32' }),
    };
  }

  state(): TokenWindowSourceState {
    return {
      format: TOKEN_WINDOW_SOURCE_FORMAT,
      version: 1,
      seed: this.seed,
      batchSize: this.batchSize,
      contextLength: this.contextLength,
      numTokens: this.tokens.length,
      batches: this.batches,
      rng: this.generator.getState(),
    };
  }

  /** Continues from a `state()`; throws, changing nothing, when it belongs to another source. */
  setState(state: unknown): void {
    const where = 'TokenWindowSource.setState';
    const s = state as Partial<TokenWindowSourceState> | null;
    if (typeof s !== 'object' || s === null || s.format !== TOKEN_WINDOW_SOURCE_FORMAT) {
      throw new Error(
        `${where}: expected format '${TOKEN_WINDOW_SOURCE_FORMAT}' (from TokenWindowSource.state()), got ${JSON.stringify(s === null || typeof s !== 'object' ? s : s.format)}`,
      );
    }
    if (s.version !== 1) {
      throw new Error(`${where}: expected version 1, got ${JSON.stringify(s.version)}`);
    }
    for (const key of ['seed', 'batchSize', 'contextLength', 'numTokens'] as const) {
      const mine = key === 'numTokens' ? this.tokens.length : this[key];
      if (s[key] !== mine) {
        throw new Error(
          `${where}: the state is for ${key} ${JSON.stringify(s[key])}, this source has ${mine}; build the source with the same tokens and options`,
        );
      }
    }
    checkNumber(where, 'batches', s.batches, { min: 0, integer: true });
    this.generator.setState(s.rng ?? []);
    this.batches = s.batches as number;
  }
}
