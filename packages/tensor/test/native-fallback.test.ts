/**
 * The Node entry without a usable binary: it says so once, names the platform and what to do,
 * and falls back to js; with the binary, native is the default and the thread count is settable.
 * Runs the built package (dist/) in child processes, as a user would.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const require = createRequire(import.meta.url);

/** Runs an ESM snippet in a fresh node (from the package folder) and returns its output. */
function run(code: string, env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: pkgDir,
    env: { ...process.env, OELLM_BACKEND: '', ...env },
    encoding: 'utf8',
  });
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('loading the native backend from the published entry', () => {
  it('falls back to js, saying so once, when the binary cannot be loaded', () => {
    const code = `
      import * as t from '@openeurollm/tensor';
      const a = t.tensor([1, 2]).add(1);
      const b = t.tensor([3]).mul(2);
      console.log(t.getBackend().name, a.toArray().join(','), b.item());
      console.log(JSON.stringify(t.listBackends().map((x) => [x.name, x.available])));
    `;
    const r = run(code, { OELLM_NATIVE_PATH: '/nonexistent/oellm_tensor.node' });
    expect(r.stdout).toContain('js 2,3 6');
    expect(r.stdout).toContain('[["native",false],["js",true]]');
    const warnings = r.stderr
      .split('\n')
      .filter((l) => l.includes('native backend is not available'));
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(
      new RegExp(`no native binary for ${process.platform}-${process.arch} \\(Node-API \\d+`),
    );
    expect(warnings[0]).toMatch(/OELLM_BACKEND=js/);
  });

  it('OELLM_BACKEND=js chooses js quietly; an unloadable OELLM_BACKEND=native is an error', () => {
    const quiet = run(
      `import * as t from '@openeurollm/tensor'; console.log(t.getBackend().name);`,
      { OELLM_NATIVE_PATH: '/nonexistent/x.node', OELLM_BACKEND: 'js' },
    );
    expect(quiet.stdout.trim()).toBe('js');
    expect(quiet.stderr).not.toMatch(/not available/);
    const loud = run(`import * as t from '@openeurollm/tensor'; t.tensor([1]);`, {
      OELLM_NATIVE_PATH: '/nonexistent/x.node',
      OELLM_BACKEND: 'native',
    });
    expect(loud.stderr).toMatch(/OELLM_BACKEND=native cannot run here: no native binary/);
  });

  it('uses native by default when the binary loads, from ESM and CommonJS, with settable threads', () => {
    const esm = run(`
      import * as t from '@openeurollm/tensor';
      t.setNumThreads(1);
      console.log(t.getBackend().name, t.getNumThreads(), t.getBackend().info().gemmKernel !== undefined);
    `);
    if (process.env.OELLM_REQUIRE_NATIVE === '1' || esm.stdout.startsWith('native')) {
      expect(esm.stdout.trim()).toBe('native 1 true');
    }
    const cjs = execFileSync(
      process.execPath,
      [
        '-e',
        `const t = require('@openeurollm/tensor'); console.log(t.tensor([2]).mul(3).item(), typeof t.setNumThreads);`,
      ],
      {
        cwd: pkgDir,
        encoding: 'utf8',
      },
    );
    expect(cjs.trim()).toBe('6 function');
    expect(require.resolve('@openeurollm/tensor')).toMatch(/dist[\\/]node\.cjs$/);
  });
});
