/**
 * Tokenizer fairness across the EU languages: fertility (tokens per word), bytes per token and
 * parity with English (tokens for a language / tokens for English on the same text, Petrov et
 * al. 2023), on parallel text. The default text is the Universal Declaration of Human Rights
 * in all 24 languages from the embedded corpus. The arithmetic is @openeurollm/tokenizer's
 * `fairnessReport`; this adds the default parallel text and a data hash for reports.
 */
import { euCorpusDocuments, sha256Hex } from '@openeurollm/data';
import {
  type FairnessReport,
  type FairnessTokenizer,
  fairnessReport,
  type TextsByLang,
} from '@openeurollm/tokenizer';
import { udhrParallelTexts } from './udhr.js';

export interface TokenizerReportOptions {
  /** Parallel texts by language. Default: the UDHR in every EU language (embedded corpus). */
  texts?: TextsByLang;
  /** Reference language of parity. Default 'en'. */
  reference?: string;
}

export interface TokenizerReport extends FairnessReport {
  /** What the texts were, and the sha256 of them. */
  data: { name: string; sha256: string };
}

export async function tokenizerReport(
  tokenizer: FairnessTokenizer,
  options: TokenizerReportOptions = {},
): Promise<TokenizerReport> {
  const texts = options.texts ?? udhrParallelTexts(await euCorpusDocuments());
  const name = options.texts ? 'custom parallel texts' : 'UDHR, embedded eu24 corpus';
  const report = await fairnessReport(tokenizer, texts, { reference: options.reference ?? 'en' });
  const entries = texts instanceof Map ? [...texts.entries()] : Object.entries(texts);
  const flat = entries.map(
    ([lang, t]) => `${lang}\u0000${typeof t === 'string' ? t : [...t].join('\u0000')}`,
  );
  return { ...report, data: { name, sha256: sha256Hex(flat.join('\n')) } };
}
