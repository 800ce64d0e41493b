/**
 * A progress bar with an ETA on stderr. On a TTY it redraws one line (at most 10 times a
 * second); otherwise (a pipe, a CI log) it prints a plain line at each tenth of the work and at
 * least every 15 seconds, so logs stay short and still show that work moves.
 */
import { formatDuration, type Output } from './output.js';

export interface ProgressOptions {
  /** What is being done ("train"). */
  label: string;
  /** Units of work in all (steps, documents); 0 or undefined: unknown (no bar, no ETA). */
  total?: number;
  /** Name of the unit in plain lines ("steps"). */
  unit?: string;
}

const WIDTH = 24;

export class Progress {
  private readonly out: Output;
  private readonly label: string;
  private readonly unit: string;
  private total: number;
  private readonly tty: boolean;
  private readonly start = performance.now();
  /** Progress at the first update, so an ETA after resuming counts only this session's rate. */
  private first: { done: number; t: number } | null = null;
  private done = 0;
  private extra = '';
  private lastDraw = 0;
  private lastTenth = -1;
  private lastLine = performance.now();
  private drawn = false;
  private finished = false;

  constructor(out: Output, options: ProgressOptions) {
    this.out = out;
    this.label = options.label;
    this.unit = options.unit ?? '';
    this.total = options.total ?? 0;
    this.tty = out.stderr.isTTY === true && !out.quiet;
  }

  /** Sets the units done so far and a short status ("loss 3.21"). */
  update(done: number, extra = ''): void {
    if (this.finished || this.out.quiet) return;
    const now = performance.now();
    if (this.first === null) this.first = { done, t: now };
    this.done = done;
    this.extra = extra;
    if (this.tty) {
      if (now - this.lastDraw >= 100 || done >= this.total) this.draw(now);
      return;
    }
    // plain lines: at each tenth of the work at most every 2 s, and at least every 15 s
    if (this.total > 0 && done >= this.total) return; // finish() prints the last line
    const tenth = this.total > 0 ? Math.floor((10 * done) / this.total) : -1;
    const since = now - this.lastLine;
    if ((tenth !== this.lastTenth && since >= 2000) || since >= 15_000) {
      this.lastTenth = tenth;
      this.lastLine = now;
      this.out.stderr.write(`${this.line(now)}\n`);
    }
  }

  setTotal(total: number): void {
    this.total = total;
  }

  /** Seconds left at the current rate, or NaN when unknown. */
  eta(now = performance.now()): number {
    if (this.total <= 0 || this.first === null) return Number.NaN;
    const doneHere = this.done - this.first.done;
    const elapsed = (now - this.first.t) / 1000;
    if (doneHere <= 0 || elapsed <= 0) return Number.NaN;
    return ((this.total - this.done) * elapsed) / doneHere;
  }

  private line(now: number): string {
    const parts = [this.out.style('bold', this.label)];
    if (this.total > 0) {
      const frac = Math.min(1, this.done / this.total);
      if (this.tty) {
        const full = Math.round(frac * WIDTH);
        parts.push(`[${'#'.repeat(full)}${'-'.repeat(WIDTH - full)}]`);
      }
      parts.push(`${String(Math.floor(frac * 100)).padStart(3)}%`);
      parts.push(`${this.done}/${this.total}${this.unit ? ` ${this.unit}` : ''}`);
      const eta = this.eta(now);
      if (this.done < this.total) parts.push(`ETA ${formatDuration(eta)}`);
    } else {
      parts.push(`${this.done}${this.unit ? ` ${this.unit}` : ''}`);
    }
    parts.push(formatDuration((now - this.start) / 1000));
    if (this.extra) parts.push(this.out.style('dim', this.extra));
    return parts.join('  ');
  }

  private draw(now: number): void {
    this.lastDraw = now;
    this.drawn = true;
    this.out.stderr.write(`\r${this.line(now)}\u001b[K`);
  }

  /** Ends the bar: a final line with the elapsed time (and `summary`). */
  finish(summary = ''): void {
    if (this.finished || this.out.quiet) return;
    this.finished = true;
    if (summary) this.extra = summary;
    const now = performance.now();
    if (this.tty) {
      this.draw(now);
      this.out.stderr.write('\n');
    } else {
      this.out.stderr.write(`${this.line(now)}\n`);
    }
  }

  /** Clears a TTY bar without a final line (before an error message). */
  clear(): void {
    if (this.tty && this.drawn && !this.finished) this.out.stderr.write('\r\u001b[K');
    this.finished = true;
  }
}
