/**
 * Shared test fixtures: the embedded corpus (read from the package's corpus/ folder, as the Node
 * entry does) and a small byte-level BPE tokenizer trained on it in the test run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tokenizer, trainBpeTokenizer } from '@openeurollm/tokenizer';
import type { Document } from '../src/document.js';
import { euCorpusDocuments } from '../src/node-assets.js';

let tokenizer: Promise<Tokenizer> | null = null;

/** A 2,000-token byte-level BPE trained on the embedded corpus's train split (once per file). */
export function corpusTokenizer(): Promise<Tokenizer> {
  tokenizer ??= (async () => {
    const docs = await euCorpusDocuments({ split: 'train' });
    return trainBpeTokenizer(
      docs.map((d) => ({ lang: d.lang, text: d.text })),
      {
        vocabSize: 2000,
        specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
      },
    );
  })();
  return tokenizer;
}

/** A fresh temporary folder; `cleanup()` removes it. */
export function tempDir(prefix = 'oellm-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Lines of 200+ characters of the validation split's running-text documents, with language. */
export function heldOutParagraphs(
  docs: Document[],
  min = 200,
): { lang: string; text: string; id: string }[] {
  return docs
    .filter((d) => d.meta.split === 'validation' && d.meta.kind !== 'ui')
    .flatMap((d) =>
      d.text
        .split('\n')
        .filter((p) => p.length >= min)
        .map((text) => ({ lang: d.lang, text, id: d.id })),
    );
}
