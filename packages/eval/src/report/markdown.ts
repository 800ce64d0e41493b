/** The report as Markdown tables (GitHub-flavoured). */
import type { EvalReport } from './report.js';

const f = (x: number, digits = 4) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : String(x));
const esc = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) =>
    `| ${cells.map((c) => esc(String(c))).join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

export function reportToMarkdown(report: EvalReport): string {
  const out: string[] = [`# ${report.title}`, ''];
  out.push(
    `Created ${report.createdAt} · ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')} · backend ${report.backend.name}`,
    '',
  );
  for (const n of report.notes) out.push(`> ${n}`, '');
  if (report.model) {
    const m = report.model;
    out.push('## Model', '');
    const cfg = m.config
      ? Object.entries(m.config).filter(([, v]) => v !== undefined && v !== null)
      : [];
    out.push(
      table(
        ['field', 'value'],
        [
          ...(m.name ? [['name', m.name]] : []),
          ...(m.path ? [['path', m.path]] : []),
          ...(m.parameters !== undefined
            ? [['parameters', m.parameters.toLocaleString('en-US')]]
            : []),
          ...cfg.map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]),
        ],
      ),
      '',
    );
  }
  if (report.perplexity) {
    const p = report.perplexity;
    out.push(
      '## Perplexity and bits per byte',
      '',
      `Context ${p.config.contextLength} tokens, stride ${p.config.stride}, prefix token ${p.config.prefixTokenId ?? 'none'}. ` +
        'Bits per byte compares models with different tokenizers; perplexity does not.',
      '',
      table(
        ['language', 'texts', 'tokens', 'bytes', 'perplexity', 'bits/byte'],
        [...p.languages, p.all].map((r) => [
          r.lang,
          r.texts,
          r.tokens,
          r.bytes,
          f(r.perplexity, 3),
          f(r.bitsPerByte),
        ]),
      ),
      '',
    );
  }
  for (const t of report.multipleChoice) {
    out.push(
      `## Task: ${t.task}${t.smoke ? ' (smoke task, not a benchmark)' : ''}`,
      '',
      `${t.n} documents, ${t.config.numFewshot}-shot (seed ${t.config.seed})${t.config.limit ? `, limit ${t.config.limit}` : ''}.`,
      '',
      table(
        ['metric', 'value', 'stderr'],
        (['acc', 'acc_norm', 'acc_bytes'] as const).map((k) => [
          k,
          f(t.metrics[k].value),
          f(t.metrics[k].stderr),
        ]),
      ),
      '',
    );
    const langs = Object.entries(t.byLang);
    if (langs.length > 0) {
      out.push(
        table(
          ['language', 'n', 'acc', 'acc_norm', 'acc_bytes'],
          langs.map(([l, m]) => [
            l,
            m.n,
            f(m.acc.value),
            f(m.acc_norm.value),
            f(m.acc_bytes.value),
          ]),
        ),
        '',
      );
    }
  }
  for (const g of report.generation) {
    out.push(
      `## Generation: ${g.task}${g.smoke ? ' (smoke task, not a benchmark)' : ''}`,
      '',
      table(
        ['metric', 'score', 'signature'],
        [
          [
            'exact_match',
            pct(g.metrics.exact_match.value),
            `stderr ${pct(g.metrics.exact_match.stderr)}`,
          ],
          [g.metrics.chrf.name, f(g.metrics.chrf.score, 2), g.metrics.chrf.signature],
          [
            g.metrics['chrf++'].name,
            f(g.metrics['chrf++'].score, 2),
            g.metrics['chrf++'].signature,
          ],
          ['BLEU', f(g.metrics.bleu.score, 2), g.metrics.bleu.signature],
        ],
      ),
      '',
    );
  }
  if (report.tokenizer) {
    const t = report.tokenizer;
    out.push(
      '## Tokenizer fairness',
      '',
      `Parallel text: ${t.data.name}. Parity = tokens / tokens of '${t.reference}' on the same text; worst: ${t.worst.lang} (${f(t.worst.parity, 3)}).`,
      '',
      table(
        ['language', 'tokens', 'words', 'bytes', 'fertility', 'bytes/token', 'parity'],
        t.rows.map((r) => [
          r.lang,
          r.tokens,
          r.words,
          r.bytes,
          f(r.fertility, 3),
          f(r.bytesPerToken, 3),
          f(r.parity, 3),
        ]),
      ),
      '',
    );
  }
  if (report.training) {
    const pts = report.training.points;
    const last = (k: string) => [...pts].reverse().find((p) => typeof p[k] === 'number');
    const loss = last('loss');
    const evalLoss = last('evalLoss');
    out.push(
      '## Training',
      '',
      `${report.training.source}: ${pts.length} lines, last step ${pts.at(-1)?.step ?? '-'}` +
        (loss ? `, loss ${f(loss.loss)} at step ${loss.step}` : '') +
        (evalLoss ? `, eval loss ${f(evalLoss.evalLoss)} at step ${evalLoss.step}` : '') +
        '.',
      '',
    );
  }
  out.push('## Reproducibility', '');
  out.push(
    table(
      ['seed', 'value'],
      Object.entries(report.seeds).map(([k, v]) => [k, v]),
    ),
    '',
  );
  out.push(
    table(
      ['data', 'sha256'],
      report.data.map((d) => [d.name, d.sha256]),
    ),
    '',
  );
  return `${out.join('\n').trimEnd()}\n`;
}
