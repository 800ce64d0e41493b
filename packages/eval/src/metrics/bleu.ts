/**
 * BLEU (Papineni et al. 2002) as sacreBLEU 2.6.0 computes it: corpus statistics summed over
 * sentences, the closest reference length (ties to the shorter), clipped n-gram counts against
 * the per-n-gram maximum over a sentence's references, and the smoothing methods of Chen &
 * Cherry (2014): `exp` (default, mteval-v13a's), `floor`, `add-k`, `none`.
 */

import { pyFixed, pyRstrip, pySplit } from './python-text.js';
import {
  checkHypotheses,
  checkReferences,
  type ReferenceStreams,
  SIGNATURE_VERSION,
} from './references.js';
import { BLEU_TOKENIZERS, type BleuTokenizerName, bleuTokenize } from './sacrebleu-tokenizers.js';

export type SmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';

/** sacreBLEU's defaults for the smoothing value: floor 0.1 and add-k 1 (Chen & Cherry 2014). */
const SMOOTH_DEFAULTS: Record<SmoothMethod, number | null> = {
  none: null,
  floor: 0.1,
  'add-k': 1,
  exp: null,
};

export interface BleuOptions {
  /** Tokenizer: '13a' (default), 'intl', 'char' or 'none'. */
  tokenize?: BleuTokenizerName;
  /** Lowercase hypotheses and references first. Default false. */
  lowercase?: boolean;
  /** Default 'exp'. */
  smoothMethod?: SmoothMethod;
  /** For 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** Highest n-gram order. Default 4. */
  maxNgramOrder?: number;
  /**
   * Leave out the orders beyond the longest n-gram the hypotheses have. Default false for
   * `bleu`, true for `sentenceBleu` (as in sacreBLEU).
   */
  effectiveOrder?: boolean;
}

export interface BleuScore {
  name: 'BLEU';
  /** 0-100. */
  score: number;
  /** Matched n-grams per order (add-k adds its value from order 2 on, as sacreBLEU does). */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Precisions per order, 0-100, after smoothing. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis tokens. */
  sysLen: number;
  /** Closest reference tokens. */
  refLen: number;
  /** sysLen / refLen (0 when refLen is 0). */
  ratio: number;
  /** sacreBLEU-style signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0+oellm`. */
  signature: string;
  /** sacreBLEU's one-line report: `BLEU|<signature> = 48.53 82.4/50.0/45.5/37.5 (BP = …)`. */
  formatted: string;
}

interface Resolved {
  tokenize: BleuTokenizerName;
  lowercase: boolean;
  smoothMethod: SmoothMethod;
  smoothValue: number | null;
  maxNgramOrder: number;
  effectiveOrder: boolean;
}

function resolve(fn: string, o: BleuOptions, effectiveDefault: boolean): Resolved {
  const tokenize = o.tokenize ?? '13a';
  if (!BLEU_TOKENIZERS.includes(tokenize)) {
    throw new RangeError(
      `${fn}: options.tokenize must be one of ${BLEU_TOKENIZERS.join(', ')}, received '${String(tokenize)}'`,
    );
  }
  const smoothMethod = o.smoothMethod ?? 'exp';
  if (!(smoothMethod in SMOOTH_DEFAULTS)) {
    throw new RangeError(
      `${fn}: options.smoothMethod must be one of ${Object.keys(SMOOTH_DEFAULTS).join(', ')}, received '${String(smoothMethod)}'`,
    );
  }
  const maxNgramOrder = o.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1) {
    throw new RangeError(
      `${fn}: options.maxNgramOrder must be a positive integer, received ${maxNgramOrder}`,
    );
  }
  if (o.smoothValue !== undefined && !(Number.isFinite(o.smoothValue) && o.smoothValue >= 0)) {
    throw new RangeError(
      `${fn}: options.smoothValue must be a number >= 0, received ${o.smoothValue}`,
    );
  }
  return {
    tokenize,
    lowercase: o.lowercase ?? false,
    smoothMethod,
    smoothValue: o.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod],
    maxNgramOrder,
    effectiveOrder: o.effectiveOrder ?? effectiveDefault,
  };
}

/** Corpus BLEU of `hypotheses` against reference streams (`references[k][i]`). */
export function bleu(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: BleuOptions = {},
): BleuScore {
  checkHypotheses('bleu', hypotheses);
  const o = resolve('bleu', options, false);
  const { refs, nrefs } = checkReferences('bleu', references, hypotheses.length);
  return scoreStats(corpusStats(hypotheses, refs, o), o, nrefs);
}

/** BLEU of one sentence against its references (effective order on by default). */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options: BleuOptions = {},
): BleuScore {
  if (typeof hypothesis !== 'string') {
    throw new TypeError(`sentenceBleu: hypothesis must be a string, received ${typeof hypothesis}`);
  }
  if (!Array.isArray(references)) {
    throw new TypeError(
      'sentenceBleu: references must be an array of strings (the references of this sentence)',
    );
  }
  const o = resolve('sentenceBleu', options, true);
  const { refs, nrefs } = checkReferences(
    'sentenceBleu',
    references.map((r) => [r]),
    1,
  );
  return scoreStats(corpusStats([hypothesis], refs, o), o, nrefs);
}

