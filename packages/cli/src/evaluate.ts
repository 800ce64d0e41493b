/**
 * Per-language evaluation of a causal LM: perplexity and bits per byte on held-out text (the
 * embedded corpus's validation split by default), computed by @openeurollm/eval (windows of the
 * model's context as lm-evaluation-harness's loglikelihood_rolling; each text starts with the
 * end-of-text token so its first token is scored too). Bits per byte do not depend on the
 * tokenizer, so models with different tokenizers compare fairly.
 */

import { type PerplexityRow, perplexity } from '@openeurollm/eval';
import type { CausalLM } from '@openeurollm/nn';

export type LanguageScore = PerplexityRow;

export interface PerplexityReport {
  languages: LanguageScore[];
  all: LanguageScore;
  contextLength: number;
}

const encoder = new TextEncoder();

/**
 * Scores `textsByLang` under `model` with @openeurollm/eval's `perplexity`, one language at a
 * time (onLanguage after each, for a progress bar); `all` pools every language.
 */
export async function perplexityByLanguage(
  model: CausalLM,
  tokenizer: Parameters<typeof perplexity>[1],
  textsByLang: Record<string, readonly string[]>,
  options: { onLanguage?: (lang: string, texts: number) => void } = {},
): Promise<PerplexityReport> {
  const rows: LanguageScore[] = [];
  for (const [lang, texts] of Object.entries(textsByLang)) {
    const r = await perplexity(model, tokenizer, { [lang]: texts });
    rows.push(r.languages[0]);
    options.onLanguage?.(lang, texts.length);
  }
  const all: LanguageScore = {
    lang: 'all',
    texts: 0,
    tokens: 0,
    bytes: 0,
    nll: 0,
    perplexity: Number.NaN,
    bitsPerByte: Number.NaN,
    sha256: '',
  };
  for (const r of rows) {
    all.texts += r.texts;
    all.tokens += r.tokens;
    all.bytes += r.bytes;
    all.nll += r.nll;
  }
  all.perplexity = Math.exp(all.nll / all.tokens);
  all.bitsPerByte = all.nll / Math.LN2 / all.bytes;
  return { languages: rows, all, contextLength: model.config.contextLength };
}

/** Texts per language, each language cut to about `maxBytes` UTF-8 bytes (whole texts, the first always kept). */
export function capTexts(
  docs: readonly { lang: string; text: string }[],
  maxBytes: number,
  languages?: readonly string[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const used: Record<string, number> = {};
  for (const d of docs) {
    if (languages && !languages.includes(d.lang)) continue;
    const n = encoder.encode(d.text).length;
    const have = used[d.lang] ?? 0;
    if (have > 0 && have + n > maxBytes) continue;
    // a first text longer than the budget is cut (at a character boundary) to keep evaluation fast
    const text = have === 0 && n > maxBytes ? cutBytes(d.text, maxBytes) : d.text;
    out[d.lang] ??= [];
    out[d.lang].push(text);
    used[d.lang] = have + encoder.encode(text).length;
  }
  return out;
}

function cutBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    const n = encoder.encode(ch).length;
    if (bytes + n > maxBytes) break;
    bytes += n;
    i += ch.length;
  }
  return text.slice(0, i);
}
