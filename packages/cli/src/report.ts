/**
 * The evaluation report of a model: eval.json (numbers, with versions and data hashes),
 * eval.md (tables), and report.html, one self-contained page (inline SVG charts, no scripts,
 * no network) with bits per byte per language, the training curves of metrics.jsonl, the
 * tokenizer's parity and generated samples.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { PerplexityReport } from './evaluate.js';

export interface Sample {
  lang: string;
  prompt: string;
  completion: string;
}

export interface ParityRow {
  lang: string;
  parity: number;
  fertility: number;
  bytesPerToken: number;
}

export interface EvalResults {
  format: 'oellm-eval';
  version: 1;
  model: {
    path: string;
    arch: string;
    parameters: number;
    vocabSize: number;
    contextLength: number;
  };
  data: { source: string; split: string; maxBytesPerLanguage: number };
  perplexity: PerplexityReport;
  samples: Sample[];
  tokenizerParity: ParityRow[] | null;
  createdAt: string;
  versions: Record<string, string | null>;
  backend: string;
  seconds: number;
}

export interface MetricsPoint {
  step: number;
  loss?: number;
  evalLoss?: number;
  lr?: number;
  tokens?: number;
}

/** Reads metrics.jsonl (a line cut short at the end is skipped). */
export function readMetrics(path: string): MetricsPoint[] {
  if (!existsSync(path)) return [];
  const out: MetricsPoint[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsPoint);
    } catch {
      // the last line of a killed run may be torn
    }
  }
  return out;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A horizontal bar chart as SVG. */
export function barChart(
  rows: { label: string; value: number }[],
  options: { title: string; unit?: string; width?: number },
): string {
  const width = options.width ?? 640;
  const bar = 18;
  const gap = 6;
  const left = 48;
  const right = 70;
  const top = 28;
  const max = Math.max(1e-9, ...rows.map((r) => (Number.isFinite(r.value) ? r.value : 0)));
  const height = top + rows.length * (bar + gap) + 10;
  const scale = (width - left - right) / max;
  const items = rows
    .map((r, i) => {
      const y = top + i * (bar + gap);
      const w = Number.isFinite(r.value) ? Math.max(1, r.value * scale) : 0;
      return `<text x="${left - 6}" y="${y + bar * 0.75}" text-anchor="end">${esc(r.label)}</text><rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="#3b6ea8"><title>${esc(r.label)}: ${r.value}</title></rect><text x="${(left + w + 4).toFixed(1)}" y="${y + bar * 0.75}">${Number.isFinite(r.value) ? r.value.toFixed(3) : 'n/a'}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(options.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12"><text x="0" y="16" font-weight="bold">${esc(options.title)}</text>${items}</svg>`;
}

/** Line chart of one or more series against step, as SVG. */
export function lineChart(
  series: { name: string; color: string; points: [number, number][] }[],
  options: { title: string; width?: number; height?: number },
): string {
  const width = options.width ?? 640;
  const height = options.height ?? 260;
  const pad = { left: 48, right: 16, top: 28, bottom: 32 };
  const all = series
    .flatMap((s) => s.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (all.length === 0) return '';
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys, Math.min(...ys) + 1e-6)];
  const sx = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (y: number) =>
    height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const lines = series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const d = s.points
        .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
        .join('');
      const dots =
        s.points.length < 30
          ? s.points
              .map(
                ([x, y]) =>
                  `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`,
              )
              .join('')
          : '';
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>${dots}`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${pad.left + 10 + i * 120}" y="${pad.top - 2}" width="10" height="10" fill="${s.color}"/><text x="${pad.left + 24 + i * 120}" y="${pad.top + 7}">${esc(s.name)}</text>`,
    )
    .join('');
  const axes = `<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#888"/><line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#888"/><text x="${pad.left}" y="${height - 8}">step ${x0}</text><text x="${width - pad.right}" y="${height - 8}" text-anchor="end">${x1}</text><text x="${pad.left - 4}" y="${sy(y1) + 4}" text-anchor="end">${y1.toFixed(2)}</text><text x="${pad.left - 4}" y="${sy(y0) + 4}" text-anchor="end">${y0.toFixed(2)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(options.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12"><text x="0" y="16" font-weight="bold">${esc(options.title)}</text>${axes}${lines}${legend}</svg>`;
}

