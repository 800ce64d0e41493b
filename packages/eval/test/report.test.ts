/**
 * Reports for a tiny model trained here (scripts/sample-report.ts with few steps): the JSON
 * record (versions, config, seeds, data hashes), Markdown tables, and the self-contained HTML
 * page opened in headless Chromium (Debian `chromium`, driven by playwright-core): every chart
 * is an inline SVG with marks, and its screenshot shows the chart's colours. The sample report
 * committed under docs/examples/ gets the same browser check.
 *
 * Without a browser the Chromium checks skip with the reason logged; OELLM_REQUIRE_BROWSER=1
 * (set by CI) makes a missing browser a failure.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSampleReport } from '../scripts/sample-report.js';
import { type EvalReport, parseMetricsJsonl, REPORT_FORMAT, reportCharts } from '../src/node.js';

const CANDIDATES = [
  process.env.OELLM_CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];
const chromiumPath = CANDIDATES.find((p): p is string => !!p && existsSync(p));
const requireBrowser = process.env.OELLM_REQUIRE_BROWSER === '1';
const committed = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'docs',
  'examples',
  'eval-report.html',
);

const STEPS = 15;
let dir = '';
let files: { json: string; markdown: string; html: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eval-report-'));
  files = await makeSampleReport(dir, {
    steps: STEPS,
    charsPerLang: 12_000,
    articles: 2,
    evalCharsPerLang: 600,
  });
}, 180_000);

describe('report of a tiny trained model', () => {
  it('JSON records versions, backend, model config, seeds and a sha256 per data set', () => {
    const r = JSON.parse(readFileSync(files.json, 'utf8')) as EvalReport;
    expect(r.format).toBe(REPORT_FORMAT);
    expect(r.formatVersion).toBe(1);
    expect(r.versions['@openeurollm/eval']).toBe('0.1.0');
    expect(r.versions.sacrebleu).toContain('2.6.0');
    expect(['native', 'js']).toContain(r.backend.name);
    expect(r.model?.config).toMatchObject({ arch: 'llama', vocabSize: 512, contextLength: 256 });
    expect(r.model?.parameters).toBeGreaterThan(100_000);
    expect(r.seeds).toMatchObject({ training: 0, 'multipleChoice:eu24-udhr-translation-smoke': 0 });
    expect(r.perplexity?.languages).toHaveLength(24);
    expect(r.perplexity?.all.bitsPerByte).toBeGreaterThan(0);
    expect(r.multipleChoice[0]).toMatchObject({
      task: 'eu24-udhr-translation-smoke',
      smoke: true,
      n: 23 * 2,
    });
    expect(Object.keys(r.multipleChoice[0].byLang)).toHaveLength(23);
    expect(r.notes.join(' ')).toContain('smoke task');
    const names = r.data.map((d) => d.name);
    expect(names).toContain('perplexity:mt');
    expect(names).toContain('task:eu24-udhr-translation-smoke');
    expect(names).toContain('tokenizer:UDHR, embedded eu24 corpus');
    expect(names).toContain('training:eval-metrics.jsonl');
    for (const d of r.data) expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.training?.points).toHaveLength(STEPS);
    expect(r.training?.points.filter((p) => 'evalLoss' in p).map((p) => p.step)).toEqual([10, 15]);
    expect(r.tokenizer?.rows).toHaveLength(24);
    // the run's metrics.jsonl parses to the same points
    expect(parseMetricsJsonl(readFileSync(join(dir, 'eval-metrics.jsonl'), 'utf8'))).toEqual(
      r.training?.points,
    );
  });

  it('Markdown has the tables', () => {
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toContain('| language | texts | tokens | bytes | perplexity | bits/byte |');
    expect(md).toContain('## Task: eu24-udhr-translation-smoke (smoke task, not a benchmark)');
    expect(md).toContain('| acc_bytes |');
    expect(md).toContain('| BLEU |');
    expect(md).toContain(
      'nrefs:1\\|case:mixed\\|eff:no\\|tok:13a\\|smooth:exp\\|version:2.6.0+oellm |',
    );
    expect(md).toContain(
      '| language | tokens | words | bytes | fertility | bytes/token | parity |',
    );
  });

  it('HTML is one self-contained file: inline SVG charts, no scripts, no external resources', () => {
    const html = readFileSync(files.html, 'utf8');
    const r = JSON.parse(readFileSync(files.json, 'utf8')) as EvalReport;
    const ids = reportCharts(r).map((c) => c.id);
    expect(ids).toEqual([
      'chart-bits-per-byte',
      'chart-task-0',
      'chart-generation-0',
      'chart-tokenizer-parity',
      'chart-loss-curve',
    ]);
    for (const id of ids)
      expect(html).toMatch(new RegExp(`<figure id="${id}"><svg[^>]*class="marks"`));
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import/i);
    // the only URLs are SVG's namespace names
    const urls = [...html.matchAll(/https?:\/\/[^\s"')<]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(
      new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']),
    );
  });
});

type Browser = import('playwright-core').Browser;

describe('the HTML report in headless Chromium', () => {
  let browser: Browser | null = null;

  beforeAll(async () => {
    if (!chromiumPath) return;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => browser?.close());

  it('a browser is available where CI requires one (OELLM_REQUIRE_BROWSER=1)', () => {
    if (requireBrowser)
      expect(chromiumPath, `no Chromium at ${CANDIDATES.filter(Boolean).join(', ')}`).toBeDefined();
    if (!chromiumPath) {
      console.warn(
        `report.test.ts: Chromium checks skipped: no browser at ${CANDIDATES.filter(Boolean).join(', ')} (apt-get install chromium)`,
      );
    }
  });

  /**
   * Opens a report and checks every chart: SVG marks in the DOM, and on screen ink and the
   * palette's colours (for a chart with any non-zero value: bars of height 0 draw nothing).
   */
  async function checkRendered(file: string, minCharts: number) {
    const report = JSON.parse(readFileSync(file.replace(/\.html$/, '.json'), 'utf8')) as EvalReport;
    const nonZero = new Map(
      reportCharts(report).map((c) => {
        const values = ((c.spec.data as { values: { value: number }[] }).values ?? []).map(
          (v) => v.value,
        );
        return [c.id, values.some((v) => v !== 0)];
      }),
    );
    expect(
      [...nonZero.values()].filter(Boolean).length,
      'charts with data to draw',
    ).toBeGreaterThanOrEqual(minCharts - 1);
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const external: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) external.push(req.url());
    });
    await page.goto(pathToFileURL(file).href);
    const figures = await page.$$eval('figure', (fs) =>
      fs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          id: f.id,
          marks: f.querySelectorAll('g.role-mark > *').length,
          width: box?.width ?? 0,
          height: box?.height ?? 0,
        };
      }),
    );
    expect(figures.map((f) => f.id).sort()).toEqual([...nonZero.keys()].sort());
    expect(figures.length).toBeGreaterThanOrEqual(minCharts);
    for (const f of figures) {
      expect(f.marks, `${f.id}: marks`).toBeGreaterThan(0);
      expect(f.width, `${f.id}: width`).toBeGreaterThan(200);
      expect(f.height, `${f.id}: height`).toBeGreaterThan(150);
      const png = PNG.sync.read(await page.locator(`#${f.id} svg`).screenshot());
      let ink = 0;
      let chartColour = 0;
      const colours = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4) {
        const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
        if (r < 240 || g < 240 || b < 240) ink++;
        colours.add((r >> 4) * 256 + (g >> 4) * 16 + (b >> 4));
        // the palette's first three colours: the bars and lines themselves
        const near = (c: number[]) =>
          Math.abs(r - c[0]) + Math.abs(g - c[1]) + Math.abs(b - c[2]) < 40;
        if (near([31, 90, 166]) || near([227, 155, 27]) || near([58, 154, 91])) chartColour++;
      }
      const pixels = png.width * png.height;
      expect(ink / pixels, `${f.id}: non-white share`).toBeGreaterThan(0.01);
      if (nonZero.get(f.id))
        expect(chartColour, `${f.id}: pixels in chart colours`).toBeGreaterThan(40);
      expect(colours.size, `${f.id}: distinct colours`).toBeGreaterThan(5);
    }
    expect(external).toEqual([]);
    await page.close();
  }

  it('renders every chart of the fresh report', async (ctx) => {
    if (!browser) return ctx.skip();
    await checkRendered(files.html, 5);
  });

  it('renders every chart of the sample committed under docs/examples/', async (ctx) => {
    if (!browser) return ctx.skip();
    expect(
      existsSync(committed),
      `${committed} (make it: npx tsx packages/eval/scripts/sample-report.ts docs/examples)`,
    ).toBe(true);
    await checkRendered(committed, 5);
  });
});
