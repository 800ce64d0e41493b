/**
 * Choosing the tensor backend and thread count for a command: `--backend` / the run config /
 * OELLM_BACKEND, else the fastest that loads; `--threads` / OELLM_NUM_THREADS.
 */
import {
  backendReason,
  getBackend,
  getNumThreads,
  listBackends,
  setBackend,
  setNumThreads,
} from '@openeurollm/tensor';
import { UsageError } from './errors.js';

/** Registers the optional gpu.js backend (needs the `gpu.js` package); false when it cannot. */
export async function registerGpu(): Promise<boolean> {
  try {
    await import('@openeurollm/tensor/gpu');
    return true;
  } catch {
    return false;
  }
}

export interface BackendChoice {
  name: string;
  reason: string;
  threads: number;
  info: Record<string, unknown>;
}

/** Applies a backend name and a thread count (either may be undefined: keep the default). */
export async function chooseBackend(name?: string, threads?: number): Promise<BackendChoice> {
  if ((name ?? process.env.OELLM_BACKEND) === 'gpu') await registerGpu();
  if (name !== undefined) {
    try {
      setBackend(name);
    } catch (e) {
      const names = listBackends().map((b) => `${b.name}${b.available ? '' : ' (unavailable)'}`);
      throw new UsageError(
        `--backend ${name}: ${(e as Error).message}`,
        `backends: ${names.join(', ')}`,
      );
    }
  }
  const backend = getBackend();
  if (threads !== undefined) {
    if (backend.name === 'native') setNumThreads(threads);
  }
  return {
    name: backend.name,
    reason: backendReason(),
    threads: getNumThreads(),
    info: backend.info(),
  };
}

/** "native (avx2-fma, 2 threads)". */
export function describeBackend(c: BackendChoice): string {
  const bits: string[] = [];
  if (typeof c.info.gemmKernel === 'string') bits.push(c.info.gemmKernel);
  if (typeof c.info.mode === 'string') bits.push(`mode ${c.info.mode}`);
  if (c.name === 'native') bits.push(`${c.threads} thread${c.threads === 1 ? '' : 's'}`);
  return bits.length ? `${c.name} (${bits.join(', ')})` : c.name;
}
