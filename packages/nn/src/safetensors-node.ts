/** safetensors files on disk (Node only): read with the path in every error, write atomically. */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Tensor } from '@openeurollm/tensor';
import {
  entryToTensor,
  parseSafetensors,
  type SafetensorsFile,
  type SafetensorsInput,
  type SerializeOptions,
  serializeSafetensors,
  type ToTensorOptions,
} from './safetensors.js';

function readBytes(op: string, path: string): Uint8Array {
  if (typeof path !== 'string' || path.length === 0) {
    throw new Error(`${op}: path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`${op}: cannot read '${path}': ${err.message}`, { cause: e });
  }
}

/** Reads and validates a safetensors file; the entries' bytes are views into the file's bytes. */
export function readSafetensors(path: string): SafetensorsFile {
  const bytes = readBytes('readSafetensors', path);
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    throw new Error(`readSafetensors: '${path}': ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a safetensors file and converts every tensor (see `entryToTensor`). */
export function readTensors(path: string, options: ToTensorOptions = {}): Record<string, Tensor> {
  const file = readSafetensors(path);
  const out: Record<string, Tensor> = {};
  for (const [name, entry] of file.tensors) {
    let t: Tensor;
    try {
      t = entryToTensor(entry, options);
    } catch (e) {
      throw new Error(`readTensors: '${path}': ${(e as Error).message}`, { cause: e });
    }
    Object.defineProperty(out, name, {
      value: t,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Writes tensors to a safetensors file (see `serializeSafetensors`). The bytes go to a
 * temporary file in the same folder, flushed to disk, then renamed over `path`: a failure
 * leaves neither a torn file nor the temporary one behind.
 */
export function writeSafetensors(
  path: string,
  tensors: SafetensorsInput,
  options: SerializeOptions = {},
): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new Error(
      `writeSafetensors: path must be a non-empty string, got ${JSON.stringify(path)}`,
    );
  }
  const bytes = serializeSafetensors(tensors, options); // errors here touch no file
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(fd, bytes, written, bytes.length - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already closed or never usable; the unlink below still runs
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never made
    }
    const err = e as NodeJS.ErrnoException;
    throw new Error(`writeSafetensors: cannot write '${path}': ${err.message}`, {
      cause: e,
    });
  }
}
