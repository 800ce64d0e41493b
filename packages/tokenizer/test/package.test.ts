/** The built package as npm users get it: exports map, browser-safe core, Node entry with file I/O. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
    for (const m of text.matchAll(/(?:from|import|require\()\s*['"](\.[^'"]+)['"]/g)) {
      visit(join(dirname(file), m[1]));
    }
  };
  visit(entry);
  return [...seen];
}

describe('the published package', () => {
  it('has an exports map with types first for both module systems', () => {
    const leaves = [pkg.exports['.'].node, pkg.exports['.'], pkg.exports['./node']];
    for (const e of leaves) {
      expect(Object.keys(e.import)[0]).toBe('types');
      expect(Object.keys(e.require)[0]).toBe('types');
      for (const file of [e.import.types, e.import.default, e.require.types, e.require.default]) {
        expect(existsSync(join(pkgDir, file)), `${file} (run npm run build)`).toBe(true);
      }
    }
    expect(pkg.exports['.'].node.import.default).toBe('./dist/node.js');
    expect(pkg.exports['.'].import.default).toBe('./dist/index.js');
    expect(pkg.name).toBe('@openeurollm/tokenizer');
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.scripts.install).toBeUndefined();
    expect(Object.keys(pkg.dependencies)).toEqual(['@huggingface/jinja']);
    expect(existsSync(join(pkgDir, 'LICENSE'))).toBe(true);
  });

  it('core entry is browser-safe: no node: imports anywhere in its bundle', () => {
    for (const file of bundleFiles(join(pkgDir, 'dist', 'index.js'))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from\s*['"]node:|require\(['"]node:|import\(['"]node:/);
      expect(text, file).not.toMatch(/from\s*['"](fs|path|os|child_process|module)['"]/);
    }
  });

  it('in Node the package resolves to the entry with file I/O, for import and require', async () => {
    const esm = await import(pathToFileURL(join(pkgDir, 'dist', 'node.js')).href);
    const core = await import(pathToFileURL(join(pkgDir, 'dist', 'index.js')).href);
    expect(typeof esm.Tokenizer.fromFile).toBe('function');
    expect(typeof core.Tokenizer.fromFile).toBe('undefined');
    expect(new esm.Tokenizer({ model: new esm.WordLevel({ a: 0 }, 'a') })).toBeInstanceOf(
      core.Tokenizer,
    );
    const require = createRequire(join(pkgDir, 'package.json'));
    const cjs = require('@openeurollm/tokenizer');
    expect(typeof cjs.Tokenizer.fromFile).toBe('function');
    expect(typeof cjs.BPE).toBe('function');
    // the condition picks the Node entry at run time; ./node names it explicitly (and its types)
    const self: Record<string, unknown> = await import('@openeurollm/tokenizer');
    expect(typeof (self.Tokenizer as { fromFile?: unknown }).fromFile).toBe('function');
    const explicit = await import('@openeurollm/tokenizer/node');
    expect(explicit.Tokenizer).toBe(self.Tokenizer);
    expect(typeof explicit.Tokenizer.fromFile).toBe('function');
  });
});
