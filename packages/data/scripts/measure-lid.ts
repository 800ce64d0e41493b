/**
 * Measures language identifiers on held-out paragraphs of the embedded corpus: the lines of
 * 200+ characters (and, separately, 50-199) of the validation split's documents, UI-string
 * documents aside. Candidates: this package's n-gram model (trained on the train split) and
 * the maintained JavaScript libraries franc, franc-all, eld, tinyld and cld3-asm (dev
 * dependencies of this package, used only here).
 *
 *   npx tsx scripts/measure-lid.ts [--quick]
 *
 * Prints per-language accuracy and the time per paragraph; the figures go into
 * docs/packages/data.md.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { LanguageIdentifier } from '../src/language-id/language-identifier.js';
import { EU_LANGUAGES, LANGUAGE_INFO } from '../src/languages.js';

interface Doc {
  id: string;
  lang: string;
  text: string;
  source: { sha256: string };
  meta: { kind: string; split: string };
}

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const docs: Doc[] = gunzipSync(readFileSync(join(pkgDir, 'corpus', 'eu24.jsonl.gz')))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const quick = process.argv.includes('--quick');

const train = docs.filter((d) => d.meta.split === 'train');
const held = docs.filter((d) => d.meta.split === 'validation' && d.meta.kind !== 'ui');
const paragraphs = (min: number, max: number, from = held) =>
  from.flatMap((d) =>
    d.text
      .split('\n')
      .filter((p) => p.length >= min && p.length < max)
      .map((text) => ({ lang: d.lang, text })),
  );
const long = paragraphs(200, Infinity);
const short = paragraphs(50, 200);

type Detect = (text: string) => string;

function evaluate(name: string, detect: Detect, set: { lang: string; text: string }[]) {
  const ok: Record<string, number> = {};
  const n: Record<string, number> = {};
  const t0 = performance.now();
  for (const p of set) {
    n[p.lang] = (n[p.lang] ?? 0) + 1;
    if (detect(p.text) === p.lang) ok[p.lang] = (ok[p.lang] ?? 0) + 1;
  }
  const ms = (performance.now() - t0) / set.length;
  const acc = Object.fromEntries(EU_LANGUAGES.map((l) => [l, (ok[l] ?? 0) / (n[l] ?? 1)]));
  const min = Math.min(...Object.values(acc));
  const all = Object.values(ok).reduce((a, b) => a + b, 0) / set.length;
  return { name, acc, min, all, ms, n };
}

const iso3to1 = new Map(EU_LANGUAGES.map((l) => [LANGUAGE_INFO[l].iso639_3, l as string]));
// franc names Estonian and Latvian by their individual-language codes
iso3to1.set('ekk', 'et').set('lvs', 'lv');
iso3to1.delete('est');
iso3to1.delete('lav');
const candidates: [string, () => Promise<Detect>][] = [];

const own = (opts: { maxOrder?: number; buckets?: number }) => async () => {
  const t0 = performance.now();
  const lid = LanguageIdentifier.train(train, { ...opts, languages: EU_LANGUAGES });
  console.error(`  trained in ${(performance.now() - t0).toFixed(0)} ms`);
  return (text: string) => lid.identify(text).lang;
};
candidates.push(['ngram-nb (orders 1-5, 2^16 buckets)', own({})]);
if (!quick) {
  candidates.push(['ngram-nb (orders 1-4, 2^16)', own({ maxOrder: 4 })]);
  candidates.push(['ngram-nb (orders 1-5, 2^14)', own({ buckets: 1 << 14 })]);
  candidates.push(['ngram-nb (orders 1-5, 2^18)', own({ buckets: 1 << 18 })]);
  candidates.push(['ngram-nb (orders 1-3, 2^16)', own({ maxOrder: 3 })]);
}
candidates.push([
  'franc-all 7.2 (only the 24)',
  async () => {
    const { franc } = await import('franc-all');
    const only = [...iso3to1.keys()];
    return (text) => iso3to1.get(franc(text, { only, minLength: 1 })) ?? 'und';
  },
]);
candidates.push([
  'franc 6.2 (only the 23 it has; no mt)',
  async () => {
    const { franc } = await import('franc');
    const only = [...iso3to1.keys()].filter((c) => c !== 'mlt');
    return (text) => iso3to1.get(franc(text, { only, minLength: 1 })) ?? 'und';
  },
]);
candidates.push([
  'eld 2.1 large (subset of the 22 it has; no ga, mt)',
  async () => {
    const { eld } = await import('eld/large');
    eld.setLanguageSubset(EU_LANGUAGES.filter((l) => l !== 'ga' && l !== 'mt'));
    return (text) => eld.detect(text).language || 'und';
  },
]);
candidates.push([
  'tinyld 1.3 heavy (only the 23 it has; no mt)',
  async () => {
    const { detect } = await import('tinyld/heavy');
    const only = EU_LANGUAGES.filter((l) => l !== 'mt');
    return (text) => detect(text, { only }) || 'und';
  },
]);
candidates.push([
  'cld3-asm 4.0 (unrestricted)',
  async () => {
    const { loadModule } = await import('cld3-asm');
    const factory = await loadModule();
    const id = factory.create(0, 1000);
    return (text) => {
      const r = id.findLanguage(text).language as string;
      return r === 'iw' ? 'he' : r;
    };
  },
]);

console.log(
  `held-out paragraphs: ${long.length} of 200+ chars, ${short.length} of 50-199 chars, from ${held.length} validation documents (ui aside); training: ${train.length} documents`,
);
const results: { long: ReturnType<typeof evaluate>; short: ReturnType<typeof evaluate> }[] = [];
for (const [name, make] of candidates) {
  console.error(name);
  const detect = await make();
  results.push({ long: evaluate(name, detect, long), short: evaluate(name, detect, short) });
}
const pct = (x: number) => (100 * x).toFixed(1);
console.log(
  '\n| identifier | all 200+ | worst language 200+ | all 50-199 | worst 50-199 | ms/paragraph |',
);
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  const worst = (e: typeof r.long) =>
    `${pct(e.min)} (${EU_LANGUAGES.filter((l) => e.acc[l] === e.min).join(', ')})`;
  console.log(
    `| ${r.long.name} | ${pct(r.long.all)} | ${worst(r.long)} | ${pct(r.short.all)} | ${worst(r.short)} | ${r.long.ms.toFixed(3)} |`,
  );
}
console.log(`\nper language, paragraphs of 200+ characters (n = paragraphs):`);
console.log(`| identifier | ${EU_LANGUAGES.join(' | ')} |`);
console.log(`|---|${EU_LANGUAGES.map(() => '---').join('|')}|`);
console.log(`| n | ${EU_LANGUAGES.map((l) => results[0].long.n[l] ?? 0).join(' | ')} |`);
for (const r of results) {
  console.log(`| ${r.long.name} | ${EU_LANGUAGES.map((l) => pct(r.long.acc[l])).join(' | ')} |`);
}

// 5-fold cross-validation by document hash over all running-text documents: every paragraph
// of 200+ characters is scored by a model that did not see its document (UI documents always
// train). The libraries, which never saw this corpus, score the same paragraphs.
const running = docs.filter((d) => d.meta.kind !== 'ui');
const fold = (d: Doc) => Number.parseInt(d.source.sha256.slice(0, 8), 16) % 5;
const cvSet = paragraphs(200, Infinity, running);
const cvOk: Record<string, number> = {};
const cvN: Record<string, number> = {};
for (let k = 0; k < 5; k++) {
  const lid = LanguageIdentifier.train(
    docs.filter((d) => d.meta.kind === 'ui' || fold(d) !== k),
    { languages: EU_LANGUAGES },
  );
  for (const p of paragraphs(
    200,
    Infinity,
    running.filter((d) => fold(d) === k),
  )) {
    cvN[p.lang] = (cvN[p.lang] ?? 0) + 1;
    if (lid.identify(p.text).lang === p.lang) cvOk[p.lang] = (cvOk[p.lang] ?? 0) + 1;
  }
}
console.log(
  `\nall ${cvSet.length} running-text paragraphs of 200+ characters (ngram-nb: 5-fold cross-validation by document hash):`,
);
console.log(`| identifier | all | ${EU_LANGUAGES.join(' | ')} |`);
console.log(`|---|---|${EU_LANGUAGES.map(() => '---').join('|')}|`);
console.log(`| n | ${cvSet.length} | ${EU_LANGUAGES.map((l) => cvN[l] ?? 0).join(' | ')} |`);
const cvAll = Object.values(cvOk).reduce((a, b) => a + b, 0) / cvSet.length;
console.log(
  `| ngram-nb (orders 1-5, 2^16), 5-fold | ${pct(cvAll)} | ${EU_LANGUAGES.map((l) => pct((cvOk[l] ?? 0) / (cvN[l] ?? 1))).join(' | ')} |`,
);
for (const [name, make] of candidates.slice(quick ? 1 : 5)) {
  const e = evaluate(name, await make(), cvSet);
  console.log(
    `| ${name} | ${pct(e.all)} | ${EU_LANGUAGES.map((l) => pct(e.acc[l])).join(' | ')} |`,
  );
}
