/** Training a byte-level BPE tokenizer on documents, with a progress bar and balanced languages. */
import type { Document } from '@openeurollm/data';
import { balancedLanguageWeights, Tokenizer, trainBpe } from '@openeurollm/tokenizer';
import { tokenizerConfigFor } from './chat-format.js';
import type { RunConfig } from './config.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';

export interface TrainTokenizerResult {
  tokenizer: Tokenizer;
  /** Documents and UTF-8 bytes trained on, per language. */
  languages: Record<string, { documents: number; words: number }>;
  seconds: number;
}

/** Trains the tokenizer a run config describes on `docs` (their `lang` drives the balancing). */
export async function trainTokenizer(
  docs: readonly Pick<Document, 'text' | 'lang'>[],
  config: RunConfig['tokenizer'],
  out: Output,
): Promise<TrainTokenizerResult> {
  const t0 = performance.now();
  const languages: Record<string, { documents: number; words: number }> = {};
  for (const d of docs) {
    languages[d.lang] ??= { documents: 0, words: 0 };
    const l = languages[d.lang];
    l.documents += 1;
    l.words += d.text.split(/\s+/).length;
  }
  const langs = Object.keys(languages);
  const weights =
    config.balanceLanguages && langs.length > 1
      ? balancedLanguageWeights(Object.fromEntries(langs.map((l) => [l, languages[l].words])))
      : undefined;
  const counting = new Progress(out, {
    label: 'tokenizer: count',
    total: docs.length,
    unit: 'docs',
  });
  let merging: Progress | null = null;
  const json = await trainBpe(
    docs.map((d) => ({ text: d.text, lang: d.lang })),
    {
      vocabSize: config.vocabSize,
      minFrequency: config.minFrequency,
      specialTokens: config.specialTokens,
      languageWeights: weights,
      onProgress: (p) => {
        if (p.phase === 'count') {
          counting.update(p.done);
          return;
        }
        if (!merging) {
          counting.finish();
          merging = new Progress(out, {
            label: 'tokenizer: merge',
            total: p.total,
            unit: 'merges',
          });
        }
        merging.update(p.done);
      },
    },
  );
  counting.finish();
  const tokenizer = Tokenizer.fromJSON(json, { config: tokenizerConfigFor(config.specialTokens) });
  const seconds = (performance.now() - t0) / 1000;
  (merging as Progress | null)?.finish(`vocabulary ${tokenizer.vocabSize}`);
  return { tokenizer, languages, seconds };
}
