/**
 * What the datasheet and the training-content summary read from a ledger, in one place, and
 * small Markdown helpers.
 */
import { LANGUAGE_INFO } from '../languages.js';
import type { Ledger, LedgerRun, LedgerSource, LedgerTotals } from '../ledger.js';

/** The marker of every field the ledger cannot know; search for it before publishing. */
export const TO_FILL = 'TO FILL';

/** A field left for the provider, with what belongs there. */
export function toFill(what: string): string {
  return `[${TO_FILL}: ${what}]`;
}

export interface ReportData {
  totals: LedgerTotals;
  sources: LedgerSource[];
  runs: LedgerRun[];
  /** Final documents, bytes and tokens per language (written when a pack ran, else out). */
  languages: { lang: string; name: string; docs: number; bytes: number; tokens: number }[];
  /** Final documents per source with its licences. */
  sourceRows: {
    name: string;
    uri: string;
    licenses: string[];
    availability: string[];
    docs: number;
    bytes: number;
    tokens: number;
  }[];
  /** Licence statements with the documents read under each. */
  licenses: { license: string; docs: number }[];
  /** Document kinds with counts (from meta.kind). */
  kinds: { kind: string; docs: number }[];
  retrievedFirst: string | null;
  retrievedLast: string | null;
  /** Each stage with its options, from the last successful run. */
  stages: { name: string; options?: Record<string, unknown> }[];
  /** Whether a pack ran (tokens known). */
  tokenized: boolean;
}

export function reportData(ledger: Ledger): ReportData {
  const totals = ledger.totals();
  const sources = ledger.sources;
  const runs = [...ledger.runs];
  const tokenized = totals.written.docs > 0;
  // final counts: what was written, else what came out of the pipeline
  const perLang = new Map<string, { docs: number; bytes: number; tokens: number }>();
  const perSource = new Map<string, { docs: number; bytes: number; tokens: number }>();
  const finalAction = tokenized ? 'written' : 'out';
  for (const c of ledger.counts) {
    if (c.action !== finalAction) continue;
    for (const [m, k] of [
      [perLang, c.lang],
      [perSource, c.source],
    ] as const) {
      const r = m.get(k) ?? { docs: 0, bytes: 0, tokens: 0 };
      r.docs += c.docs;
      r.bytes += c.bytes;
      r.tokens += c.tokens;
      m.set(k, r);
    }
  }
  const languages = [...perLang.entries()]
    .map(([lang, r]) => ({
      lang,
      name: LANGUAGE_INFO[lang as keyof typeof LANGUAGE_INFO]?.name ?? lang,
      ...r,
    }))
    .sort((a, b) => b.bytes - a.bytes || a.lang.localeCompare(b.lang));
  const sourceRows = sources
    .map((s) => ({
      name: s.name,
      uri: s.uri,
      licenses: Object.keys(s.licenses).sort(),
      availability: Object.keys(s.availability ?? {}).sort(),
      docs: perSource.get(s.name)?.docs ?? 0,
      bytes: perSource.get(s.name)?.bytes ?? 0,
      tokens: perSource.get(s.name)?.tokens ?? 0,
    }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  const lic = new Map<string, number>();
  const kinds = new Map<string, number>();
  let first: string | null = null;
  let last: string | null = null;
  for (const s of sources) {
    for (const [l, n] of Object.entries(s.licenses)) lic.set(l, (lic.get(l) ?? 0) + n);
    for (const [k, n] of Object.entries(s.kinds ?? {})) kinds.set(k, (kinds.get(k) ?? 0) + n);
    if (s.retrievedFirst && (!first || s.retrievedFirst < first)) first = s.retrievedFirst;
    if (s.retrievedLast && (!last || s.retrievedLast > last)) last = s.retrievedLast;
  }
  const okRuns = runs.filter((r) => r.status === 'ok');
  const stages = okRuns.length > 0 ? okRuns[okRuns.length - 1].stages : [];
  return {
    totals,
    sources,
    runs,
    languages,
    sourceRows,
    licenses: [...lic.entries()]
      .map(([license, docs]) => ({ license, docs }))
      .sort((a, b) => b.docs - a.docs || a.license.localeCompare(b.license)),
    kinds: [...kinds.entries()]
      .map(([kind, docs]) => ({ kind, docs }))
      .sort((a, b) => b.docs - a.docs || a.kind.localeCompare(b.kind)),
    retrievedFirst: first,
    retrievedLast: last,
    stages,
    tokenized,
  };
}

/** 1234567 -> '1,234,567'. */
export function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes as B / kB / MB / GB (decimal). */
export function bytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(2)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-';
}

/** A Markdown table; cells have '|' escaped. */
export function table(header: string[], rows: (string | number)[][]): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** A stage's options as a short 'key=value' list. */
export function describeOptions(options: Record<string, unknown> | undefined): string {
  if (!options) return '';
  return Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}
