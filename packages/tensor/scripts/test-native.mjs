#!/usr/bin/env node
/**
 * Runs the native kernels' own C++ tests (native/tests: GEMM against a double-precision loop,
 * all transposes, both micro-kernels, 1-3 threads, determinism). Skipped with a note when there
 * is no C++ toolchain, unless OELLM_REQUIRE_NATIVE=1 (CI), where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'tests');
const probe = spawnSync('make', ['--version'], { stdio: 'ignore' });
const cxx = spawnSync(process.env.CXX ?? 'g++', ['--version'], { stdio: 'ignore' });
if (probe.status !== 0 || cxx.status !== 0) {
  const msg = 'test-native: make or a C++ compiler is missing; the C++ kernel tests did not run';
  if (process.env.OELLM_REQUIRE_NATIVE === '1') {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
  process.exit(0);
}
const r = spawnSync('make', ['-s', '-C', dir, 'test'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
