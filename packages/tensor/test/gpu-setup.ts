/**
 * Registers the gpu backend for a test file and says whether it loads here. Where it cannot
 * (no gpu.js, or the forced OELLM_GPU_MODE is missing), gpu tests skip with the reason logged;
 * OELLM_REQUIRE_GPU=1 (set by CI) turns that into a failure.
 */
import { expect, it } from 'vitest';
import type { GpuBackend } from '../src/gpu.js';
import '../src/gpu.js';
import { backendByName } from '../src/backend.js';
import { listBackends } from '../src/index.js';

const listing = listBackends().find((b) => b.name === 'gpu');

export const gpuAvailable = listing?.available === true;

/** The loaded gpu backend (only call where `gpuAvailable`). */
export function gpuBackend(): GpuBackend {
  return backendByName('gpu') as GpuBackend;
}

/** One test that fails under OELLM_REQUIRE_GPU=1 when the backend cannot load, else logs why. */
export function itLoadsWhereRequired(file: string): void {
  it('the gpu backend loads where CI requires it (OELLM_REQUIRE_GPU=1)', () => {
    expect(listing, 'importing @openeurollm/tensor/gpu registers the gpu backend').toBeDefined();
    if (process.env.OELLM_REQUIRE_GPU === '1') expect(listing?.error ?? 'ok').toBe('ok');
    if (!gpuAvailable) console.warn(`${file}: gpu tests skipped here: ${listing?.error}`);
  });
}
