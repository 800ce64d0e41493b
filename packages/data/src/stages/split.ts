/**
 * Deterministic train/validation split by document hash, and `--shard i/N` for job arrays.
 */
import type { Document } from '../document.js';
import { hash64, hashUnit } from '../hash.js';
import {
  documentStage,
  type Source,
  type SourceLike,
  type Stage,
  type StageContext,
} from '../pipeline.js';
import { dedupKeyText } from './dedup.js';

export interface SplitOptions {
  /** Share of documents for validation, in [0, 1). Default 0.01. */
  validation?: number;
  /** Seed of the hash. Default 0. */
  seed?: number;
}

/**
 * Which split a text falls in: a hash of its dedup-normalized text (so copies of a text, and
 * texts that differ only in case or punctuation, land on the same side) against the share.
 */
export function splitOf(text: string, options: SplitOptions = {}): 'train' | 'validation' {
  return hashUnit(dedupKeyText(text), options.seed ?? 0) < (options.validation ?? 0.01)
    ? 'validation'
    : 'train';
}

/** The split stage (ledger name 'split'): sets `meta.split` to 'train' or 'validation'. */
export function splitByHash(options: SplitOptions = {}): Stage {
  const validation = options.validation ?? 0.01;
  if (!(validation >= 0 && validation < 1)) {
    throw new Error(`splitByHash: options.validation must be in [0, 1), got ${validation}`);
  }
  const seed = options.seed ?? 0;
  return documentStage('split', { validation, seed }, () => (doc) => {
    doc.meta.split = splitOf(doc.text, { validation, seed });
    return doc;
  });
}

/** A shard: 0-based index and count, e.g. parsed from '3/8'. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parses `i/N` (0 <= i < N), as the `--shard` flag gives it. Also accepts a Shard object.
 */
export function parseShard(spec: string | Shard): Shard {
  if (typeof spec === 'object' && spec !== null)
    return checkShard(spec.index, spec.count, JSON.stringify(spec));
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(String(spec));
  if (!m) {
    throw new Error(`parseShard: expected 'i/N' with 0 <= i < N (e.g. '3/8'), got '${spec}'`);
  }
  return checkShard(Number(m[1]), Number(m[2]), String(spec));
}

function checkShard(index: number, count: number, spec: string): Shard {
  if (
    !Number.isInteger(count) ||
    count < 1 ||
    !Number.isInteger(index) ||
    index < 0 ||
    index >= count
  ) {
    throw new Error(`parseShard: expected 'i/N' with 0 <= i < N (e.g. '3/8'), got '${spec}'`);
  }
  return { index, count };
}

/** True when the document with this id belongs to the shard (a hash of the id modulo N). */
export function inShard(id: string, shard: Shard): boolean {
  if (shard.count === 1) return true;
  return hash64(id, 0x5eed)[0] % shard.count === shard.index;
}

/**
 * The documents of one shard of a source, chosen by a hash of the document id. The other
 * shards' documents are skipped before the ledger counts anything, so the ledgers of the N
 * shards add up to the whole (`Ledger.merge`).
 */
export function shardSource(source: SourceLike, spec: string | Shard): Source {
  const shard = parseShard(spec);
  const name = 'name' in source && typeof source.name === 'string' ? source.name : 'documents';
  return {
    name: `${name}[shard ${shard.index}/${shard.count}]`,
    options: {
      ...('options' in source ? (source as Source).options : {}),
      shard: `${shard.index}/${shard.count}`,
    },
    async *read(ctx: StageContext): AsyncIterable<Document> {
      const inner =
        typeof (source as Source).read === 'function'
          ? (source as Source).read(ctx)
          : (source as Iterable<Document> | AsyncIterable<Document>);
      for await (const doc of inner) if (inShard(doc.id, shard)) yield doc;
    },
  };
}
