/**
 * Reading indexed datasets (Megatron MMIDIDX, ours or Megatron's) and a seeded, resumable
 * loader of training windows.
 *
 * The loader cuts the token stream of the whole .bin (documents back to back, each followed by
 * its end-of-document token) into windows of contextLength + 1 tokens starting every
 * contextLength tokens: window w is tokens [w * L, w * L + L + 1), so inputs are the first L
 * and targets the last L of a row, and every token is a target exactly once per epoch. Each
 * epoch visits all windows in an order shuffled by (seed, epoch); the loader's state
 * ({ seed, epoch, position }) restarts it exactly where it was.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { DTYPE_SIZES, decodeIndex, type IndexData, type TokenDtype } from '../indexed-format.js';

export type TokenArray = Uint8Array | Uint16Array | Int32Array;

export interface LoaderOptions {
  batchSize: number;
  contextLength: number;
  /** Seed of the window order. Default 0. */
  seed?: number;
  /** Resume from a state returned by `loader.state()`. */
  state?: LoaderState;
}

export interface LoaderState {
  seed: number;
  epoch: number;
  /** Windows of this epoch already given out. */
  position: number;
  batchSize: number;
  contextLength: number;
}

export interface Batch {
  /** Row-major [batchSize, contextLength + 1]. */
  tokens: Int32Array;
  /** Loss mask of the same shape when the dataset has one (1 = trained), else null. */
  mask: Uint8Array | null;
  shape: [number, number];
  epoch: number;
  /** Batches given out before this one (over all epochs). */
  step: number;
}

function arrayFor(dtype: TokenDtype, buf: Uint8Array): TokenArray {
  // copy to an aligned buffer
  const copy = new Uint8Array(buf);
  switch (dtype) {
    case 'uint8':
      return copy;
    case 'uint16':
      return new Uint16Array(copy.buffer);
    case 'int32':
      return new Int32Array(copy.buffer);
    default:
      throw new Error(
        `IndexedDataset: token dtype ${dtype} is not supported by this reader (uint8, uint16, int32)`,
      );
  }
}

