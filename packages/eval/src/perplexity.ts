/**
 * Per-language perplexity and bits-per-byte of a causal LM.
 *
 * Each text is scored on its own: the sequence is [prefix token] + the text's tokens, and every
 * text token is predicted from the tokens before it. Texts longer than the context are scored
 * in windows: the first window predicts the first `contextLength` tokens; each next one
 * predicts the next `stride` tokens with the `contextLength` tokens before its end as input,
 * so every token after the first window sees at least `contextLength - stride` tokens of
 * context (Hugging Face's sliding-window perplexity); with `stride = contextLength` this is
 * lm-evaluation-harness's `loglikelihood_rolling`.
 *
 * - perplexity = exp(total negative log-likelihood / scored tokens): depends on the tokenizer;
 * - bits per byte = total negative log-likelihood / ln 2 / UTF-8 bytes of the texts: the same
 *   quantity whatever the tokenizer, so models with different tokenizers compare fairly.
 *
 * Totals are sums over texts (a ratio of sums); `all` pools every language.
 */
import { sha256Hex, utf8Length } from '@openeurollm/data';
import type { TextsByLang } from '@openeurollm/tokenizer';
import { type ScoreRequest, type ScoreStats, scoreRequests } from './lm/score.js';
import { checkModel, defaultPrefixToken, type ScoringModel } from './lm/scoring-model.js';
import { type EvalTokenizer, encodeText } from './tokenizer.js';

export interface PerplexityOptions {
  /** Tokens per window. Default: the model's context length. */
  contextLength?: number;
  /** New tokens scored per window after the first. Default: contextLength (no overlap). */
  stride?: number;
  /**
   * Token that starts every text so that its first token is scored too. Default: the model's
   * BOS id, else its EOS id (as lm-evaluation-harness). `null`: no prefix; the first token of
   * each text is then not scored (its bytes still count in bits per byte).
   */
  prefixTokenId?: number | null;
  /** Sequences per forward pass at most. Default 16. */
  batchSize?: number;
  /** Tokens per forward pass at most. Default 4096. */
  batchTokens?: number;
}

export interface PerplexityRow {
  lang: string;
  texts: number;
  /** Tokens scored. */
  tokens: number;
  /** UTF-8 bytes of the texts. */
  bytes: number;
  /** Total negative log-likelihood in nats. */
  nll: number;
  perplexity: number;
  bitsPerByte: number;
  /** sha256 of the language's texts (each text's UTF-8, joined by U+0000). */
  sha256: string;
}

export interface PerplexityResult {
  languages: PerplexityRow[];
  /** Every language pooled (lang 'all'; sha256 of the per-language hashes in order). */
  all: PerplexityRow;
  config: { contextLength: number; stride: number; prefixTokenId: number | null };
  stats: ScoreStats;
}

/** Splits a token sequence into scoring windows (see the module comment). */
export function slidingWindows(
  tokens: readonly number[],
  prefixTokenId: number | null,
  contextLength: number,
  stride: number,
): ScoreRequest[] {
  const seq = prefixTokenId === null ? [...tokens] : [prefixTokenId, ...tokens];
  const L = seq.length; // positions 1..L-1 are predicted
  const out: ScoreRequest[] = [];
  if (L < 2) return out;
  let predicted = Math.min(contextLength, L - 1); // first window: positions 1..predicted
  out.push({ tokens: seq.slice(0, predicted + 1), scored: predicted });
  while (predicted < L - 1) {
    const end = Math.min(predicted + stride, L - 1); // this window predicts predicted+1..end
    out.push({
      tokens: seq.slice(Math.max(0, end - contextLength), end + 1),
      scored: end - predicted,
    });
    predicted = end;
  }
  return out;
}

