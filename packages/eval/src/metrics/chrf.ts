/**
 * chrF (Popović 2015) and chrF++ (Popović 2017) as sacreBLEU 2.6.0 computes them: character
 * n-grams of orders 1..charOrder over the text with whitespace removed, plus word n-grams of
 * orders 1..wordOrder (chrF++ is wordOrder 2) after splitting punctuation off word edges;
 * statistics summed over the corpus, per sentence from the reference with the best F-score;
 * F-beta with beta 2 of the precisions and recalls averaged over the orders that occur
 * (sacreBLEU's default), or chrF++.py's epsilon smoothing.
 */

import { codePointLength, pyFixed, pySplit } from './python-text.js';
import {
  checkHypotheses,
  checkReferences,
  type ReferenceStreams,
  SIGNATURE_VERSION,
} from './references.js';

export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  charOrder?: number;
  /** Word n-gram order: 0 is chrF (default), 2 is chrF++. */
  wordOrder?: number;
  /** Weight of recall against precision. Default 2. */
  beta?: number;
  /** Lowercase first. Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams. Default false. */
  whitespace?: boolean;
  /**
   * chrF++.py / NLTK / Moses epsilon smoothing instead of averaging over the orders that occur
   * (sacreBLEU's default since 2.0). Default false.
   */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 'chrF2', or 'chrF2++' for word order 2 ('+' per word order). */
  name: string;
  /** 0-100. */
  score: number;
  /** Summed [hypothesis, reference, matched] n-gram counts per order (characters, then words). */
  stats: number[];
  signature: string;
  /** sacreBLEU's one-line report: `chrF2|<signature> = 51.23`. */
  formatted: string;
}

interface Resolved {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

// Python's string.punctuation, which chrF++ splits off the start or end of a word
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

function resolve(fn: string, o: ChrfOptions): Resolved {
  const r = {
    charOrder: o.charOrder ?? 6,
    wordOrder: o.wordOrder ?? 0,
    beta: o.beta ?? 2,
    lowercase: o.lowercase ?? false,
    whitespace: o.whitespace ?? false,
    epsSmoothing: o.epsSmoothing ?? false,
  };
  if (!Number.isInteger(r.charOrder) || r.charOrder < 0) {
    throw new RangeError(
      `${fn}: options.charOrder must be an integer >= 0, received ${r.charOrder}`,
    );
  }
  if (!Number.isInteger(r.wordOrder) || r.wordOrder < 0) {
    throw new RangeError(
      `${fn}: options.wordOrder must be an integer >= 0, received ${r.wordOrder}`,
    );
  }
  if (r.charOrder + r.wordOrder === 0) {
    throw new RangeError(`${fn}: charOrder + wordOrder must be at least 1`);
  }
  if (!(Number.isFinite(r.beta) && r.beta >= 0)) {
    throw new RangeError(`${fn}: options.beta must be a number >= 0, received ${r.beta}`);
  }
  return r;
}

/** Corpus chrF (chrF++ with `{ wordOrder: 2 }`) against reference streams (`references[k][i]`). */
export function chrf(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: ChrfOptions = {},
): ChrfScore {
  checkHypotheses('chrf', hypotheses);
  const o = resolve('chrf', options);
  const { refs, nrefs } = checkReferences('chrf', references, hypotheses.length);
  return corpus(hypotheses, refs, o, nrefs);
}

/** chrF of one sentence against its references. */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  options: ChrfOptions = {},
): ChrfScore {
  if (typeof hypothesis !== 'string') {
    throw new TypeError(`sentenceChrf: hypothesis must be a string, received ${typeof hypothesis}`);
  }
  if (!Array.isArray(references)) {
    throw new TypeError(
      'sentenceChrf: references must be an array of strings (the references of this sentence)',
    );
  }
  const o = resolve('sentenceChrf', options);
  const { refs, nrefs } = checkReferences(
    'sentenceChrf',
    references.map((r) => [r]),
    1,
  );
  return corpus([hypothesis], refs, o, nrefs);
}

