/**
 * The Universal Declaration of Human Rights in corpus documents: the embedded corpus of
 * @openeurollm/data splits each language's declaration into parts (`meta.parent.part`); these
 * join them back, and cut the text into its 30 articles.
 */
import type { Document } from '@openeurollm/data';

/** The UDHR per language, its parts joined back in order, languages sorted. */
export function udhrParallelTexts(documents: readonly Document[]): Record<string, string> {
  const parts = new Map<string, { part: number; text: string }[]>();
  for (const d of documents) {
    if (d.source?.name !== 'udhr' && !/-udhr(-\d+)?$/.test(d.id)) continue;
    const part = (d.meta?.parent as { part?: number } | undefined)?.part ?? 0;
    parts.set(d.lang, [...(parts.get(d.lang) ?? []), { part, text: d.text }]);
  }
  const out: Record<string, string> = {};
  for (const [lang, list] of [...parts].sort(([a], [b]) => a.localeCompare(b))) {
    out[lang] = list
      .sort((a, b) => a.part - b.part)
      .map((p) => p.text)
      .join('\n');
  }
  return out;
}

/** The first paragraph of each of the 30 articles, per language. */
export function udhrArticles(documents: readonly Document[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [lang, text] of Object.entries(udhrParallelTexts(documents))) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    // article headings are short lines with the article's number ("Article 3", "3. cikk")
    const heads = lines.flatMap((l, i) => (l.length <= 25 && /\d/.test(l) ? [i] : []));
    if (heads.length === 29) {
      // French numbers the first article "Article premier": the short line before article 2's body
      let first = heads[0] - 1;
      while (first >= 0 && lines[first].length > 25) first--;
      heads.unshift(first);
    }
    if (heads.length !== 30) {
      throw new Error(
        `udhrArticles: found ${heads.length} article headings in '${lang}', expected 30`,
      );
    }
    out.set(
      lang,
      heads.map((i) => lines[i + 1]),
    );
  }
  return out;
}
