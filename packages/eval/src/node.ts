/**
 * The Node.js entry of @openeurollm/eval: everything of the browser-safe core, plus task files
 * (JSONL and Parquet), metrics.jsonl files and writing reports (JSON, Markdown, HTML) to disk.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { reportToHtml } from './report/html.js';
import { stringifyReport } from './report/json.js';
import { reportToMarkdown } from './report/markdown.js';
import { type MetricsPoint, parseMetricsJsonl } from './report/metrics-jsonl.js';
import type { EvalReport } from './report/report.js';
import type { GenerationTask } from './tasks/generation.js';
import {
  generationTaskFromRecords,
  mcTaskFromRecords,
  type RecordsWithLines,
  type TaskFileOptions,
} from './tasks/load-task.js';
import type { McTask } from './tasks/multiple-choice.js';
import { type JsonRecord, parseJsonl, TaskFormatError } from './tasks/task-format.js';

export * from './index.js';

/** Records of a .jsonl or .parquet file, numbered by line (JSONL) or row (Parquet, from 1). */
export async function readTaskRecords(path: string): Promise<RecordsWithLines> {
  const ext = extname(path).toLowerCase();
  const bytes = readFileSync(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (ext === '.jsonl' || ext === '.json') {
    return { records: parseJsonl(bytes.toString('utf8'), path), sha256, file: path };
  }
  if (ext === '.parquet') {
    const hp = await import('hyparquet');
    const buffer = bytes.buffer.slice(
      bytes.byteOffset,
      bytes.byteOffset + bytes.byteLength,
    ) as ArrayBuffer;
    let rows: JsonRecord[];
    try {
      rows = (await hp.parquetReadObjects({ file: buffer })) as JsonRecord[];
    } catch (e) {
      throw new TaskFormatError(
        path,
        0,
        '(file)',
        `not a readable Parquet file (${(e as Error).message})`,
      );
    }
    return { records: rows.map((record, i) => ({ record, line: i + 1 })), sha256, file: path };
  }
  throw new Error(
    `readTask: ${path}: unsupported file type '${ext}' (expected .jsonl or .parquet)`,
  );
}

/**
 * A multiple-choice task from a JSONL or Parquet file, through a layout (default `oellm`:
 * `{ context, choices, gold }`). Errors name the file, line (row) and field.
 */
export async function readTask(path: string, options: TaskFileOptions = {}): Promise<McTask> {
  return mcTaskFromRecords(await readTaskRecords(path), { name: taskName(path), ...options });
}

/** A generation task (`{ prompt, references }` records) from a JSONL or Parquet file. */
export async function readGenerationTask(
  path: string,
  options: { name?: string } = {},
): Promise<GenerationTask> {
  return generationTaskFromRecords(await readTaskRecords(path), {
    name: taskName(path),
    ...options,
  });
}

/** A run's metrics.jsonl, parsed, with its text (for the report's hash). */
export function readMetricsJsonl(path: string): {
  points: MetricsPoint[];
  text: string;
  source: string;
} {
  const text = readFileSync(path, 'utf8');
  return { points: parseMetricsJsonl(text, path), text, source: basename(path) };
}

export interface WrittenReport {
  json: string;
  markdown: string;
  html: string;
}

/**
 * Writes report.json, report.md and report.html into `dir` (created if missing); each file is
 * written to a temporary name and renamed, so a reader never sees half a file.
 */
export async function writeReport(
  report: EvalReport,
  dir: string,
  options: { baseName?: string } = {},
): Promise<WrittenReport> {
  mkdirSync(dir, { recursive: true });
  const name = options.baseName ?? 'report';
  const files: WrittenReport = {
    json: join(dir, `${name}.json`),
    markdown: join(dir, `${name}.md`),
    html: join(dir, `${name}.html`),
  };
  const html = await reportToHtml(report);
  const write = (file: string, text: string) => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  write(files.json, stringifyReport(report));
  write(files.markdown, reportToMarkdown(report));
  write(files.html, html);
  return files;
}

function taskName(path: string): string {
  return basename(path).replace(/\.(jsonl|json|parquet)$/i, '');
}
