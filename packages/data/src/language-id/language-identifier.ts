/**
 * Language identification restricted to a closed set of languages (by default the 24 official
 * EU languages): a multinomial naive Bayes classifier over hashed character n-grams
 * (orders 1..5, see char-ngrams.ts), trained on text whose language is known.
 *
 * Why our own model: of the maintained JavaScript libraries measured on held-out paragraphs of
 * the embedded corpus (docs/packages/data.md, scripts/measure-lid.ts), none reached 95% on every
 * one of the 24 languages; this model, trained on the embedded corpus's train split, does.
 */
import { EU_LANGUAGES } from '../languages.js';
import { forEachNgram, ngramBuckets, scriptCounts } from './char-ngrams.js';

export interface LanguageIdentifierOptions {
  /** Highest n-gram order. Default 5. */
  maxOrder?: number;
  /** Hash buckets, a power of two. Default 2^16 (the table is buckets x languages float32). */
  buckets?: number;
  /** Additive smoothing of the per-language n-gram counts. Default 0.5. */
  alpha?: number;
}

export interface IdentifyOptions {
  /**
   * Look at most this many UTF-16 units: longer texts are sampled at three evenly spaced
   * places (start, middle, end). Default 1000.
   */
  maxChars?: number;
}

export interface LanguageGuess {
  /**
   * Best language, or 'und' when the text has too few letters to tell (under 10 n-grams) or
   * most of its letters are in scripts none of the languages is written in (other than Latin,
   * Greek and Cyrillic for the EU languages).
   */
  lang: string;
  /**
   * Posterior probability of `lang` with the evidence capped at 40 n-grams (so that long
   * texts do not all read as certain): 1/languages for no evidence, near 1 for a clear case.
   */
  confidence: number;
  /** The runner-up language and its probability on the same scale. */
  second: { lang: string; confidence: number };
  /** Number of n-gram features in the text (or its samples); scoring may stop early on fewer. */
  features: number;
}

/** Texts the model learns from: a language code and text. */
export interface LabelledText {
  lang: string;
  text: string;
}

const EVIDENCE_CAP = 40;
const MIN_FEATURES = 10;
/** Passes over the n-grams (each takes every STRIDE-th one). */
const STRIDE = 8;
/** Early stop: at least this many n-grams seen, and a capped log-odds margin above ln(1e6). */
const MIN_EARLY = 200;
const EARLY_MARGIN = Math.log(1e6);

export class LanguageIdentifier {
  readonly languages: readonly string[];
  readonly maxOrder: number;
  readonly buckets: number;
  /** log P(bucket | language), bucket-major: table[bucket * languages + l]. */
  private readonly table: Float32Array;
  private readonly scores: Float64Array;
  private buckets_: Int32Array = new Int32Array(16384);

  private constructor(languages: readonly string[], maxOrder: number, table: Float32Array) {
    this.languages = languages;
    this.maxOrder = maxOrder;
    this.buckets = table.length / languages.length;
    this.table = table;
    this.scores = new Float64Array(languages.length);
  }

