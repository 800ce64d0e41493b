/**
 * The README's examples run as written against the built package (dist/), through both
 * the ESM and the CommonJS entry points, the way an npm user would run them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js readme-check (esm|cjs)\n([\s\S]*?)```/g)].map((m) => ({
  kind: m[1] as 'esm' | 'cjs',
  code: m[2],
}));
// inside the package so that `@openeurollm/nn` resolves to this package (self-reference)
const work = join(pkgDir, '.readme-check');

describe('README examples', () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('has examples for both module systems', () => {
    expect(blocks.some((b) => b.kind === 'esm')).toBe(true);
    expect(blocks.some((b) => b.kind === 'cjs')).toBe(true);
  });

  it('the package is built (npm run build)', () => {
    expect(
      existsSync(join(pkgDir, 'dist', 'index.js')),
      'dist/ is missing: run npm run build',
    ).toBe(true);
    expect(existsSync(join(pkgDir, 'dist', 'index.cjs'))).toBe(true);
  });

  blocks.forEach((b, i) => {
    it(`example ${i + 1} (${b.kind}) runs and prints what its comments say`, () => {
      mkdirSync(work, { recursive: true });
      const file = join(work, `example-${i}.${b.kind === 'esm' ? 'mjs' : 'cjs'}`);
      writeFileSync(file, b.code);
      const out = execFileSync(process.execPath, [file], { cwd: work, encoding: 'utf8' });
      // each `// expected` comment on a console.log line must appear in the output
      for (const line of b.code.split('\n')) {
        const m = line.match(/console\.log\(.*\);\s*\/\/ (.+)$/);
        if (m) expect(out.replace(/\s+/g, ' ')).toContain(m[1].replace(/\s+/g, ' ').trim());
      }
      expect(out.length).toBeGreaterThan(0);
    });
  });
});
