/**
 * Shared by every package's test/readme.test.ts: the README's examples (code blocks marked
 * ```js readme-check esm``` or ```js readme-check cjs```) run as written against the built
 * package (dist/), through the ESM or the CommonJS entry, the way an npm user would run them.
 * A `// text` comment at the end of a console.log line must appear in the output.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** Defines the README suite for the package whose test file is at `testFileUrl`. */
export function readmeExamplesSuite(testFileUrl) {
  const pkgDir = join(dirname(fileURLToPath(testFileUrl)), '..');
  const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js readme-check (esm|cjs)\n([\s\S]*?)```/g)].map((m) => ({
    kind: m[1],
    code: m[2],
  }));
  // inside the package, so that the package's own name resolves to it (self-reference)
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
        for (const line of b.code.split('\n')) {
          const m = line.match(/console\.log\(.*\);\s*\/\/ (.+)$/);
          if (m) expect(out.replace(/\s+/g, ' ')).toContain(m[1].replace(/\s+/g, ' ').trim());
        }
        expect(out.length).toBeGreaterThan(0);
      });
    });
  });
}
