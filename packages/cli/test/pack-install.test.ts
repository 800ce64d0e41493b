/**
 * The packages as npm users get them: every package of the repository packed with `npm pack`,
 * the tarballs installed into an empty project, each package imported from ESM and from
 * CommonJS, and the packed CLI run through `npx oellm`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PKG_DIR, tempDir } from './helpers.js';

const PACKAGES_DIR = join(PKG_DIR, '..');
const packages = readdirSync(PACKAGES_DIR)
  .filter((d) => {
    try {
      return JSON.parse(
        readFileSync(join(PACKAGES_DIR, d, 'package.json'), 'utf8'),
      ).name?.startsWith('@openeurollm/');
    } catch {
      return false;
    }
  })
  .map((d) => ({
    dir: join(PACKAGES_DIR, d),
    name: JSON.parse(readFileSync(join(PACKAGES_DIR, d, 'package.json'), 'utf8')).name as string,
  }));

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const work = tempDir('oellm-pack-');
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
const packed: Record<string, { filename: string; files: string[] }> = {};

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      env: {
        ...process.env,
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${err.stderr ?? ''}${err.stdout ?? ''}`,
    );
  }
}

describe('packed packages', () => {
  beforeAll(() => {
    mkdirSync(tarballs, { recursive: true });
    mkdirSync(project, { recursive: true });
    for (const p of packages) {
      const out = JSON.parse(
        run(npm, ['pack', '--json', '--pack-destination', tarballs], p.dir),
      ) as { filename: string; files: { path: string }[] }[];
      packed[p.name] = {
        filename: join(tarballs, out[0].filename),
        files: out[0].files.map((f) => f.path),
      };
    }
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }),
    );
    // all tarballs at once, so that their dependencies on each other resolve to them
    run(
      npm,
      [
        'install',
        '--no-package-lock',
        '--prefer-offline',
        ...Object.values(packed).map((p) => p.filename),
      ],
      project,
    );
  }, 300_000);

  it('every package is packed with README, LICENSE, types and both module formats', () => {
    expect(Object.keys(packed).sort()).toEqual(
      expect.arrayContaining([
        '@openeurollm/cli',
        '@openeurollm/nn',
        '@openeurollm/tensor',
        '@openeurollm/tokenizer',
      ]),
    );
    for (const [name, p] of Object.entries(packed)) {
      expect(p.files, name).toContain('README.md');
      expect(p.files, name).toContain('LICENSE');
      expect(p.files, name).toContain('package.json');
      expect(
        p.files.some((f) => f.endsWith('.d.ts')),
        `${name}: ESM types`,
      ).toBe(true);
      expect(
        p.files.some((f) => f.endsWith('.d.cts')),
        `${name}: CJS types`,
      ).toBe(true);
      expect(
        p.files.some((f) => f.endsWith('.cjs')),
        `${name}: CJS build`,
      ).toBe(true);
      expect(
        p.files.some((f) => /^(src|test)\//.test(f)),
        `${name}: no sources or tests`,
      ).toBe(false);
    }
  });

  it.each(packages.map((p) => [p.name]))('%s imports from ESM and CommonJS', (name) => {
    const esm = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as m from '${name}'; console.log(Object.keys(m).length)`,
      ],
      project,
      { OELLM_BACKEND: 'js' },
    );
    expect(Number(esm.trim())).toBeGreaterThan(0);
    const cjs = run(
      process.execPath,
      ['-e', `console.log(Object.keys(require('${name}')).length)`],
      project,
      { OELLM_BACKEND: 'js' },
    );
    expect(Number(cjs.trim())).toBeGreaterThan(0);
  });

  it('runs the packed CLI through npx oellm', () => {
    const help = run('npx', ['--no-install', 'oellm', '--help'], project);
    expect(help).toMatch(/^Usage: oellm/);
    expect(help).toContain('quickstart');
    const info = JSON.parse(
      run('npx', ['--no-install', 'oellm', 'info', '--json'], project, { OELLM_BACKEND: 'js' }),
    );
    expect(info.versions['@openeurollm/cli']).toBe(
      JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')).version,
    );
  });
});
