import type { JsonObject } from '../json.js';
import type { NormalizedString } from '../normalized-string.js';

/** Receives the tokens a model makes for one piece. */
export interface TokenSink {
  /** A token covering the normalized units [start, end) of `piece`. */
  push(id: number, value: string, start: number, end: number, piece: NormalizedString): void;
}

/** A model: turns a pre-tokenized piece into tokens of its vocabulary. */
export interface Model {
  /** The `type` tag in tokenizer.json. */
  readonly type: string;
  tokenize(piece: NormalizedString, sink: TokenSink): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Number of entries in the model's vocabulary. */
  readonly vocabSize: number;
  /** The vocabulary as token -> id. */
  getVocab(): Map<string, number>;
  /** The tokenizer.json form, with its `type` tag. */
  toJSON(): JsonObject;
}

/**
 * The vocabulary part shared by the models with a token -> id table (BPE, WordPiece,
 * WordLevel): the table, its reverse, and the lookups of `Model`.
 */
export abstract class VocabModel implements Model {
  abstract readonly type: string;
  protected readonly vocab: Map<string, number>;
  protected readonly vocabR: string[] = [];

  constructor(vocab: Map<string, number> | Record<string, number>) {
    this.vocab = vocab instanceof Map ? new Map(vocab) : new Map(Object.entries(vocab));
    for (const [token, id] of this.vocab) this.vocabR[id] = token;
  }

  abstract tokenize(piece: NormalizedString, sink: TokenSink): void;
  abstract toJSON(): JsonObject;

  get vocabSize(): number {
    return this.vocab.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocabR[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }
}

/** A Map with a size bound: cleared when full (cheap, and good enough for word caches). */
export class BoundedCache<V> {
  private map = new Map<string, V>();

  constructor(readonly capacity: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.capacity) this.map.clear();
    this.map.set(key, value);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
