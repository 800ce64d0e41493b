#!/usr/bin/env node
/** Sums the vitest JSON reports of every package (test-results/vitest*.json) into one 'N passed, N failed' line. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
for (const dir of ['packages', 'examples']) {
  const base = join(root, dir);
  if (!existsSync(base)) continue;
  for (const name of readdirSync(base)) {
    // vitest.json from `npm test`, plus any extra run's report (e.g. vitest-gpu-webasm.json)
    const results = join(base, name, 'test-results');
    if (!existsSync(results)) continue;
    for (const f of readdirSync(results).filter((n) => /^vitest.*\.json$/.test(n))) {
      const r = JSON.parse(readFileSync(join(results, f), 'utf8'));
      passed += r.numPassedTests ?? 0;
      failed += r.numFailedTests ?? 0;
      skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      reports++;
    }
  }
}
if (reports === 0) {
  console.log('test-summary: no test reports found');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