export async function perplexity(
  model: ScoringModel,
  tokenizer: EvalTokenizer,
  textsByLang: TextsByLang,
  options: PerplexityOptions = {},
): Promise<PerplexityResult> {
  checkModel('perplexity', model);
  const contextLength = options.contextLength ?? model.config.contextLength;
  if (
    !Number.isInteger(contextLength) ||
    contextLength < 1 ||
    contextLength > model.config.contextLength
  ) {
    throw new RangeError(
      `perplexity: contextLength must be an integer in [1, ${model.config.contextLength}] (the model's), received ${contextLength}`,
    );
  }
  const stride = options.stride ?? contextLength;
  if (!Number.isInteger(stride) || stride < 1 || stride > contextLength) {
    throw new RangeError(
      `perplexity: stride must be an integer in [1, contextLength = ${contextLength}], received ${stride}`,
    );
  }
  const prefixTokenId =
    options.prefixTokenId === undefined ? defaultPrefixToken(model) : options.prefixTokenId;
  if (
    prefixTokenId !== null &&
    !(
      Number.isInteger(prefixTokenId) &&
      prefixTokenId >= 0 &&
      prefixTokenId < model.config.vocabSize
    )
  ) {
    throw new RangeError(
      `perplexity: prefixTokenId must be a token id in [0, ${model.config.vocabSize}) or null, received ${prefixTokenId}`,
    );
  }

  const langs = entries(textsByLang);
  if (langs.length === 0) throw new RangeError('perplexity: textsByLang has no languages');
  const requests: ScoreRequest[] = [];
  const owner: number[] = []; // request -> language index
  const rows: PerplexityRow[] = [];
  for (const [li, [lang, texts]] of langs.entries()) {
    const row: PerplexityRow = {
      lang,
      texts: 0,
      tokens: 0,
      bytes: 0,
      nll: 0,
      perplexity: Number.NaN,
      bitsPerByte: Number.NaN,
      sha256: '',
    };
    const list = typeof texts === 'string' ? [texts] : [...texts];
    for (const [ti, text] of list.entries()) {
      if (typeof text !== 'string') {
        throw new TypeError(
          `perplexity: textsByLang['${lang}'][${ti}] must be a string, received ${typeof text}`,
        );
      }
      row.texts++;
      row.bytes += utf8Length(text);
      for (const w of slidingWindows(
        await encodeText(tokenizer, text, 'perplexity'),
        prefixTokenId,
        contextLength,
        stride,
      )) {
        requests.push(w);
        owner.push(li);
      }
    }
    row.sha256 = sha256Hex(list.join('\u0000'));
    rows.push(row);
  }
  const { results, stats } = scoreRequests(model, requests, options);
  results.forEach((r, i) => {
    const row = rows[owner[i]];
    row.nll -= r.logLikelihood;
    row.tokens += requests[i].scored;
  });
  for (const row of rows) {
    if (row.tokens === 0)
      throw new RangeError(`perplexity: the texts of '${row.lang}' have no tokens to score`);
    finish(row);
  }
  const all: PerplexityRow = {
    lang: 'all',
    texts: sum(rows, 'texts'),
    tokens: sum(rows, 'tokens'),
    bytes: sum(rows, 'bytes'),
    nll: sum(rows, 'nll'),
    perplexity: Number.NaN,
    bitsPerByte: Number.NaN,
    sha256: sha256Hex(rows.map((r) => `${r.lang}:${r.sha256}`).join('\n')),
  };
  finish(all);
  return { languages: rows, all, config: { contextLength, stride, prefixTokenId }, stats };
}

function finish(row: PerplexityRow): void {
  row.perplexity = Math.exp(row.nll / row.tokens);
  row.bitsPerByte = row.nll / Math.LN2 / row.bytes;
}

function sum(rows: PerplexityRow[], key: 'texts' | 'tokens' | 'bytes' | 'nll'): number {
  let s = 0;
  for (const r of rows) s += r[key];
  return s;
}

function entries(textsByLang: TextsByLang): [string, string | Iterable<string>][] {
  if (textsByLang instanceof Map) return [...textsByLang.entries()];
  if (textsByLang === null || typeof textsByLang !== 'object') {
    throw new TypeError('perplexity: textsByLang must be an object or Map of language -> text(s)');
  }
  return Object.entries(textsByLang);
}
