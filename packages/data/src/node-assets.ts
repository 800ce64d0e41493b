/**
 * The Node side of the package's assets: the embedded corpus read from the package's corpus/
 * folder on disk, and the Node versions of the functions that load it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Document } from './document.js';
import {
  type AssetLoader,
  type EuCorpusOptions,
  euCorpus as euCorpusCore,
  euCorpusDocuments as euCorpusDocumentsCore,
} from './eu-corpus.js';
import type {
  LanguageIdentifier,
  LanguageIdentifierOptions,
} from './language-id/language-identifier.js';
import type { Source, Stage } from './pipeline.js';
import {
  defaultLanguageIdentifier as defaultLidCore,
  type IdentifyLanguageOptions,
  identifyLanguage as identifyLanguageCore,
  trainLanguageIdentifier as trainLidCore,
} from './stages/identify-language.js';

/** Reads a file of the package's corpus/ folder. */
export const fileAsset: AssetLoader = async (name) => {
  const path = fileURLToPath(new URL(`../corpus/${name}`, import.meta.url));
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new Error(
      `@openeurollm/data: cannot read the embedded corpus file ${path} (${(e as Error).message}); the package's corpus/ folder is missing`,
    );
  }
};

/** The embedded corpus as a pipeline source (name 'eu24'); also iterable on its own. */
export function euCorpus(options: EuCorpusOptions = {}): Source & AsyncIterable<Document> {
  return euCorpusCore({ load: fileAsset, ...options });
}

/** Copies of the selected documents of the embedded corpus. */
export function euCorpusDocuments(options: EuCorpusOptions = {}): Promise<Document[]> {
  return euCorpusDocumentsCore({ load: fileAsset, ...options });
}

/** The default language identifier (trained once per process on the embedded corpus's train split). */
export function defaultLanguageIdentifier(
  options: { load?: AssetLoader } = {},
): Promise<LanguageIdentifier> {
  return defaultLidCore({ load: fileAsset, ...options });
}

/** Trains an identifier on the embedded corpus's train split with other settings. */
export function trainLanguageIdentifier(
  options: LanguageIdentifierOptions & { load?: AssetLoader; languages?: readonly string[] } = {},
): Promise<LanguageIdentifier> {
  return trainLidCore({ load: fileAsset, ...options });
}

/** The language identification stage (see the core's identifyLanguage). */
export function identifyLanguage(options: IdentifyLanguageOptions = {}): Stage {
  return identifyLanguageCore({ load: fileAsset, ...options });
}
