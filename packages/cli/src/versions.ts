/** Versions of the toolkit's packages as installed beside this one, and of Node. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const PACKAGES = ['tensor', 'tokenizer', 'nn', 'optim', 'data', 'eval', 'cli'] as const;

const require = createRequire(import.meta.url);

/** The version of @openeurollm/<name>, or null when it is not installed. */
export function packageVersion(name: (typeof PACKAGES)[number]): string | null {
  try {
    const file = require.resolve(`@openeurollm/${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** `{ '@openeurollm/tensor': '0.1.0', …, node: 'v20.x' }`. */
export function versions(): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const p of PACKAGES) out[`@openeurollm/${p}`] = packageVersion(p);
  out.node = process.version;
  return out;
}

/** This CLI's own version. */
export function cliVersion(): string {
  return packageVersion('cli') ?? '0.0.0';
}
