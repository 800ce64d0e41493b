/**
 * Temperature-based language balancing: the target share of language l is
 * p_l = n_l^alpha / sum_k n_k^alpha, where n_l is its size (documents, bytes or tokens, as
 * given). alpha = 1 keeps the natural mix, alpha = 0 makes all languages equal; XLM-R used
 * alpha = 0.3 (Conneau et al. 2020) and mT5 0.3 (Xue et al. 2021).
 *
 * Streaming: with the sizes known up front (from a first pass, `countLanguages`, or a ledger),
 * each document of language l is emitted r_l = p_l * total / n_l times on average: kept with
 * probability r_l when r_l < 1, repeated floor(r_l) or floor(r_l) + 1 times when above, decided
 * by a hash of the document id and the seed, so a rerun makes the same choices.
 */
import type { Document } from '../document.js';
import { hashUnit, utf8Length } from '../hash.js';
import { documentStage, type Stage } from '../pipeline.js';

/** The target shares p_l proportional to n_l^alpha. */
export function temperatureWeights(
  sizes: Readonly<Record<string, number>>,
  alpha: number,
): Record<string, number> {
  if (!(alpha >= 0)) throw new Error(`temperatureWeights: alpha must be >= 0, got ${alpha}`);
  const entries = Object.entries(sizes).filter(([, n]) => n > 0);
  if (entries.length === 0) throw new Error('temperatureWeights: no language has a size above 0');
  const powered = entries.map(([l, n]) => [l, n ** alpha] as const);
  const z = powered.reduce((s, [, v]) => s + v, 0);
  return Object.fromEntries(powered.map(([l, v]) => [l, v / z]));
}

export interface BalanceOptions {
  /** Size of each language in the input (documents, bytes or tokens; see `unit`). */
  sizes: Readonly<Record<string, number>>;
  /** What `sizes` counts: 'documents' or 'bytes' (UTF-8). Default 'bytes'. */
  unit?: 'documents' | 'bytes';
  /** Temperature exponent. Default 0.3. */
  alpha?: number;
  /** Size of the output in `unit`s. Default the size of the input. */
  total?: number;
  /** At most this many copies of a document. Default 10. */
  maxRepeat?: number;
  /** Seed of the sampling. Default 0. */
  seed?: number;
}

/** Rates r_l: how many times, on average, a document of each language is emitted. */
export function balanceRates(options: BalanceOptions): Record<string, number> {
  const alpha = options.alpha ?? 0.3;
  const p = temperatureWeights(options.sizes, alpha);
  const input = Object.values(options.sizes).reduce((s, n) => s + Math.max(0, n), 0);
  const total = options.total ?? input;
  const maxRepeat = options.maxRepeat ?? 10;
  return Object.fromEntries(
    Object.entries(p).map(([l, share]) => [
      l,
      Math.min(maxRepeat, (share * total) / options.sizes[l]),
    ]),
  );
}

/**
 * The balancing stage (ledger name 'balance'): removed 'downsampled', added 'upsampled'
 * (copies get the id `<id>#r<k>` and `meta.repeat = k`). Documents of a language missing from
 * `sizes` pass unchanged.
 */
export function balanceLanguages(options: BalanceOptions): Stage {
  const rates = balanceRates(options);
  const seed = options.seed ?? 0;
  return documentStage(
    'balance',
    {
      alpha: options.alpha ?? 0.3,
      unit: options.unit ?? 'bytes',
      sizes: options.sizes,
      total: options.total ?? null,
      maxRepeat: options.maxRepeat ?? 10,
      seed,
      rates,
    },
    () => (doc, o) => {
      const r = rates[doc.lang];
      if (r === undefined) return doc;
      const u = hashUnit(doc.id, seed);
      const copies = Math.floor(r) + (u < r - Math.floor(r) ? 1 : 0);
      if (copies === 0) return o.remove('downsampled');
      const out: Document[] = [doc];
      for (let k = 1; k < copies; k++) {
        out.push({
          ...doc,
          id: `${doc.id}#r${k}`,
          source: { ...doc.source },
          meta: { ...doc.meta, repeat: k },
        });
      }
      return out;
    },
    'upsampled',
  );
}

/** Sizes per language of a stream of documents (a first pass for balanceLanguages). */
export async function countLanguages(
  docs: Iterable<Document> | AsyncIterable<Document>,
  unit: 'documents' | 'bytes' = 'bytes',
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const d of docs)
    out[d.lang] = (out[d.lang] ?? 0) + (unit === 'bytes' ? utf8Length(d.text) : 1);
  return out;
}
