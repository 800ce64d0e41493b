/**
 * Log-likelihood scoring, shared by perplexity and the multiple-choice tasks: each request is a
 * token sequence whose last `scored` tokens are scored given everything before them. Requests
 * are sorted by length (longest first, as lm-evaluation-harness does), batched under a token
 * budget, right-padded (causal attention makes padding after a position invisible to it), and
 * run once without autograd in eval mode. Per-token losses come from the backend's
 * cross-entropy (fused where the backend has it) and are summed on the host in float64.
 */
import {
  crossEntropy,
  getBackend,
  noGrad,
  type Tensor,
  tensor,
  withBackend,
} from '@openeurollm/tensor';
import { checkModel, type ScoringModel } from './scoring-model.js';

export interface ScoreRequest {
  /** The tokens: model input is tokens[0..n-2], predictions are for tokens[1..n-1]. */
  tokens: readonly number[];
  /** How many of the last tokens are scored (1 <= scored <= tokens.length - 1). */
  scored: number;
}

export interface ScoreResult {
  /** Sum of the natural-log probabilities of the scored tokens. */
  logLikelihood: number;
  /** Whether every scored token is the model's argmax (only with `greedy: true`). */
  isGreedy?: boolean;
}

export interface ScoreOptions {
  /** Sequences per forward pass at most. Default 16. */
  batchSize?: number;
  /** Tokens (batch x padded length) per forward pass at most. Default 4096. */
  batchTokens?: number;
  /** Also say whether each scored token is the argmax (costs an argmax over the vocabulary). */
  greedy?: boolean;
  /** Called after each batch with the number of requests done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface ScoreStats {
  /** Tokens the model ran on (padding included) and tokens scored. */
  forwardTokens: number;
  scoredTokens: number;
  seconds: number;
}

/** Scores every request; results in request order. */
export function scoreRequests(
  model: ScoringModel,
  requests: readonly ScoreRequest[],
  options: ScoreOptions = {},
): { results: ScoreResult[]; stats: ScoreStats } {
  checkModel('scoreRequests', model);
  const batchSize = options.batchSize ?? 16;
  const batchTokens = options.batchTokens ?? 4096;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `scoreRequests: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  if (!Number.isInteger(batchTokens) || batchTokens < 1) {
    throw new RangeError(
      `scoreRequests: batchTokens must be a positive integer, received ${batchTokens}`,
    );
  }
  const { vocabSize, contextLength } = model.config;
  requests.forEach((r, i) => {
    const n = r.tokens.length;
    if (n - 1 > contextLength) {
      throw new RangeError(
        `scoreRequests: request ${i} has ${n - 1} input tokens, more than the model's context length ${contextLength}`,
      );
    }
    if (!Number.isInteger(r.scored) || r.scored < 1 || r.scored > n - 1) {
      throw new RangeError(
        `scoreRequests: request ${i} scores ${r.scored} of ${n} tokens (need 1 <= scored <= ${n - 1})`,
      );
    }
    for (const t of r.tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
        throw new RangeError(
          `scoreRequests: request ${i} has token id ${t}, outside [0, ${vocabSize})`,
        );
      }
    }
  });
  const order = requests
    .map((_, i) => i)
    .sort((a, b) => requests[b].tokens.length - requests[a].tokens.length || a - b);
  const results: ScoreResult[] = new Array(requests.length);
  const stats: ScoreStats = { forwardTokens: 0, scoredTokens: 0, seconds: 0 };
  const start = performance.now();
  const wasTraining = model.training;
  model.train?.(false);
  try {
    // run where the weights live, whichever backend is active when a caller's promise resumes
    withBackend(modelBackend(model), () =>
      noGrad(() => {
        let at = 0;
        while (at < order.length) {
          // the longest request comes first, so the batch's padded length is its length
          const T = requests[order[at]].tokens.length - 1;
          const B = Math.max(
            1,
            Math.min(batchSize, Math.floor(batchTokens / T), order.length - at),
          );
          const batch = order.slice(at, at + B);
          const ids: number[][] = [];
          const targets = new Int32Array(B * T).fill(-100);
          batch.forEach((ri, b) => {
            const { tokens, scored } = requests[ri];
            const n = tokens.length - 1;
            const row = tokens.slice(0, n) as number[];
            while (row.length < T) row.push(0);
            ids.push(row);
            for (let t = n - scored; t < n; t++) targets[b * T + t] = tokens[t + 1];
          });
          const logits = model.forward(ids); // [B, T, V]
          const y = tensor(targets, {
            dtype: 'int32',
            shape: [B, T],
            backend: logits.backend.name,
          });
          const nll = crossEntropy(logits, y, { reduction: 'none' }); // [B, T]
          const losses = nll.data();
          const argmax = options.greedy ? logits.argmax(-1).data() : null; // [B, T]
          batch.forEach((ri, b) => {
            const { tokens, scored } = requests[ri];
            const n = tokens.length - 1;
            let ll = 0;
            let greedy = true;
            for (let t = n - scored; t < n; t++) {
              ll -= losses[b * T + t];
              if (argmax && argmax[b * T + t] !== tokens[t + 1]) greedy = false;
            }
            results[ri] = argmax ? { logLikelihood: ll, isGreedy: greedy } : { logLikelihood: ll };
            stats.scoredTokens += scored;
          });
          stats.forwardTokens += B * T;
          logits.dispose();
          nll.dispose();
          y.dispose();
          at += B;
          options.onProgress?.(at, order.length);
        }
      }),
    );
  } finally {
    if (wasTraining !== undefined) model.train?.(wasTraining);
  }
  stats.seconds = (performance.now() - start) / 1000;
  return { results, stats };
}

/** The backend of the model's first parameter (a Module), else the active one. */
export function modelBackend(model: ScoringModel): string {
  const params = (model as { parameters?: () => Tensor[] }).parameters?.();
  return params?.[0]?.backend.name ?? getBackend().name;
}