/** [sysLen, refLen, correct[1..N], total[1..N]] summed over the sentences. */
function corpusStats(hyps: readonly string[], refs: string[][], o: Resolved): number[] {
  const N = o.maxNgramOrder;
  const stats = new Array<number>(2 + 2 * N).fill(0);
  const prep = (s: string) => bleuTokenize(pyRstrip(o.lowercase ? s.toLowerCase() : s), o.tokenize);
  for (let i = 0; i < hyps.length; i++) {
    // reference n-grams: for each n-gram the highest count in any one reference
    const refMax = new Map<string, number>();
    const refLens: number[] = [];
    for (const r of refs[i]) {
      const { counts, length } = wordNgrams(prep(r), N);
      refLens.push(length);
      for (const [g, c] of counts) if (c > (refMax.get(g) ?? 0)) refMax.set(g, c);
    }
    const { counts, length } = wordNgrams(prep(hyps[i]), N);
    stats[0] += length;
    stats[1] += closestRefLength(length, refLens);
    for (const [g, c] of counts) {
      const n = ngramOrder(g);
      stats[2 + N + n - 1] += c;
      const m = refMax.get(g);
      if (m !== undefined) stats[2 + n - 1] += Math.min(c, m);
    }
  }
  return stats;
}

/** The reference length closest to the hypothesis length; ties go to the shorter. */
function closestRefLength(hypLen: number, refLens: number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff) {
      bestDiff = diff;
      best = len;
    } else if (diff === bestDiff && len < best) best = len;
  }
  return best;
}

// n-grams are keyed by their tokens joined with a space (tokens never contain whitespace) and
// prefixed by their order, so an n-gram's order is read back without counting spaces
function wordNgrams(
  line: string,
  maxOrder: number,
): { counts: Map<string, number>; length: number } {
  const tokens = pySplit(line);
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = `${n}\t${tokens.slice(i, i + n).join(' ')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return { counts, length: tokens.length };
}

function ngramOrder(key: string): number {
  return Number.parseInt(key.slice(0, key.indexOf('\t')), 10);
}

/** sacreBLEU's `my_log`: log, with log(0) floored to -9999999999. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

function scoreStats(stats: number[], o: Resolved, nrefs: number | 'var'): BleuScore {
  const N = o.maxNgramOrder;
  const sysLen = stats[0];
  const refLen = stats[1];
  const correct = stats.slice(2, 2 + N);
  const total = stats.slice(2 + N);
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(N).fill(0);
  let score = 0;
  // no match at all: 0 whatever the smoothing (sacreBLEU #141)
  if (correct.some((c) => c !== 0)) {
    let smoothMteval = 1;
    let effOrder = N;
    const sv = o.smoothValue ?? 0;
    for (let n = 1; n <= N; n++) {
      if (o.smoothMethod === 'add-k' && n > 1) {
        correct[n - 1] += sv;
        total[n - 1] += sv;
      }
      if (total[n - 1] === 0) break;
      if (o.effectiveOrder) effOrder = n;
      if (correct[n - 1] === 0) {
        if (o.smoothMethod === 'exp') {
          smoothMteval *= 2;
          precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
        } else if (o.smoothMethod === 'floor') {
          precisions[n - 1] = (100 * sv) / total[n - 1];
        }
      } else {
        precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
      }
    }
    let logSum = 0;
    for (let k = 0; k < effOrder; k++) logSum += myLog(precisions[k]);
    score = bp * Math.exp(logSum / effOrder);
  }
  const signature = bleuSignature(o, nrefs);
  const ratio = refLen ? sysLen / refLen : 0;
  const formatted =
    `BLEU|${signature} = ${pyFixed(score, 2)} ${precisions.map((p) => pyFixed(p, 1)).join('/')} ` +
    `(BP = ${pyFixed(bp, 3)} ratio = ${pyFixed(ratio, 3)} hyp_len = ${sysLen} ref_len = ${refLen})`;
  return {
    name: 'BLEU',
    score,
    counts: correct,
    totals: total,
    precisions,
    bp,
    sysLen,
    refLen,
    ratio,
    signature,
    formatted,
  };
}

function bleuSignature(o: Resolved, nrefs: number | 'var'): string {
  let smooth: string = o.smoothMethod;
  if (SMOOTH_DEFAULTS[o.smoothMethod] !== null) smooth += `[${pyFixed(o.smoothValue ?? 0, 2)}]`;
  return [
    `nrefs:${nrefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.effectiveOrder ? 'yes' : 'no'}`,
    `tok:${o.tokenize}`,
    `smooth:${smooth}`,
    `version:${SIGNATURE_VERSION}`,
  ].join('|');
}