  /**
   * Trains on labelled texts. Texts whose `lang` is outside `languages` (default: the languages
   * present, or the 24 EU languages when `languages: 'eu'`) are skipped.
   */
  static train(
    texts: Iterable<LabelledText>,
    options: LanguageIdentifierOptions & { languages?: readonly string[] } = {},
  ): LanguageIdentifier {
    const maxOrder = options.maxOrder ?? 5;
    const buckets = options.buckets ?? 1 << 16;
    const alpha = options.alpha ?? 0.5;
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 8) {
      throw new Error(
        `LanguageIdentifier.train: options.maxOrder must be an integer 1..8, got ${maxOrder}`,
      );
    }
    if (!Number.isInteger(buckets) || buckets < 256 || (buckets & (buckets - 1)) !== 0) {
      throw new Error(
        `LanguageIdentifier.train: options.buckets must be a power of two >= 256, got ${buckets}`,
      );
    }
    if (!(alpha > 0)) {
      throw new Error(`LanguageIdentifier.train: options.alpha must be > 0, got ${alpha}`);
    }
    const list = [...texts];
    const languages = options.languages
      ? [...options.languages]
      : [...new Set(list.map((t) => t.lang))].sort();
    if (languages.length < 2) {
      throw new Error(
        `LanguageIdentifier.train: need texts in at least 2 languages, got ${languages.length}`,
      );
    }
    const index = new Map(languages.map((l, i) => [l, i]));
    const L = languages.length;
    const counts = new Float64Array(buckets * L);
    const totals = new Float64Array(L);
    const mask = buckets - 1;
    for (const { lang, text } of list) {
      const l = index.get(lang);
      if (l === undefined) continue;
      totals[l] += forEachNgram(text, 0, text.length, maxOrder, mask, (b) => {
        counts[b * L + l] += 1;
      });
    }
    const missing = languages.filter((_, l) => totals[l] === 0);
    if (missing.length > 0) {
      throw new Error(`LanguageIdentifier.train: no training text for ${missing.join(', ')}`);
    }
    const table = new Float32Array(buckets * L);
    for (let l = 0; l < L; l++) {
      const denom = Math.log(totals[l] + alpha * buckets);
      for (let b = 0; b < buckets; b++) {
        table[b * L + l] = Math.log(counts[b * L + l] + alpha) - denom;
      }
    }
    return new LanguageIdentifier(languages, maxOrder, table);
  }

  /** Identifies the language of a text among `languages`. */
  identify(text: string, options: IdentifyOptions = {}): LanguageGuess {
    if (typeof text !== 'string') {
      throw new Error(`LanguageIdentifier.identify: text must be a string, got ${typeof text}`);
    }
    const maxChars = options.maxChars ?? 1000;
    const L = this.languages.length;
    const scores = this.scores;
    scores.fill(0);
    const table = this.table;
    const mask = this.buckets - 1;
    let n = 0;
    if (text.length <= maxChars) {
      const r = ngramBuckets(text, 0, text.length, this.maxOrder, mask, this.buckets_, 0);
      n = r.end;
      this.buckets_ = r.buffer;
    } else {
      const part = Math.floor(maxChars / 3);
      for (const at of [0, Math.floor((text.length - part) / 2), text.length - part]) {
        const r = ngramBuckets(text, at, at + part, this.maxOrder, mask, this.buckets_, n);
        n = r.end;
        this.buckets_ = r.buffer;
      }
    }
    // Accumulate in STRIDE interleaved passes, each a sample spread over the whole text; stop
    // early once the capped posterior of the runner-up is below 1e-6 (most documents are clear
    // after the first pass, which makes identification several times faster).
    const buckets = this.buckets_;
    let used = 0;
    for (let pass = 0; pass < STRIDE; pass++) {
      for (let i = pass; i < n; i += STRIDE) {
        const base = buckets[i] * L;
        for (let l = 0; l < L; l++) scores[l] += table[base + l];
      }
      used += Math.ceil((n - pass) / STRIDE);
      if (used >= MIN_EARLY && pass < STRIDE - 1) {
        let b1 = Number.NEGATIVE_INFINITY;
        let b2 = Number.NEGATIVE_INFINITY;
        for (let l = 0; l < L; l++) {
          const v = scores[l];
          if (v > b1) {
            b2 = b1;
            b1 = v;
          } else if (v > b2) b2 = v;
        }
        if (((b1 - b2) * EVIDENCE_CAP) / used > EARLY_MARGIN) break;
      }
    }
    const features = n;
    const scripts = scriptCounts(text, 0, Math.min(text.length, maxChars));
    const foreign = scripts.other > scripts.eu;
    let best = 0;
    let second = 1;
    if (scores[second] > scores[best]) [best, second] = [second, best];
    for (let l = 2; l < L; l++) {
      if (scores[l] > scores[best]) {
        second = best;
        best = l;
      } else if (scores[l] > scores[second]) second = l;
    }
    // posterior with capped evidence: softmax of the scores scaled to at most EVIDENCE_CAP features
    const scale = used > EVIDENCE_CAP ? EVIDENCE_CAP / used : 1;
    let z = 0;
    for (let l = 0; l < L; l++) z += Math.exp((scores[l] - scores[best]) * scale);
    const p = (l: number) =>
      features === 0 ? 1 / L : Math.exp((scores[l] - scores[best]) * scale) / z;
    const und = features < MIN_FEATURES || foreign;
    return {
      lang: und ? 'und' : this.languages[best],
      confidence: und ? 0 : p(best),
      second: { lang: this.languages[second], confidence: p(second) },
      features,
    };
  }

  /** The model as bytes (for caching a trained model): a small header and the float32 table. */
  toBytes(): Uint8Array {
    const header = new TextEncoder().encode(
      JSON.stringify({
        format: 'oellm-lid',
        version: 1,
        languages: this.languages,
        maxOrder: this.maxOrder,
        buckets: this.buckets,
      }),
    );
    const pad = (4 - ((4 + header.length) % 4)) % 4;
    const out = new Uint8Array(4 + header.length + pad + this.table.byteLength);
    new DataView(out.buffer).setUint32(0, header.length + pad, true);
    out.set(header, 4);
    out.fill(32, 4 + header.length, 4 + header.length + pad);
    out.set(new Uint8Array(this.table.buffer), 4 + header.length + pad);
    return out;
  }

  /** Reads a model written by `toBytes`. */
  static fromBytes(bytes: Uint8Array): LanguageIdentifier {
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    let header: { format?: string; version?: number; languages: string[]; maxOrder: number };
    try {
      header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n)));
    } catch {
      throw new Error('LanguageIdentifier.fromBytes: not a model written by toBytes (bad header)');
    }
    if (header.format !== 'oellm-lid' || header.version !== 1) {
      throw new Error(
        `LanguageIdentifier.fromBytes: expected format oellm-lid version 1, found ${header.format} version ${header.version}`,
      );
    }
    const table = new Float32Array(bytes.slice(4 + n).buffer);
    return new LanguageIdentifier(header.languages, header.maxOrder, table);
  }
}

/** The 24 official EU languages, for `LanguageIdentifier.train(texts, { languages })`. */
export const DEFAULT_LID_LANGUAGES: readonly string[] = EU_LANGUAGES;
