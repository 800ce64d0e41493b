#!/usr/bin/env node
/**
 * Builds the native addon with node-gyp (run by the package's `build` script, never as an
 * install script). When there is no compiler the build is skipped with a warning and the
 * package falls back to the js backend at run time; OELLM_REQUIRE_NATIVE=1 (set in CI)
 * turns that into a failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.OELLM_SKIP_NATIVE === '1') {
  console.log('build-native: skipped (OELLM_SKIP_NATIVE=1)');
  process.exit(0);
}
/** node-gyp as npm provides it to scripts, else npm's bundled copy, else one on PATH. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const bundled = join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  );
  if (existsSync(bundled)) return [process.execPath, bundled];
  return ['node-gyp'];
}
/** Node's own headers (they ship with every Node install): no download of headers needed. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null;
}
const [cmd, ...pre] = nodeGyp();
const dir = nodeDir();
const args = [
  ...pre,
  'rebuild',
  `--jobs=${process.env.OELLM_BUILD_JOBS ?? 'max'}`,
  ...(dir ? [`--nodedir=${dir}`] : []),
];
const r = spawnSync(cmd, args, {
  cwd: pkgDir,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
const built = existsSync(join(pkgDir, 'build', 'Release', 'oellm_tensor.node'));
if (r.status === 0 && built) {
  console.log('build-native: built build/Release/oellm_tensor.node');
  process.exit(0);
}
const why = r.error ? r.error.message : `node-gyp exited with ${r.status}`;
if (process.env.OELLM_REQUIRE_NATIVE === '1') {
  console.error(`build-native: the native addon did not build (${why}) and OELLM_REQUIRE_NATIVE=1`);
  process.exit(1);
}
console.warn(
  `build-native: the native addon did not build (${why}); @openeurollm/tensor will use the js backend. ` +
    'Install a C++17 compiler, python3 and make, then run npm run build.',
);