function corpus(
  hyps: readonly string[],
  refs: string[][],
  o: Resolved,
  nrefs: number | 'var',
): ChrfScore {
  const order = o.charOrder + o.wordOrder;
  const total = new Array<number>(3 * order).fill(0);
  for (let i = 0; i < hyps.length; i++) {
    const h = extract(o.lowercase ? hyps[i].toLowerCase() : hyps[i], o);
    let best: number[] | null = null;
    let bestF = -1;
    for (const ref of refs[i]) {
      const r = extract(o.lowercase ? ref.toLowerCase() : ref, o);
      const stats: number[] = [];
      for (let k = 0; k < order; k++) stats.push(...matchStats(h[k], r[k]));
      const f = fScore(stats, o);
      if (f > bestF) {
        bestF = f;
        best = stats;
      }
    }
    for (let k = 0; k < total.length; k++) total[k] += best![k];
  }
  const score = fScore(total, o);
  const name = `chrF${o.beta}${'+'.repeat(o.wordOrder)}`;
  const signature = [
    `nrefs:${nrefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.epsSmoothing ? 'no' : 'yes'}`,
    `nc:${o.charOrder}`,
    `nw:${o.wordOrder}`,
    `space:${o.whitespace ? 'yes' : 'no'}`,
    `version:${SIGNATURE_VERSION}`,
  ].join('|');
  return {
    name,
    score,
    stats: total,
    signature,
    formatted: `${name}|${signature} = ${pyFixed(score, 2)}`,
  };
}

/** Character n-gram counts of orders 1..charOrder, then word n-gram counts of 1..wordOrder. */
function extract(line: string, o: Resolved): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  const chars = Array.from(o.whitespace ? line : pySplit(line).join(''));
  for (let n = 1; n <= o.charOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= chars.length; i++) {
      const g = n === 1 ? chars[i] : chars.slice(i, i + n).join('');
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    out.push(m);
  }
  if (o.wordOrder > 0) {
    const words = splitPunctuation(line);
    for (let n = 1; n <= o.wordOrder; n++) {
      const m = new Map<string, number>();
      for (let i = 0; i + n <= words.length; i++) {
        const g = words.slice(i, i + n).join(' ');
        m.set(g, (m.get(g) ?? 0) + 1);
      }
      out.push(m);
    }
  }
  return out;
}

/** chrF++'s word split: one punctuation character split off the end of a word, else its start. */
function splitPunctuation(line: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(line)) {
    if (codePointLength(w) === 1) {
      out.push(w);
      continue;
    }
    // punctuation is ASCII, so the last and first UTF-16 units are whole characters here
    const last = w[w.length - 1];
    if (PUNCTS.has(last)) out.push(w.slice(0, -1), last);
    else if (PUNCTS.has(w[0])) out.push(w[0], w.slice(1));
    else out.push(w);
  }
  return out;
}

/** [hypothesis n-grams (0 when the reference has none), reference n-grams, matches]. */
function matchStats(hyp: Map<string, number>, ref: Map<string, number>): [number, number, number] {
  let matches = 0;
  let hypCount = 0;
  for (const [g, c] of hyp) {
    hypCount += c;
    const r = ref.get(g);
    if (r !== undefined) matches += Math.min(c, r);
  }
  let refCount = 0;
  for (const c of ref.values()) refCount += c;
  return [ref.size > 0 ? hypCount : 0, refCount, matches];
}

function fScore(stats: number[], o: Resolved): number {
  const eps = 1e-16;
  const order = o.charOrder + o.wordOrder;
  const factor = o.beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i];
    const nRef = stats[3 * i + 1];
    const nMatch = stats[3 * i + 2];
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder++;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = 0;
    avgRec = 0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec) {
    let s = (1 + factor) * avgPrec * avgRec;
    s /= factor * avgPrec + avgRec;
    return 100 * s;
  }
  return 0;
}
