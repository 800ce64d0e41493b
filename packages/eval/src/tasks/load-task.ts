/**
 * Tasks from records (parsed JSONL here; Parquet rows in the Node entry): a multiple-choice
 * task through a layout, or a generation task `{ prompt, references }`.
 */
import { sha256Hex } from '@openeurollm/data';
import type { GenerationTask } from './generation.js';
import { applyLayout, type LayoutOptions, TASK_LAYOUTS, type TaskLayout } from './layouts.js';
import type { McTask } from './multiple-choice.js';
import {
  type GenDoc,
  type JsonRecord,
  type McDoc,
  parseJsonl,
  RecordReader,
} from './task-format.js';

export interface TaskFileOptions extends LayoutOptions {
  /** Task name. Default: the file name without extension. */
  name?: string;
  /** Field layout of the records. Default 'oellm' ({ context, choices, gold }). */
  layout?: TaskLayout;
  /** File name used in errors and in the task's source. */
  file?: string;
}

export interface RecordsWithLines {
  records: { record: JsonRecord; line: number }[];
  /** sha256 of the file's bytes (or of the JSONL text). */
  sha256: string;
  file: string;
}

/** A multiple-choice task from JSONL text. */
export function mcTaskFromJsonl(text: string, options: TaskFileOptions = {}): McTask {
  const file = options.file ?? '<jsonl>';
  return mcTaskFromRecords(
    { records: parseJsonl(text, file), sha256: sha256Hex(text), file },
    options,
  );
}

/** A multiple-choice task from records with line (row) numbers. */
export function mcTaskFromRecords(input: RecordsWithLines, options: TaskFileOptions = {}): McTask {
  const layout = options.layout ?? 'oellm';
  if (!TASK_LAYOUTS.includes(layout)) {
    throw new RangeError(
      `task layout '${String(layout)}' is unknown (expected one of ${TASK_LAYOUTS.join(', ')})`,
    );
  }
  const docs: McDoc[] = input.records.map(({ record, line }) =>
    applyLayout(layout, new RecordReader(record, input.file, line), options),
  );
  return {
    name: options.name ?? baseName(input.file),
    docs,
    source: { file: input.file, layout, sha256: input.sha256, docs: docs.length },
  };
}

/**
 * A generation task from JSONL text: records `{ prompt, references: [..] }` (or `reference`:
 * one string), with optional `id` and `lang`.
 */
export function generationTaskFromJsonl(
  text: string,
  options: { name?: string; file?: string } = {},
): GenerationTask {
  const file = options.file ?? '<jsonl>';
  return generationTaskFromRecords(
    { records: parseJsonl(text, file), sha256: sha256Hex(text), file },
    options,
  );
}

export function generationTaskFromRecords(
  input: RecordsWithLines,
  options: { name?: string } = {},
): GenerationTask {
  const docs: GenDoc[] = input.records.map(({ record, line }) => {
    const r = new RecordReader(record, input.file, line);
    const references =
      r.get('references') !== undefined ? r.strings('references') : [r.string('reference')];
    const id = r.optionalString('id');
    const lang = r.optionalString('lang');
    return {
      prompt: r.string('prompt'),
      references,
      ...(id !== undefined ? { id } : {}),
      ...(lang !== undefined ? { lang } : {}),
    };
  });
  return {
    name: options.name ?? baseName(input.file),
    docs,
    source: { file: input.file, sha256: input.sha256, docs: docs.length },
  };
}

function baseName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.(jsonl|json|parquet)$/i, '') || 'task';
}
