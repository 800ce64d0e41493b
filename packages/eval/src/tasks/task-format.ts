/**
 * Task files: one record per line of JSONL (or per row of Parquet, in the Node entry), read
 * through a layout that maps a dataset's field names onto a multiple-choice document
 * `{ context, choices, gold }`. Errors name the file, the line (row) and the field.
 */

/** A multiple-choice document: the model scores `targetDelimiter + choice` after `context`. */
export interface McDoc {
  context: string;
  choices: string[];
  /** Index of the right choice. */
  gold: number;
  id?: string;
  /** Language code, for per-language results. */
  lang?: string;
}

/** A generation document: the model continues `prompt`; the output is scored against `references`. */
export interface GenDoc {
  prompt: string;
  /** One or more acceptable outputs. */
  references: string[];
  id?: string;
  lang?: string;
}

/** A bad record in a task file: where it is and which field is wrong. */
export class TaskFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    detail: string,
  ) {
    super(`${file}:${line}: field '${field}': ${detail}`);
    this.name = 'TaskFormatError';
  }
}

export type JsonRecord = Record<string, unknown>;

/** Reads the fields of one record, throwing TaskFormatError with file, line and field. */
export class RecordReader {
  constructor(
    readonly record: JsonRecord,
    readonly file: string,
    readonly line: number,
  ) {}

  fail(field: string, detail: string): never {
    throw new TaskFormatError(this.file, this.line, field, detail);
  }

  /** The value at a dotted path (`choices.text`), or undefined. */
  get(path: string): unknown {
    let v: unknown = this.record;
    for (const key of path.split('.')) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as JsonRecord)[key];
    }
    return v;
  }

  string(path: string): string {
    const v = this.get(path);
    if (v === undefined || v === null) this.fail(path, 'is missing');
    if (typeof v !== 'string') this.fail(path, `must be a string, found ${kind(v)}`);
    return v;
  }

  optionalString(path: string): string | undefined {
    const v = this.get(path);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'bigint') return String(v);
    this.fail(path, `must be a string, found ${kind(v)}`);
  }

  strings(path: string, min = 1): string[] {
    const v = this.get(path);
    if (v === undefined || v === null) this.fail(path, 'is missing');
    if (!Array.isArray(v)) this.fail(path, `must be an array of strings, found ${kind(v)}`);
    v.forEach((x, i) => {
      if (typeof x !== 'string') this.fail(`${path}[${i}]`, `must be a string, found ${kind(x)}`);
    });
    if (v.length < min)
      this.fail(path, `needs at least ${min} entr${min === 1 ? 'y' : 'ies'}, found ${v.length}`);
    return v as string[];
  }

  /** An integer index in [0, n): a number or a string of digits (datasets store both). */
  index(path: string, n: number, offset = 0): number {
    const v = this.get(path);
    if (v === undefined || v === null) this.fail(path, 'is missing');
    const i =
      typeof v === 'number' || typeof v === 'bigint'
        ? Number(v)
        : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)
          ? Number.parseInt(v, 10)
          : Number.NaN;
    if (!Number.isInteger(i))
      this.fail(path, `must be an integer index, found ${kind(v)} ${JSON.stringify(v)}`);
    const k = i - offset;
    if (k < 0 || k >= n) {
      this.fail(path, `${i} is out of range: ${n} choices take ${offset}..${n - 1 + offset}`);
    }
    return k;
  }
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/**
 * Parses JSONL text into records with their line numbers; blank lines are skipped. A line
 * that is not a JSON object is a TaskFormatError (field '(line)').
 */
export function parseJsonl(text: string, file = '<jsonl>'): { record: JsonRecord; line: number }[] {
  const out: { record: JsonRecord; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      throw new TaskFormatError(file, i + 1, '(line)', `not valid JSON (${(e as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new TaskFormatError(file, i + 1, '(line)', `must be a JSON object, found ${kind(v)}`);
    }
    out.push({ record: v as JsonRecord, line: i + 1 });
  }
  return out;
}
