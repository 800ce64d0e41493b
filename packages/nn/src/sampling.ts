/**
 * Choosing the next token from logits: greedy, temperature, top-k and top-p (nucleus)
 * sampling, with an explicit seeded generator so that a seed repeats exactly.
 */
import type { Generator } from '@openeurollm/tensor';

export interface SamplingOptions {
  /** 0 = greedy (argmax); default 1. */
  temperature?: number;
  /** Sample among the k most likely tokens only (0 or absent: all). */
  topK?: number;
  /** Sample among the smallest set of tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
}

/** A uniform number in [0, 1) with 32 bits of the generator. */
function uniform(g: Generator): number {
  return g.nextUint32() / 4294967296;
}

export function checkSampling(o: SamplingOptions): void {
  const { temperature = 1, topK = 0, topP = 1 } = o;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new Error(`generate: temperature must be >= 0, got ${temperature}`);
  }
  if (!Number.isInteger(topK) || topK < 0)
    throw new Error(`generate: topK must be an integer >= 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`generate: topP must be in (0, 1], got ${topP}`);
}

/** Picks a token id from one row of logits. */
export function sampleToken(logits: Float32Array, o: SamplingOptions, g: Generator): number {
  checkSampling(o);
  const { temperature = 1, topK = 0, topP = 1 } = o;
  const V = logits.length;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  // candidates sorted by logit, best first (ties: lower id first, for determinism)
  let order = Array.from({ length: V }, (_, i) => i);
  order.sort((a, b) => logits[b] - logits[a] || a - b);
  if (topK > 0 && topK < V) order = order.slice(0, topK);
  const max = logits[order[0]];
  const p = order.map((i) => Math.exp((logits[i] - max) / temperature));
  let total = p.reduce((a, b) => a + b, 0);
  if (topP < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < p.length) {
      acc += p[keep] / total;
      keep++;
      if (acc >= topP) break;
    }
    order = order.slice(0, keep);
    p.length = keep;
    total = p.reduce((a, b) => a + b, 0);
  }
  let r = uniform(g) * total;
  for (let k = 0; k < order.length; k++) {
    r -= p[k];
    if (r < 0) return order[k];
  }
  return order[order.length - 1];
}
