/**
 * Charts as Vega-Lite specs, rendered to SVG strings by Vega's headless renderer (no canvas, no
 * DOM, no network): the HTML report embeds them, so it is one self-contained file.
 */

/** A Vega-Lite spec (kept loose here; vega-lite checks it when it compiles). */
export type ChartSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const PALETTE = ['#1f5aa6', '#e39b1b', '#3a9a5b', '#b8433c', '#7a5aa6'];

const base = (title: string, width: number) => ({
  $schema: SCHEMA,
  title: { text: title, anchor: 'start', fontSize: 14 },
  width,
  height: 220,
  background: 'white',
  config: { font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, view: { stroke: null } },
});

export interface BarDatum {
  lang: string;
  value: number;
  /** Standard error: drawn as ± bars. */
  stderr?: number;
}

/** One bar per language, in the given order, with optional ± standard-error whiskers. */
export function languageBarChart(
  title: string,
  yTitle: string,
  data: BarDatum[],
  color = PALETTE[0],
): ChartSpec {
  const values = data.map((d) => ({
    ...d,
    lo: d.stderr !== undefined && Number.isFinite(d.stderr) ? d.value - d.stderr : d.value,
    hi: d.stderr !== undefined && Number.isFinite(d.stderr) ? d.value + d.stderr : d.value,
  }));
  const x = {
    field: 'lang',
    type: 'nominal',
    sort: null,
    title: 'language',
    axis: { labelAngle: 0 },
  };
  const hasErr = data.some((d) => d.stderr !== undefined && Number.isFinite(d.stderr));
  return {
    ...base(title, Math.max(240, 26 * data.length)),
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color, tooltip: true },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: yTitle } },
      },
      ...(hasErr
        ? [
            {
              mark: { type: 'rule', color: '#333' },
              encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
            },
          ]
        : []),
    ],
  };
}

export interface GroupedDatum {
  lang: string;
  series: string;
  value: number;
}

/** Bars per language grouped by series (acc, acc_norm, acc_bytes). */
export function groupedBarChart(title: string, yTitle: string, data: GroupedDatum[]): ChartSpec {
  const langs = new Set(data.map((d) => d.lang)).size;
  const series = [...new Set(data.map((d) => d.series))];
  return {
    ...base(title, Math.max(240, langs * (10 * series.length + 8))),
    data: { values: data },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'lang', type: 'nominal', sort: null, title: 'language', axis: { labelAngle: 0 } },
      xOffset: { field: 'series', type: 'nominal', sort: series },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: {
        field: 'series',
        type: 'nominal',
        sort: series,
        scale: { range: PALETTE },
        legend: { title: null, orient: 'top' },
      },
    },
  };
}

export interface CurvePoint {
  step: number;
  series: string;
  value: number;
}

/** Training curves: one line per series over steps (evaluation points marked). */
export function lossCurveChart(title: string, data: CurvePoint[]): ChartSpec {
  const series = [...new Set(data.map((d) => d.series))];
  return {
    ...base(title, 560),
    data: { values: data },
    mark: {
      type: 'line',
      point: data.length <= 400 ? { size: 18 } : false,
      strokeWidth: 1.5,
      tooltip: true,
    },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: 'loss (nats/token)',
        scale: { zero: false },
      },
      color: {
        field: 'series',
        type: 'nominal',
        sort: series,
        scale: { range: PALETTE },
        legend: { title: null, orient: 'top' },
      },
    },
  };
}

let renderCount = 0;

/**
 * Renders a Vega-Lite spec to an SVG string (Vega's renderer 'none': no canvas or DOM needed).
 * Element ids get a per-chart prefix so that several charts can share one HTML page.
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const prefix = `c${++renderCount}-`;
    return svg
      .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
      .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`);
  } finally {
    view.finalize();
  }
}
