/** The built package as npm users get it: browser-safe core entry, exports map that resolves. */
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
  visit(entry);
  return [...seen];
}

describe('the published package', () => {
  it('has an exports map with types first for both module systems', () => {
    const leaves: { import: Record<string, string>; require: Record<string, string> }[] = [
      pkg.exports['.'].node,
      pkg.exports['.'],
      pkg.exports['./core'],
      pkg.exports['./testing'],
      pkg.exports['./gpu'],
    ];
    for (const e of leaves) {
      expect(Object.keys(e.import)[0]).toBe('types');
      expect(Object.keys(e.require)[0]).toBe('types');
      for (const file of [e.import.types, e.import.default, e.require.types, e.require.default]) {
        expect(existsSync(join(pkgDir, file)), `${file} (run npm run build)`).toBe(true);
      }
    }
    // Node gets the entry with the native backend, browsers and bundlers the core
    expect(pkg.exports['.'].node.import.default).toBe('./dist/node.js');
    expect(pkg.exports['.'].import.default).toBe('./dist/index.js');
    expect(pkg.engines.node).toBe('>=20');
    // no install script: the addon is prebuilt (prebuildify) or built by `npm run build`
    expect(pkg.scripts.install).toBeUndefined();
    expect(pkg.gypfile).toBe(false);
  });

  it('core entry is browser-safe: no node: imports anywhere in its bundle', () => {
    for (const entry of ['dist/index.js', 'dist/testing.js', 'dist/gpu.js']) {
      for (const file of bundleFiles(join(pkgDir, entry))) {
        const text = readFileSync(file, 'utf8');
        expect(text, file).not.toMatch(/from\s*['"]node:|require\(['"]node:|import\(['"]node:/);
        expect(text, file).not.toMatch(/from\s*['"](fs|path|os|child_process|module)['"]/);
      }
    }
  });

  it('gpu.js is an optional peer that only the gpu entry loads, at run time', () => {
    expect(pkg.peerDependencies['gpu.js']).toBeDefined();
    expect(pkg.peerDependenciesMeta['gpu.js'].optional).toBe(true);
    expect(pkg.dependencies?.['gpu.js']).toBeUndefined();
    expect(pkg.dependencies?.gl).toBeUndefined();
    for (const entry of ['dist/index.js', 'dist/node.js', 'dist/node.cjs', 'dist/testing.js']) {
      for (const file of bundleFiles(join(pkgDir, entry))) {
        expect(readFileSync(file, 'utf8'), file).not.toMatch(
          /require\(['"]gpu\.js['"]\)|^import[^;]*['"]gpu\.js['"]/m,
        );
      }
    }
    // the gpu entry resolves gpu.js lazily (when the backend is first used), never statically
    expect(readFileSync(join(pkgDir, 'dist/gpu.js'), 'utf8')).not.toMatch(
      /^import[^;]*['"]gpu\.js['"]/m,
    );
  });

  it('the gpu entry registers its backend in the same registry as the core', async () => {
    const core = await import('@openeurollm/tensor');
    const gpu = await import('@openeurollm/tensor/gpu');
    expect(typeof gpu.registerGpuBackend).toBe('function');
    expect(core.listBackends().map((b) => b.name)).toContain('gpu');
    const cjs = createRequire(import.meta.url)('@openeurollm/tensor/gpu');
    expect(cjs.GPU_MODES).toEqual(gpu.GPU_MODES);
  });

  it('one shared engine behind both entries (one backend registry, one Tensor class)', async () => {
    const core = await import('@openeurollm/tensor');
    const testing = await import('@openeurollm/tensor/testing');
    const x = core.tensor([1, 2], { requiresGrad: true });
    expect(testing.gradcheck((t: InstanceType<typeof core.Tensor>) => t.mul(t), [x]).ok).toBe(true);
    const req = createRequire(import.meta.url);
    const cjs = req('@openeurollm/tensor');
    expect(cjs.tensor([1, 2]).sum().item()).toBe(3);
  });
});
