/**
 * Language identification stage: sets each document's `lang` to the language the identifier
 * finds among the allowed ones, with `meta.langConfidence`; removes documents whose language is
 * undetermined, not allowed, or found with less confidence than the threshold.
 */
import { type AssetLoader, euCorpusDocuments, fetchAsset } from '../eu-corpus.js';
import {
  LanguageIdentifier,
  type LanguageIdentifierOptions,
} from '../language-id/language-identifier.js';
import { EU_LANGUAGES } from '../languages.js';
import { documentStage, type Stage } from '../pipeline.js';

const models = new Map<AssetLoader, Promise<LanguageIdentifier>>();

/**
 * The default identifier: the n-gram model (orders 1-5, 2^16 buckets) trained on the train
 * split of the embedded corpus, once per process (about a second).
 */
export function defaultLanguageIdentifier(
  options: { load?: AssetLoader } = {},
): Promise<LanguageIdentifier> {
  const load = options.load ?? fetchAsset;
  let p = models.get(load);
  if (!p) {
    p = euCorpusDocuments({ split: 'train', load }).then((docs) =>
      LanguageIdentifier.train(docs, { languages: EU_LANGUAGES }),
    );
    p.catch(() => models.delete(load));
    models.set(load, p);
  }
  return p;
}

/** Trains an identifier on the embedded corpus's train split with other settings. */
export async function trainLanguageIdentifier(
  options: LanguageIdentifierOptions & { load?: AssetLoader; languages?: readonly string[] } = {},
): Promise<LanguageIdentifier> {
  const docs = await euCorpusDocuments({ split: 'train', load: options.load });
  return LanguageIdentifier.train(docs, {
    ...options,
    languages: options.languages ?? EU_LANGUAGES,
  });
}

export interface IdentifyLanguageOptions {
  /** Languages to keep (ISO 639-1). Default the 24 official EU languages. */
  languages?: readonly string[];
  /**
   * Minimum confidence (see LanguageGuess.confidence). Default 0.5; on held-out paragraphs of
   * 200+ characters of the embedded corpus the correct language scores above 0.99 (see
   * docs/packages/data.md).
   */
  threshold?: number;
  /** The identifier; default `defaultLanguageIdentifier()`. */
  identifier?: LanguageIdentifier;
  /** UTF-16 units of each document looked at (three evenly spaced samples of a longer one). Default 1000. */
  maxChars?: number;
  /** Loader of the embedded corpus for the default identifier (the Node entry sets it). */
  load?: AssetLoader;
}

/**
 * The stage (ledger name 'language-id'). Removal reasons: 'undetermined', 'low-confidence',
 * 'not-allowed'; a document whose declared `lang` differs from the identified one is counted
 * as changed ('relabelled') and keeps the declared one in `meta.declaredLang`.
 */
export function identifyLanguage(options: IdentifyLanguageOptions = {}): Stage {
  const threshold = options.threshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new Error(`identifyLanguage: options.threshold must be in [0, 1], got ${threshold}`);
  }
  const allowed = new Set(options.languages ?? EU_LANGUAGES);
  const maxChars = options.maxChars ?? 1000;
  return documentStage(
    'language-id',
    {
      languages: [...allowed],
      threshold,
      maxChars,
      model: options.identifier ? 'given' : 'ngram-nb trained on eu24 train split',
    },
    async () => {
      const lid = options.identifier ?? (await defaultLanguageIdentifier({ load: options.load }));
      return (doc, o) => {
        const guess = lid.identify(doc.text, { maxChars });
        doc.meta.langConfidence = Math.round(guess.confidence * 1e4) / 1e4;
        if (guess.lang === 'und') return o.remove('undetermined');
        if (doc.lang !== 'und' && doc.lang !== guess.lang) {
          doc.meta.declaredLang = doc.lang;
          o.change('relabelled');
        }
        doc.lang = guess.lang;
        if (!allowed.has(guess.lang)) return o.remove('not-allowed');
        if (guess.confidence < threshold) return o.remove('low-confidence');
        return doc;
      };
    },
  );
}
