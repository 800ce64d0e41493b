/**
 * The Node.js entry of @openeurollm/tensor: everything of the browser-safe core, plus the
 * native (C++) backend, registered with a higher priority than `js`. When its binary cannot be
 * loaded, the package says so once and falls back to `js`.
 */
import { backendByName, registerBackend } from './backend.js';
import { createNativeBackend, type NativeAddon } from './native/backend.js';
import { loadAddon } from './native/load.js';

export * from './index.js';

let addon: NativeAddon | null = null;

registerBackend({
  name: 'native',
  priority: 100,
  warnWhenSkipped: true,
  load: () => {
    addon ??= loadAddon();
    return createNativeBackend(addon);
  },
});

/**
 * Sets the native backend's thread count (default: OELLM_NUM_THREADS, else all cores).
 * Throws when the native backend is not available.
 */
export function setNumThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`setNumThreads: threads must be a positive integer, got ${threads}`);
  }
  backendByName('native');
  addon!.setNumThreads(threads);
}

/** The native backend's thread count, or 1 when it is not available. */
export function getNumThreads(): number {
  try {
    backendByName('native');
    return addon!.info().threads;
  } catch {
    return 1;
  }
}