/** The Markdown tables of an evaluation. */
export function evalMarkdown(r: EvalResults): string {
  const lines = [
    `# Evaluation of ${r.model.path}`,
    '',
    `${r.model.arch}, ${r.model.parameters} parameters, vocabulary ${r.model.vocabSize}, context ${r.model.contextLength}; data: ${r.data.source} (${r.data.split} split, up to ${r.data.maxBytesPerLanguage} bytes per language); backend ${r.backend}.`,
    '',
    '| language | texts | bytes | tokens | perplexity | bits per byte |',
    '|---|---:|---:|---:|---:|---:|',
    ...[...r.perplexity.languages, r.perplexity.all].map(
      (l) =>
        `| ${l.lang} | ${l.texts} | ${l.bytes} | ${l.tokens} | ${l.perplexity.toFixed(2)} | ${l.bitsPerByte.toFixed(3)} |`,
    ),
    '',
    'Bits per byte = total negative log-likelihood / ln 2 / UTF-8 bytes: comparable across tokenizers (lower is better).',
  ];
  if (r.tokenizerParity) {
    lines.push(
      '',
      '## Tokenizer parity',
      '',
      'Tokens per language on the same text (UDHR articles), relative to English.',
      '',
      '| language | parity | tokens/word | bytes/token |',
      '|---|---:|---:|---:|',
    );
    for (const p of r.tokenizerParity)
      lines.push(
        `| ${p.lang} | ${p.parity.toFixed(2)} | ${p.fertility.toFixed(2)} | ${p.bytesPerToken.toFixed(2)} |`,
      );
  }
  if (r.samples.length > 0) {
    lines.push('', '## Samples', '');
    for (const s of r.samples)
      lines.push(`- **${s.lang}**: ${s.prompt} **→** ${s.completion.replace(/\n/g, ' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The self-contained HTML report. */
export function evalHtml(
  r: EvalResults,
  metrics: MetricsPoint[],
  title = 'OpenEuroLLM evaluation report',
): string {
  const bpb = barChart(
    r.perplexity.languages.map((l) => ({ label: l.lang, value: l.bitsPerByte })),
    { title: 'Bits per byte by language (lower is better)' },
  );
  const train = metrics
    .filter((m) => typeof m.loss === 'number')
    .map((m) => [m.step, m.loss as number] as [number, number]);
  const val = metrics
    .filter((m) => typeof m.evalLoss === 'number')
    .map((m) => [m.step, m.evalLoss as number] as [number, number]);
  const curve = lineChart(
    [
      { name: 'training loss', color: '#3b6ea8', points: train },
      { name: 'validation loss', color: '#d0702c', points: val },
    ],
    { title: 'Loss during training (nats per token)' },
  );
  const parity = r.tokenizerParity
    ? barChart(
        r.tokenizerParity.map((p) => ({ label: p.lang, value: p.parity })),
        { title: 'Tokenizer parity: tokens relative to English on the same text (1 = equal)' },
      )
    : '';
  const rows = [...r.perplexity.languages, r.perplexity.all]
    .map(
      (l) =>
        `<tr><td>${esc(l.lang)}</td><td>${l.texts}</td><td>${l.bytes}</td><td>${l.tokens}</td><td>${l.perplexity.toFixed(2)}</td><td>${l.bitsPerByte.toFixed(3)}</td></tr>`,
    )
    .join('');
  const samples = r.samples
    .map(
      (s) =>
        `<tr><td>${esc(s.lang)}</td><td>${esc(s.prompt)}</td><td>${esc(s.completion)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.samples td{text-align:left;vertical-align:top}figure{margin:1.5em 0}code{background:#f3f3f3;padding:1px 4px}</style>
</head><body>
<h1>${esc(title)}</h1>
<p>Model <code>${esc(r.model.path)}</code>: ${esc(r.model.arch)}, ${r.model.parameters} parameters, vocabulary ${r.model.vocabSize}, context ${r.model.contextLength}. Evaluated on ${esc(r.data.source)} (${esc(r.data.split)} split, up to ${r.data.maxBytesPerLanguage} bytes per language) on the ${esc(r.backend)} backend, ${esc(r.createdAt)}.</p>
<figure id="bits-per-byte">${bpb}</figure>
${curve ? `<figure id="loss-curve">${curve}</figure>` : ''}
<h2>Per language</h2>
<table id="per-language"><thead><tr><th>language</th><th>texts</th><th>bytes</th><th>tokens</th><th>perplexity</th><th>bits per byte</th></tr></thead><tbody>${rows}</tbody></table>
<p>Bits per byte = total negative log-likelihood / ln 2 / UTF-8 bytes, comparable across tokenizers. Perplexity is per token of this model's tokenizer.</p>
${parity ? `<h2>Tokenizer</h2><figure id="parity">${parity}</figure>` : ''}
${samples ? `<h2>Samples</h2><table class="samples"><thead><tr><th>language</th><th>prompt</th><th>continuation</th></tr></thead><tbody>${samples}</tbody></table>` : ''}
<p><small>Generated by oellm ${esc(r.versions['@openeurollm/cli'] ?? '')} (Node ${esc(r.versions.node ?? '')}).</small></p>
</body></html>
`;
}
