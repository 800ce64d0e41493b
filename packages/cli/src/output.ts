/**
 * How commands talk to the user: human text or one JSON object (`--json`), colors only where
 * they belong (a TTY, no NO_COLOR), and everything that is not the result on stderr, so that
 * stdout can be piped.
 */
import type { Writable } from 'node:stream';

export interface OutputOptions {
  /** Print the result as one JSON object on stdout instead of text. */
  json?: boolean;
  /** false: no colors; default: colors when the stream is a TTY and NO_COLOR is unset. */
  color?: boolean;
  /** Suppress notes and progress on stderr. */
  quiet?: boolean;
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable & { isTTY?: boolean };
}

/** Colors for a stream: on for a TTY unless NO_COLOR is set (any value), FORCE_COLOR forces them. */
export function colorEnabled(stream: { isTTY?: boolean }, flag?: boolean): boolean {
  if (flag === false) return false;
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;
export type Style = keyof typeof CODES;

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };

  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.color = colorEnabled(this.stderr, options.color);
  }

  /** `text` in a style when colors are on. */
  style(style: Style, text: string): string {
    if (!this.color) return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  /** A line of the human-readable result on stdout (nothing with --json). */
  print(line = ''): void {
    if (!this.json) this.stdout.write(`${line}\n`);
  }

  /** Raw text on stdout (streamed tokens); nothing with --json. */
  write(text: string): void {
    if (!this.json) this.stdout.write(text);
  }

  /** A note on stderr (what is happening); nothing with --quiet. */
  note(line: string): void {
    if (!this.quiet) this.stderr.write(`${line}\n`);
  }

  /** A warning on stderr, always. */
  warn(line: string): void {
    this.stderr.write(`${this.style('yellow', 'warning:')} ${line}\n`);
  }

  /** The result: with --json one JSON object on stdout; otherwise `human()` prints it. */
  result(value: Record<string, unknown>, human?: () => void): void {
    if (this.json) this.stdout.write(`${JSON.stringify({ ok: true, ...value }, null, 2)}\n`);
    else human?.();
  }
}

/** 1234567 -> "1.23M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Seconds -> "1m05s" / "12.3s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A fixed-width table of rows (first row: the header). */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
