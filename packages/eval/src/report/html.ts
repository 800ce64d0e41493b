/**
 * The report as one self-contained HTML page: tables plus charts rendered to inline SVG when
 * the page is built (per-language bars for bits per byte, task accuracy, generation chrF and
 * tokenizer parity, and the loss curves of a training run). No scripts, no external files or
 * fonts: it opens offline and prints.
 */
import type { McMetrics } from '../tasks/multiple-choice.js';
import {
  type ChartSpec,
  type CurvePoint,
  groupedBarChart,
  languageBarChart,
  lossCurveChart,
  renderChartSvg,
} from './charts.js';
import type { EvalReport } from './report.js';

const escapeHtml = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
const f = (x: number, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function table(head: string[], rows: (string | number)[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(String(c))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The chart specs a report has, each with an id (figure ids in the page). */
export function reportCharts(
  report: EvalReport,
): { id: string; caption: string; spec: ChartSpec }[] {
  const charts: { id: string; caption: string; spec: ChartSpec }[] = [];
  if (report.perplexity) {
    charts.push({
      id: 'chart-bits-per-byte',
      caption: 'Bits per byte by language (lower is better; comparable across tokenizers).',
      spec: languageBarChart(
        'Bits per byte',
        'bits per UTF-8 byte',
        report.perplexity.languages.map((r) => ({ lang: r.lang, value: r.bitsPerByte })),
      ),
    });
  }
  for (const [i, t] of report.multipleChoice.entries()) {
    const langs = Object.entries(t.byLang);
    const rows = langs.length > 0 ? langs : ([['all', t.metrics]] as [string, McMetrics][]);
    charts.push({
      id: `chart-task-${i}`,
      caption: `${t.task}: accuracy by language${t.smoke ? ' (smoke task, not a benchmark)' : ''}.`,
      spec: groupedBarChart(
        `${t.task}${t.smoke ? ' (smoke)' : ''}`,
        'accuracy',
        rows.flatMap(([lang, m]) =>
          (['acc', 'acc_norm', 'acc_bytes'] as const).map((k) => ({
            lang,
            series: k,
            value: m[k].value,
          })),
        ),
      ),
    });
  }
  for (const [i, g] of report.generation.entries()) {
    const langs = Object.entries(g.byLang);
    if (langs.length === 0) continue;
    charts.push({
      id: `chart-generation-${i}`,
      caption: `${g.task}: chrF++ by language.`,
      spec: languageBarChart(
        `${g.task}: chrF++`,
        'chrF++',
        langs.map(([lang, m]) => ({ lang, value: m['chrf++'].score })),
        '#3a9a5b',
      ),
    });
  }
  if (report.tokenizer) {
    charts.push({
      id: 'chart-tokenizer-parity',
      caption: `Tokenizer parity with '${report.tokenizer.reference}' (tokens for the same text; 1 is parity, higher costs more).`,
      spec: languageBarChart(
        'Tokenizer parity',
        `tokens / tokens of ${report.tokenizer.reference}`,
        report.tokenizer.rows.map((r) => ({ lang: r.lang, value: r.parity })),
        '#e39b1b',
      ),
    });
  }
  if (report.training && report.training.points.length > 0) {
    const series = [...new Set(report.training.points.flatMap((p) => Object.keys(p)))].filter((k) =>
      /loss/i.test(k),
    );
    const points: CurvePoint[] = report.training.points.flatMap((p) =>
      series
        .filter((k) => typeof p[k] === 'number')
        .map((k) => ({ step: p.step, series: k, value: p[k] })),
    );
    if (points.length > 0) {
      charts.push({
        id: 'chart-loss-curve',
        caption: `Training curves from ${report.training.source}.`,
        spec: lossCurveChart('Loss', points),
      });
    }
  }
  return charts;
}

/** Builds the HTML page (async: charts are rendered to SVG here). */
export async function reportToHtml(report: EvalReport): Promise<string> {
  const charts = await Promise.all(
    reportCharts(report).map(async (c) => ({ ...c, svg: await renderChartSvg(c.spec) })),
  );
  const sections: string[] = [];
  const figure = (id: string) => {
    const c = charts.find((x) => x.id === id);
    return c
      ? `<figure id="${c.id}">${c.svg}<figcaption>${escapeHtml(c.caption)}</figcaption></figure>`
      : '';
  };
  if (report.model) {
    const m = report.model;
    const cfg = Object.entries(m.config ?? {}).filter(([, v]) => v !== undefined && v !== null);
    sections.push(
      `<section><h2>Model</h2>${table(
        ['field', 'value'],
        [
          ...(m.name ? [['name', m.name]] : []),
          ...(m.path ? [['path', m.path]] : []),
          ...(m.parameters !== undefined
            ? [['parameters', m.parameters.toLocaleString('en-US')]]
            : []),
          ...cfg.map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
        ],
      )}</section>`,
    );
  }
  if (report.training)
    sections.push(`<section><h2>Training</h2>${figure('chart-loss-curve')}</section>`);
  if (report.perplexity) {
    const p = report.perplexity;
    sections.push(
      `<section><h2>Perplexity and bits per byte</h2><p>Context ${p.config.contextLength} tokens, stride ${p.config.stride}, prefix token ${p.config.prefixTokenId ?? 'none'}.</p>` +
        figure('chart-bits-per-byte') +
        table(
          ['language', 'texts', 'tokens', 'bytes', 'perplexity', 'bits/byte'],
          [...p.languages, p.all].map((r) => [
            r.lang,
            r.texts,
            r.tokens,
            r.bytes,
            Number(f(r.perplexity, 3)),
            Number(f(r.bitsPerByte)),
          ]),
        ) +
        '</section>',
    );
  }
  report.multipleChoice.forEach((t, i) => {
    sections.push(
      `<section><h2>Task: ${escapeHtml(t.task)}${t.smoke ? ' <span class="tag">smoke task, not a benchmark</span>' : ''}</h2>` +
        `<p>${t.n} documents, ${t.config.numFewshot}-shot, seed ${t.config.seed}.</p>` +
        table(
          ['metric', 'value', 'stderr'],
          (['acc', 'acc_norm', 'acc_bytes'] as const).map((k) => [
            k,
            Number(f(t.metrics[k].value)),
            Number(f(t.metrics[k].stderr)),
          ]),
        ) +
        figure(`chart-task-${i}`) +
        '</section>',
    );
  });
  report.generation.forEach((g, i) => {
    sections.push(
      `<section><h2>Generation: ${escapeHtml(g.task)}</h2>` +
        table(
          ['metric', 'score', 'signature'],
          [
            ['exact_match', Number(f(100 * g.metrics.exact_match.value, 1)), ''],
            [g.metrics.chrf.name, Number(f(g.metrics.chrf.score, 2)), g.metrics.chrf.signature],
            [
              g.metrics['chrf++'].name,
              Number(f(g.metrics['chrf++'].score, 2)),
              g.metrics['chrf++'].signature,
            ],
            ['BLEU', Number(f(g.metrics.bleu.score, 2)), g.metrics.bleu.signature],
          ],
        ) +
        figure(`chart-generation-${i}`) +
        '</section>',
    );
  });
  if (report.tokenizer) {
    const t = report.tokenizer;
    sections.push(
      `<section><h2>Tokenizer fairness</h2><p>Parallel text: ${escapeHtml(t.data.name)}; worst parity ${escapeHtml(t.worst.lang)} (${f(t.worst.parity, 3)}).</p>` +
        figure('chart-tokenizer-parity') +
        table(
          ['language', 'tokens', 'words', 'bytes', 'fertility', 'bytes/token', 'parity'],
          t.rows.map((r) => [
            r.lang,
            r.tokens,
            r.words,
            r.bytes,
            Number(f(r.fertility, 3)),
            Number(f(r.bytesPerToken, 3)),
            Number(f(r.parity, 3)),
          ]),
        ) +
        '</section>',
    );
  }
  sections.push(
    `<section><h2>Reproducibility</h2>` +
      table(
        ['item', 'value'],
        [
          ...Object.entries(report.versions).map(([k, v]) => [k, v]),
          ['backend', `${report.backend.name} (${report.backend.reason})`],
          ...Object.entries(report.seeds).map(([k, v]) => [`seed ${k}`, v]),
        ],
      ) +
      table(
        ['data', 'sha256'],
        report.data.map((d) => [d.name, d.sha256]),
      ) +
      `<details><summary>Configuration</summary><pre>${escapeHtml(JSON.stringify(report.config, null, 2))}</pre></details>` +
      '</section>',
  );
  const notes = report.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@openeurollm/eval ${escapeHtml(report.versions['@openeurollm/eval'] ?? '')}">
<title>${escapeHtml(report.title)}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.meta { color: #555; font-size: .9rem; } .note { background: #fff6e0; border-left: 4px solid #e39b1b; padding: .4rem .8rem; }
.tag { font-size: .75rem; background: #e39b1b; color: white; border-radius: 3px; padding: .1rem .4rem; vertical-align: middle; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .85rem; } th, td { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f4f4f6; }
figure { margin: 1rem 0; overflow-x: auto; } figcaption { color: #555; font-size: .85rem; }
pre { font-size: .8rem; background: #f7f7f9; padding: .6rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>${escapeHtml(report.title)}</h1>
<p class="meta">Created ${escapeHtml(report.createdAt)} with @openeurollm/eval ${escapeHtml(report.versions['@openeurollm/eval'] ?? '')} on the ${escapeHtml(report.backend.name)} backend.</p>
${notes}
${sections.join('\n')}
</body>
</html>
`;
}
