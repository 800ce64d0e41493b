/** `oellm tokenizer train [files...]`: a byte-level BPE tokenizer, fair across EU languages. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fairnessReport } from '@openeurollm/tokenizer';
import { dataConfigSchema, tokenizerConfigSchema } from '../config.js';
import { UsageError } from '../errors.js';
import { formatDuration, type Output, table } from '../output.js';
import { alignedTexts, parallelArticles } from '../parallel.js';
import { tokenizerTexts } from '../prepare.js';
import { trainTokenizer } from '../tokenizer-build.js';

export interface TokenizerTrainOptions {
  out: string;
  vocabSize?: number;
  minFrequency?: number;
  languages?: string[];
  balance?: boolean;
  license?: string;
}

export async function tokenizerTrainCommand(
  out: Output,
  files: string[],
  o: TokenizerTrainOptions,
): Promise<void> {
  const data = parseSection(
    dataConfigSchema,
    { files: files.length ? files : undefined, languages: o.languages, license: o.license },
    'data',
  );
  const config = parseSection(
    tokenizerConfigSchema,
    { vocabSize: o.vocabSize, minFrequency: o.minFrequency, balanceLanguages: o.balance },
    'tokenizer',
  );
  const docs = await tokenizerTexts(data, process.cwd());
  out.note(
    `training on ${docs.length} documents${files.length ? '' : ' of the embedded eu24 corpus (train split)'}`,
  );
  const r = await trainTokenizer(docs, config, out);
  mkdirSync(o.out, { recursive: true });
  r.tokenizer.save(o.out);
  // parity on real parallel text (the UDHR articles in the corpus), English as the reference
  const langs = Object.keys(r.languages).filter((l) => l !== 'und');
  const aligned = alignedTexts(
    await parallelArticles(),
    langs.includes('en') ? langs : ['en', ...langs],
  );
  const fairness =
    Object.keys(aligned).length > 1 ? await fairnessReport(r.tokenizer, aligned) : null;
  out.result(
    {
      tokenizer: join(o.out, 'tokenizer.json'),
      vocabSize: r.tokenizer.vocabSize,
      seconds: r.seconds,
      documents: docs.length,
      languages: r.languages,
      fairness,
    },
    () => {
      out.print(
        `wrote ${join(o.out, 'tokenizer.json')} (vocabulary ${r.tokenizer.vocabSize}) in ${formatDuration(r.seconds)}`,
      );
      if (fairness) {
        out.print(
          `\ntokens per language on the same text (UDHR articles), relative to ${fairness.reference}:`,
        );
        out.print(
          table([
            ['lang', 'parity', 'tokens/word', 'bytes/token'],
            ...fairness.rows.map((row) => [
              row.lang,
              row.parity.toFixed(2),
              row.fertility.toFixed(2),
              row.bytesPerToken.toFixed(2),
            ]),
          ]),
        );
        out.print(`worst parity: ${fairness.worst.lang} ${fairness.worst.parity.toFixed(2)}`);
      }
    },
  );
}

/** Validates command-line values with a config section's schema (same messages as run configs). */
export function parseSection<
  S extends { safeParse(v: unknown): { success: boolean; data?: unknown; error?: unknown } },
>(
  schema: S,
  value: Record<string, unknown>,
  section: string,
): NonNullable<ReturnType<S['safeParse']>['data']> {
  const clean = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
  const r = schema.safeParse(clean);
  if (!r.success) {
    const issues = (r.error as { issues: { path: PropertyKey[]; message: string }[] }).issues;
    throw new UsageError(
      issues.map((i) => `${section}.${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  return r.data as NonNullable<ReturnType<S['safeParse']>['data']>;
}
