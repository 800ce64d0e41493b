/** The progress bar: a redrawn bar with ETA on a TTY, plain periodic lines otherwise. */
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { Output } from '../src/output.js';
import { Progress } from '../src/progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => chunks.join('') };
}

describe('Progress', () => {
  it('draws a bar with percent, count and ETA on a TTY, redrawing one line', () => {
    const err = sink(true);
    const out = new Output({ stderr: err.stream, color: false });
    const now = vi.spyOn(performance, 'now');
    let t = 1000;
    now.mockImplementation(() => t);
    const p = new Progress(out, { label: 'train', total: 10, unit: 'steps' });
    p.update(0);
    for (let i = 1; i <= 5; i++) {
      t += 200;
      p.update(i, `loss ${5 - i * 0.1}`);
    }
    const text = err.text();
    expect(text).toContain('\r');
    expect(text).toMatch(/train\s+\[#{12}-{12}\]\s+50%\s+5\/10 steps\s+ETA 1\.0s\s+1\.0s/);
    expect(text).toContain('loss 4.5');
    t += 1000;
    p.finish('done');
    expect(err.text().endsWith('\n')).toBe(true);
    expect(err.text()).toMatch(/100%\s+10\/10|5\/10 steps .*done/);
    now.mockRestore();
  });

  it('prints plain lines (no carriage returns) when stderr is not a TTY, and a final line', () => {
    const err = sink(false);
    const out = new Output({ stderr: err.stream, color: false });
    const now = vi.spyOn(performance, 'now');
    let t = 0;
    now.mockImplementation(() => t);
    const p = new Progress(out, { label: 'data', total: 100, unit: 'docs' });
    for (let i = 1; i <= 99; i++) {
      t += 100; // 10 s in all: a line at most every 2 s, at tenths
      p.update(i);
    }
    p.finish('kept 90');
    const lines = err.text().trim().split('\n');
    expect(err.text()).not.toContain('\r');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines[0]).toMatch(/^data\s+\d+%\s+\d+\/100 docs\s+ETA/);
    expect(lines[lines.length - 1]).toContain('kept 90');
    now.mockRestore();
  });

  it('stays silent with --quiet', () => {
    const err = sink(true);
    const p = new Progress(new Output({ stderr: err.stream, quiet: true }), {
      label: 'x',
      total: 2,
    });
    p.update(1);
    p.finish();
    expect(err.text()).toBe('');
  });
});
