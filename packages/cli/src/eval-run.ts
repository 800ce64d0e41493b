/** Evaluating a model per language and writing eval.json, eval.md and report.html. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { euCorpusDocuments, readFiles } from '@openeurollm/data';
import { getBackend } from '@openeurollm/tensor';
import { fairnessReport } from '@openeurollm/tokenizer';
import { IM_END } from './chat-format.js';
import { capTexts, perplexityByLanguage } from './evaluate.js';
import { streamTokens, TextStreamer } from './generation.js';
import type { LoadedModel } from './model-source.js';
import type { Output } from './output.js';
import { alignedTexts, parallelArticles } from './parallel.js';
import { Progress } from './progress.js';
import { type EvalResults, evalHtml, evalMarkdown, readMetrics, type Sample } from './report.js';
import { versions } from './versions.js';

export const SAMPLE_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pl', 'nl', 'sv', 'el', 'cs'];

export interface EvaluateOptions {
  languages?: readonly string[];
  maxBytesPerLanguage: number;
  /** Score these files (their documents' `lang`) instead of the embedded validation split. */
  files?: string[];
  /** Languages to sample from (default: up to 6 of SAMPLE_LANGUAGES that were evaluated). */
  sampleLanguages?: readonly string[];
  sampleTokens: number;
  /** Prompt per language (default: the first words of UDHR article 1 in that language). */
  prompts?: Record<string, string>;
  seed?: number;
}

/** The first `words` words of UDHR article 1 per language (a prompt every EU language has). */
export async function defaultPrompts(words = 4): Promise<Record<string, string>> {
  const articles = await parallelArticles();
  return Object.fromEntries(
    Object.entries(articles)
      .filter(([, a]) => a[1])
      .map(([lang, a]) => [lang, a[1].split(/\s+/).slice(0, words).join(' ')]),
  );
}

/** Continues `prompt` with the model; returns the continuation's text. */
export function sampleText(
  m: LoadedModel,
  prompt: string,
  o: { maxNewTokens: number; seed: number; temperature?: number; topK?: number },
): string {
  const ids = m.tokenizer.encodeIds(prompt, { addSpecialTokens: false });
  const eos = m.model.config.eosTokenId;
  const imEnd = m.tokenizer.tokenToId(IM_END);
  const streamer = new TextStreamer((x) => m.tokenizer.decode(x, { skipSpecialTokens: true }));
  let text = '';
  for (const id of streamTokens(m.model, ids.length ? ids : [eos[0] ?? 0], {
    maxNewTokens: o.maxNewTokens,
    seed: o.seed,
    temperature: o.temperature ?? 0.8,
    topK: o.topK ?? 40,
    stop: [...eos, ...(imEnd !== undefined ? [imEnd] : [])],
  })) {
    text += streamer.push(id);
  }
  return text + streamer.flush();
}

export async function evaluateModel(
  m: LoadedModel,
  o: EvaluateOptions,
  out: Output,
): Promise<EvalResults> {
  const t0 = performance.now();
  let docs: { lang: string; text: string }[];
  let source: string;
  if (o.files && o.files.length > 0) {
    docs = [];
    for await (const d of readFiles(o.files)) docs.push({ lang: d.lang, text: d.text });
    source = o.files.join(', ');
  } else {
    docs = await euCorpusDocuments({ split: 'validation', languages: o.languages });
    source = 'eu24 (embedded corpus)';
  }
  const texts = capTexts(docs, o.maxBytesPerLanguage, o.languages);
  const total = Object.values(texts).reduce((s, t) => s + t.length, 0);
  const progress = new Progress(out, { label: 'eval', total, unit: 'texts' });
  let done = 0;
  const perplexity = await perplexityByLanguage(m.model, m.tokenizer, texts, {
    onLanguage: (_lang, n) => {
      done += n;
      progress.update(done);
    },
  });
  progress.finish(
    `bits/byte ${perplexity.all.bitsPerByte.toFixed(3)} over ${perplexity.languages.length} languages`,
  );

  const evaluated = perplexity.languages.map((l) => l.lang);
  const prompts = { ...(await defaultPrompts()), ...o.prompts };
  const sampleLangs = (
    o.sampleLanguages ?? SAMPLE_LANGUAGES.filter((l) => evaluated.includes(l)).slice(0, 6)
  ).filter((l) => prompts[l]);
  const samples: Sample[] = sampleLangs.map((lang) => ({
    lang,
    prompt: prompts[lang],
    completion: sampleText(m, prompts[lang], { maxNewTokens: o.sampleTokens, seed: o.seed ?? 0 }),
  }));

  const aligned = alignedTexts(
    await parallelArticles(),
    evaluated.includes('en') ? evaluated : ['en', ...evaluated],
  );
  const fairness =
    Object.keys(aligned).length > 1 ? await fairnessReport(m.tokenizer, aligned) : null;
  const parameters = m.model.parameters().reduce((s, p) => s + p.size, 0);
  return {
    format: 'oellm-eval',
    version: 1,
    model: {
      path: m.modelDir,
      arch: m.model.config.arch,
      parameters,
      vocabSize: m.model.config.vocabSize,
      contextLength: m.model.config.contextLength,
    },
    data: {
      source,
      split: o.files ? 'all' : 'validation',
      maxBytesPerLanguage: o.maxBytesPerLanguage,
    },
    perplexity,
    samples,
    tokenizerParity: fairness
      ? fairness.rows.map((r) => ({
          lang: r.lang,
          parity: r.parity,
          fertility: r.fertility,
          bytesPerToken: r.bytesPerToken,
        }))
      : null,
    createdAt: new Date().toISOString(),
    versions: versions(),
    backend: getBackend().name,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Writes eval.json, eval.md and report.html into `dir`; returns their paths. */
export function writeEvalOutputs(
  r: EvalResults,
  dir: string,
  metricsPath: string | null,
): { json: string; markdown: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const paths = {
    json: join(dir, 'eval.json'),
    markdown: join(dir, 'eval.md'),
    html: join(dir, 'report.html'),
  };
  writeFileSync(paths.json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(paths.markdown, evalMarkdown(r));
  writeFileSync(paths.html, evalHtml(r, metricsPath ? readMetrics(metricsPath) : []));
  return paths;
}
