/** Writing folders so that a crash never leaves a torn one (Node only). */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Builds a folder at `dir` by letting `fill` write into a fresh temporary sibling, then renames
 * it into place. An existing `dir` is moved aside first and removed only after the rename, so
 * at every instant either the old or the new folder is complete. On error the temporary folder
 * is removed and `dir` is untouched.
 */
export function writeFolderAtomically(dir: string, fill: (tmp: string) => void): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const stamp = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = join(parent, `.${basename(dir)}.tmp-${stamp}`);
  mkdirSync(tmp);
  try {
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (existsSync(dir)) {
    const old = join(parent, `.${basename(dir)}.old-${stamp}`);
    renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(tmp, dir);
  }
}

/** JSON with two-space indent and a final newline. */
export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
