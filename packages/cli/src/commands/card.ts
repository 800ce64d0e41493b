/** `oellm card <runDir>`: model card + datasheet + AI Act training-content summary of a run. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDocuments } from '../card.js';
import type { Output } from '../output.js';
import { RUN_FILES, RunFolder } from '../run-folder.js';

export interface CardCommandOptions {
  provider?: string;
  contact?: string;
  license?: string;
  modelName?: string;
}

/** Writes the run's documents; returns the paths written. */
export function writeRunDocuments(
  runDir: string,
  o: CardCommandOptions = {},
): Record<string, string> {
  const folder = new RunFolder(runDir);
  const docs = runDocuments(runDir, {
    provider: o.provider || o.contact ? { name: o.provider, contact: o.contact } : undefined,
    license: o.license,
    modelName: o.modelName,
  });
  const written: Record<string, string> = {};
  writeFileSync(folder.path('card'), docs.card);
  written.card = folder.path('card');
  // the model folder's README.md is its card on the Hugging Face Hub
  if (existsSync(join(folder.path('model'), 'config.json'))) {
    writeFileSync(join(folder.path('model'), 'README.md'), docs.card);
    written.modelReadme = join(folder.path('model'), 'README.md');
  }
  if (docs.datasheet) {
    writeFileSync(folder.path('datasheet'), docs.datasheet);
    written.datasheet = folder.path('datasheet');
  }
  if (docs.summaryMarkdown) {
    writeFileSync(folder.path('summaryMarkdown'), docs.summaryMarkdown);
    writeFileSync(folder.path('summaryJson'), `${JSON.stringify(docs.summaryJson, null, 2)}\n`);
    written.trainingContentSummary = folder.path('summaryMarkdown');
    written.trainingContentSummaryJson = folder.path('summaryJson');
  }
  return written;
}

export async function cardCommand(
  out: Output,
  runDir: string,
  o: CardCommandOptions,
): Promise<void> {
  const written = writeRunDocuments(runDir, o);
  out.result({ runDir, files: written }, () => {
    for (const [what, path] of Object.entries(written)) out.print(`${what.padEnd(28)} ${path}`);
    if (!existsSync(join(runDir, RUN_FILES.evalJson)))
      out.note('no eval.json yet: run `oellm eval` for the evaluation section');
  });
}
