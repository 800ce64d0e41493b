/**
 * The example datasheet and training-content summary of docs/examples/: the default recipe
 * run on the embedded corpus, packed with a 2,000-token BPE trained on its train split.
 *
 *   npx tsx scripts/example-reports.ts        # rewrites docs/examples/eu24-*
 *
 * test/reports.test.ts regenerates them and checks that the committed files are current.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tokenizer } from '@openeurollm/tokenizer';
import {
  datasheet,
  euCorpus,
  exactDedup,
  identifyLanguage,
  nearDedup,
  normalize,
  packIndexedDataset,
  pipeline,
  qualityFilter,
  redactPii,
  splitByHash,
  trainingContentSummary,
} from '../src/node.js';

export const EXAMPLES_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'docs',
  'examples',
);

export const EXAMPLE_FILES = {
  datasheet: 'eu24-datasheet.md',
  summaryMarkdown: 'eu24-training-content-summary.md',
  summaryJson: 'eu24-training-content-summary.json',
} as const;

/** Runs the recipe and returns the three files' contents. */
export async function exampleReports(
  tokenizer: Tokenizer,
): Promise<Record<keyof typeof EXAMPLE_FILES, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'oellm-example-'));
  try {
    const p = pipeline(
      euCorpus(),
      normalize(),
      identifyLanguage(),
      qualityFilter(),
      redactPii(),
      exactDedup(),
      nearDedup(),
      splitByHash({ validation: 0.05 }),
    );
    const { ledger } = await packIndexedDataset(p, tokenizer, {
      outPrefix: join(dir, 'eu24'),
      bySplit: true,
    });
    const summary = trainingContentSummary(ledger);
    return {
      datasheet: datasheet(ledger, {
        title: 'eu24, the embedded corpus of @openeurollm/data, after the default recipe',
        answers: {
          purpose:
            'An example: a small, freely licensed corpus in all 24 official EU languages, shipped inside @openeurollm/data so that every command works with no download, and used by its tests.',
          distribution:
            'Inside the npm package @openeurollm/data (corpus/eu24.jsonl.gz), each document under the licence of its source (listed above).',
        },
      }),
      summaryMarkdown: summary.markdown,
      summaryJson: `${JSON.stringify(summary.json, null, 2)}\n`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { trainBpeTokenizer } = await import('@openeurollm/tokenizer');
  const { euCorpusDocuments } = await import('../src/node.js');
  const docs = await euCorpusDocuments({ split: 'train' });
  const tok = await trainBpeTokenizer(
    docs.map((d) => ({ lang: d.lang, text: d.text })),
    { vocabSize: 2000, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] },
  );
  const files = await exampleReports(tok);
  for (const [k, name] of Object.entries(EXAMPLE_FILES)) {
    writeFileSync(join(EXAMPLES_DIR, name), files[k as keyof typeof EXAMPLE_FILES]);
    console.log(`wrote ${join(EXAMPLES_DIR, name)}`);
  }
}
