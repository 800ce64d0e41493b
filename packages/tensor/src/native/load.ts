import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './backend.js';

const FUNCTIONS = ['info', 'copy', 'binary', 'matmul', 'attention', 'adamw'] as const;

/** This package's root: the nearest folder above this file whose package.json is ours. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === '@openeurollm/tensor') return dir;
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the @openeurollm/tensor package folder');
}

/**
 * Loads the addon in a fixed order: OELLM_NATIVE_PATH (an explicit .node file), then what
 * node-gyp-build finds (a prebuilt binary under prebuilds/, then a local build/Release). Throws
 * one message with the platform, arch, Node-API version and what to do.
 */
export function loadAddon(): NativeAddon {
  const req = createRequire(import.meta.url);
  const env = process.env.OELLM_NATIVE_PATH;
  let addon: NativeAddon;
  try {
    if (env) addon = req(env) as NativeAddon;
    else {
      const nodeGypBuild = req('node-gyp-build') as (dir: string) => unknown;
      addon = nodeGypBuild(packageRoot()) as NativeAddon;
    }
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new Error(
      `no native binary for ${process.platform}-${process.arch} (Node-API ${process.versions.napi}, node ${process.version}): ${reason}. ` +
        'Build it with `npm run build -w @openeurollm/tensor` (needs a C++17 compiler, python3 and make), ' +
        'or set OELLM_BACKEND=js to use the JavaScript backend without this notice.',
    );
  }
  for (const f of FUNCTIONS) {
    if (typeof (addon as unknown as Record<string, unknown>)[f] !== 'function') {
      throw new Error(
        `the native binary is out of date (no '${f}'); rebuild with npm run build -w @openeurollm/tensor`,
      );
    }
  }
  return addon;
}
