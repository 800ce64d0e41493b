/** Best wall time in seconds of fn over repeated runs (at least `minRuns`, about `budget` s). */
export function time(fn: () => unknown, budget = 1.5, minRuns = 2): number {
  fn(); // warm-up (JIT, caches)
  let best = Number.POSITIVE_INFINITY;
  let spent = 0;
  let runs = 0;
  while (runs < minRuns || spent < budget) {
    const t0 = performance.now();
    fn();
    const dt = (performance.now() - t0) / 1000;
    best = Math.min(best, dt);
    spent += dt;
    runs++;
    if (runs >= 2000) break;
  }
  return best;
}

export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`);
  for (const r of rows) console.log(line(r));
}
