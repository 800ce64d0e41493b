/** The built package as npm users get it: exports map, browser-safe core, both module systems. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

/** The files an entry pulls in, following relative imports of the bundle (shared chunks). */
function bundleFiles(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import|require\()\s*['"](\.[^'"]+)['"]/g))
      visit(join(dirname(file), m[1]));
  };
  visit(join(pkgDir, entry));
  return [...seen];
}

describe('the published package', () => {
  it('has an exports map with types first for both module systems', () => {
    for (const e of [pkg.exports['.'].node, pkg.exports['.'], pkg.exports['./node']]) {
      expect(Object.keys(e.import)[0]).toBe('types');
      expect(Object.keys(e.require)[0]).toBe('types');
      for (const file of [e.import.types, e.import.default, e.require.types, e.require.default]) {
        expect(existsSync(join(pkgDir, file)), `${file} (run npm run build)`).toBe(true);
      }
    }
    expect(pkg.dependencies).toEqual({
      '@openeurollm/nn': '^0.1.0',
      '@openeurollm/tensor': '^0.1.0',
    });
  });

  it('the core entry is browser-safe: no node: imports anywhere in its bundle', () => {
    for (const file of bundleFiles('dist/index.js')) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/from\s*['"]node:|require\(['"]node:/);
    }
  });

  it('loads through require() with the Node entry (file helpers included)', () => {
    const require = createRequire(join(pkgDir, 'package.json'));
    const optim = require('@openeurollm/optim');
    expect(typeof optim.AdamW).toBe('function');
    expect(typeof optim.saveOptimizerState).toBe('function');
    const core = require(join(pkgDir, 'dist', 'index.cjs'));
    expect(core.saveOptimizerState).toBeUndefined();
    expect(typeof core.optimizerStateToSafetensors).toBe('function');
  });
});