/** A 32-bit PRNG (mulberry32) for the window order. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class IndexedDataset {
  readonly prefix: string;
  readonly dtype: TokenDtype;
  /** Tokens per sequence (document). */
  readonly lengths: Int32Array;
  readonly pointers: Float64Array;
  readonly documentIndices: Float64Array;
  /** Total tokens. */
  readonly numTokens: number;
  /** `<prefix>.json` when present (format, tokenizer, counts). */
  readonly meta: Record<string, unknown> | null;
  /** The loss-mask twin (`<prefix>.mask`), when present. */
  readonly mask: IndexedDataset | null;
  private fd: number;
  private readonly item: number;

  private constructor(
    prefix: string,
    idx: IndexData,
    fd: number,
    meta: Record<string, unknown> | null,
    mask: IndexedDataset | null,
  ) {
    this.prefix = prefix;
    this.dtype = idx.dtype;
    this.lengths = idx.lengths;
    this.pointers = idx.pointers;
    this.documentIndices = idx.documentIndices;
    this.fd = fd;
    this.meta = meta;
    this.mask = mask;
    this.item = DTYPE_SIZES[idx.dtype];
    let n = 0;
    for (const l of idx.lengths) n += l;
    this.numTokens = n;
  }

  /** Opens `<prefix>.idx` and `<prefix>.bin` (and `<prefix>.mask.*`, `<prefix>.json` if there). */
  static open(prefix: string): IndexedDataset {
    const idxPath = `${prefix}.idx`;
    const binPath = `${prefix}.bin`;
    if (!existsSync(idxPath) || !existsSync(binPath)) {
      throw new Error(
        `IndexedDataset.open: ${!existsSync(idxPath) ? idxPath : binPath} not found (expected <prefix>.idx and <prefix>.bin, written by packIndexedDataset)`,
      );
    }
    const idx = decodeIndex(readFileSync(idxPath), idxPath);
    const item = DTYPE_SIZES[idx.dtype];
    let expected = 0;
    for (let i = 0; i < idx.lengths.length; i++) {
      if (idx.pointers[i] !== expected) {
        throw new Error(
          `IndexedDataset.open: ${idxPath}: sequence ${i} starts at byte ${idx.pointers[i]}, expected ${expected} (sequences must be contiguous)`,
        );
      }
      expected += idx.lengths[i] * item;
    }
    const fd = openSync(binPath, 'r');
    const size = fstatSync(fd).size;
    if (size !== expected) {
      closeSync(fd);
      throw new Error(
        `IndexedDataset.open: ${binPath} has ${size} bytes, its index describes ${expected}; the pair is from different runs or truncated`,
      );
    }
    let meta: Record<string, unknown> | null = null;
    if (existsSync(`${prefix}.json`)) meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8'));
    const mask = existsSync(`${prefix}.mask.idx`) ? IndexedDataset.open(`${prefix}.mask`) : null;
    if (
      mask &&
      (mask.lengths.length !== idx.lengths.length || mask.numTokens !== expected / item)
    ) {
      throw new Error(
        `IndexedDataset.open: ${prefix}.mask does not match ${prefix} (different lengths)`,
      );
    }
    return new IndexedDataset(prefix, idx, fd, meta, mask);
  }

  /** Number of sequences (documents). */
  get length(): number {
    return this.lengths.length;
  }

  /** Tokens [start, start + count) of the whole stream. */
  tokens(start: number, count: number): TokenArray {
    if (start < 0 || count < 0 || start + count > this.numTokens) {
      throw new Error(
        `IndexedDataset.tokens: range [${start}, ${start + count}) is outside [0, ${this.numTokens})`,
      );
    }
    if (this.fd < 0) throw new Error('IndexedDataset: closed');
    const buf = Buffer.alloc(count * this.item);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, start * this.item + got);
      if (n === 0) throw new Error(`IndexedDataset: ${this.prefix}.bin ended early`);
      got += n;
    }
    return arrayFor(this.dtype, buf);
  }

  /** The tokens of sequence i. */
  get(i: number): TokenArray {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new Error(`IndexedDataset.get: index ${i} is outside [0, ${this.length})`);
    }
    return this.tokens(this.pointers[i] / this.item, this.lengths[i]);
  }

  /** A seeded, resumable loader of [batchSize, contextLength + 1] windows. */
  loader(options: LoaderOptions): Loader {
    return new Loader(this, options);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.mask?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export class Loader implements Iterable<Batch> {
  readonly dataset: IndexedDataset;
  readonly batchSize: number;
  readonly contextLength: number;
  readonly seed: number;
  /** Windows per epoch. */
  readonly windows: number;
  private epoch: number;
  private position: number;
  private step: number;
  private order: Uint32Array;

  constructor(dataset: IndexedDataset, options: LoaderOptions) {
    const s = options.state;
    this.batchSize = s?.batchSize ?? options.batchSize;
    this.contextLength = s?.contextLength ?? options.contextLength;
    if (s && (s.batchSize !== options.batchSize || s.contextLength !== options.contextLength)) {
      throw new Error(
        `IndexedDataset.loader: the state is for batchSize ${s.batchSize}, contextLength ${s.contextLength}; got ${options.batchSize}, ${options.contextLength}`,
      );
    }
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error(
        `IndexedDataset.loader: batchSize must be a positive integer, got ${this.batchSize}`,
      );
    }
    if (!Number.isInteger(this.contextLength) || this.contextLength < 1) {
      throw new Error(
        `IndexedDataset.loader: contextLength must be a positive integer, got ${this.contextLength}`,
      );
    }
    this.dataset = dataset;
    this.seed = s?.seed ?? options.seed ?? 0;
    this.windows = Math.floor((dataset.numTokens - 1) / this.contextLength);
    if (this.windows < this.batchSize) {
      throw new Error(
        `IndexedDataset.loader: ${dataset.numTokens} tokens make ${this.windows} windows of ${this.contextLength + 1}, fewer than one batch of ${this.batchSize}`,
      );
    }
    this.epoch = s?.epoch ?? 0;
    this.position = s?.position ?? 0;
    const perEpoch = Math.floor(this.windows / this.batchSize);
    this.step = this.epoch * perEpoch + Math.floor(this.position / this.batchSize);
    this.order = this.shuffle(this.epoch);
  }

  private shuffle(epoch: number): Uint32Array {
    const order = new Uint32Array(this.windows);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const r = rng(Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35));
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Where the loader is; pass it as `state` to continue from here. */
  state(): LoaderState {
    return {
      seed: this.seed,
      epoch: this.epoch,
      position: this.position,
      batchSize: this.batchSize,
      contextLength: this.contextLength,
    };
  }

  /** The next batch (a new epoch starts, reshuffled, when the windows left are fewer than a batch). */
  next(): Batch {
    if (this.position + this.batchSize > this.windows) {
      this.epoch++;
      this.position = 0;
      this.order = this.shuffle(this.epoch);
    }
    const L = this.contextLength;
    const row = L + 1;
    const tokens = new Int32Array(this.batchSize * row);
    const mask = this.dataset.mask ? new Uint8Array(this.batchSize * row) : null;
    for (let b = 0; b < this.batchSize; b++) {
      const w = this.order[this.position + b];
      tokens.set(this.dataset.tokens(w * L, row), b * row);
      if (mask && this.dataset.mask) mask.set(this.dataset.mask.tokens(w * L, row), b * row);
    }
    const batch: Batch = {
      tokens,
      mask,
      shape: [this.batchSize, row],
      epoch: this.epoch,
      step: this.step,
    };
    this.position += this.batchSize;
    this.step++;
    return batch;
  }

  *[Symbol.iterator](): Iterator<Batch> {
    while (true) yield this.next();
  }
}
