/**
 * Deduplication stages. Exact: a 64-bit hash of the normalized text (lowercased, every run
 * of non-letters and non-digits read as one space, trimmed); the first copy is kept.
 * Near: MinHash with LSH bands (see minhash.ts for shingles, hash count and bands); a document
 * sharing a band with an earlier kept one is removed.
 *
 * Both remember every kept document (8 bytes a key for exact, 8 bytes a band for near, in
 * typed-array hash tables), so their memory grows with the number of distinct documents, not
 * with their size; everything else in the pipeline is flat.
 */
import { hash64 } from '../hash.js';
import { Key64Map, MinHashIndex, type MinHashOptions } from '../minhash.js';
import { documentStage, type Stage } from '../pipeline.js';

const NON_WORD = /[^\p{L}\p{N}]+/gu;

/** The text exact dedup compares: lowercased, non-word runs as single spaces, trimmed. */
export function dedupKeyText(text: string): string {
  return text.toLowerCase().replace(NON_WORD, ' ').trim();
}

/** Exact dedup stage (ledger name 'dedup-exact', reason 'duplicate'). */
export function exactDedup(): Stage {
  return documentStage(
    'dedup-exact',
    { key: 'hash64 of lowercased text, non-word runs as one space' },
    () => {
      const seen = new Key64Map(1 << 14);
      return (doc, o) => {
        const [hi, lo] = hash64(dedupKeyText(doc.text));
        if (seen.has(hi, lo)) return o.remove('duplicate');
        seen.set(hi, lo);
        return doc;
      };
    },
  );
}

/**
 * Near-dedup stage (ledger name 'dedup-near', reason 'near-duplicate'); the removed document's
 * `meta.nearDuplicateOf` names the kept one it matched (in the ledger's document events).
 */
export function nearDedup(options: MinHashOptions = {}): Stage {
  const probe = new MinHashIndex(options).hasher;
  return documentStage(
    'dedup-near',
    {
      shingleSize: probe.shingleSize,
      hashes: probe.hashes,
      bands: probe.bands,
      rows: probe.rows,
      seed: options.seed ?? 1,
    },
    () => {
      const index = new MinHashIndex(options);
      const ids: string[] = [];
      return (doc, o) => {
        const sig = index.hasher.signature(doc.text);
        const m = index.match(sig);
        if (m >= 0) {
          const of = ids[m];
          if (of !== undefined) doc.meta.nearDuplicateOf = of;
          return o.remove('near-duplicate', of);
        }
        index.add(sig);
        // ids of kept documents are needed only to say which one matched: keep a bounded window
        if (ids.length < 1_000_000) ids.push(doc.id);
        return doc;
      };
    },
  );
}
