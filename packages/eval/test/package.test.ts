/** The built package as npm users get it: exports map, browser-safe core, Node entry with files. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EVAL_VERSION } from '../src/index.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

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
    expect(pkg.name).toBe('@openeurollm/eval');
    expect(pkg.version).toBe(EVAL_VERSION);
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.engines.node).toBe('>=20');
    expect(pkg.scripts.install).toBeUndefined();
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@openeurollm/data',
      '@openeurollm/nn',
      '@openeurollm/tensor',
      '@openeurollm/tokenizer',
      'hyparquet',
      'vega',
      'vega-lite',
    ]);
    expect(existsSync(join(pkgDir, 'LICENSE'))).toBe(true);
  });

  it('core entry is browser-safe: no node: imports in its bundle', () => {
    for (const file of ['index.js', 'index.cjs']) {
      const text = readFileSync(join(pkgDir, 'dist', file), 'utf8');
      expect(text, file).not.toMatch(/from\s*['"]node:|require\(['"]node:|import\(['"]node:/);
      expect(text, file).not.toMatch(/from\s*['"](fs|path|os|child_process|module|crypto)['"]/);
    }
  });

  it('both module systems load the Node entry, and CommonJS renders charts (vega is ESM-only)', async () => {
    const esm = await import(pathToFileURL(join(pkgDir, 'dist', 'node.js')).href);
    const core = await import(pathToFileURL(join(pkgDir, 'dist', 'index.js')).href);
    expect(typeof esm.readTask).toBe('function');
    expect(core.readTask).toBeUndefined();
    expect(typeof core.chrf).toBe('function');
    const require = createRequire(join(pkgDir, 'package.json'));
    const cjs = require('@openeurollm/eval');
    expect(typeof cjs.writeReport).toBe('function');
    expect(cjs.bleu(['the cat sat on the mat'], [['the cat sat on the mat']]).score).toBeCloseTo(
      100,
      10,
    );
    const svg: string = await cjs.renderChartSvg(
      cjs.languageBarChart('t', 'y', [{ lang: 'en', value: 1 }]),
    );
    expect(svg).toMatch(/^<svg[^>]+class="marks"/);
    const self: Record<string, unknown> = await import('@openeurollm/eval');
    expect(typeof self.readTask).toBe('function');
  });
});
