/**
 * `@openeurollm/tensor/gpu`: the `gpu` backend, gpu.js kernels over buffers kept on the device.
 *
 * Importing this entry registers the backend (priority 50: above `js`, below `native`, so in
 * Node it is chosen with `setBackend('gpu')` or `OELLM_BACKEND=gpu`; in a browser it outranks
 * `js`). Nothing loads until the backend is first used: then gpu.js is found, a mode is opened
 * (`OELLM_GPU_MODE`, else the first of headlessgl / webgl2 / webgl / webasm / cpu that works
 * here) and probed for float32. gpu.js is an optional peer dependency; the core never needs it.
 */
import { registerBackend } from './backend.js';
import { createGpuBackend, type GpuBackend } from './gpu/backend.js';
import { GpuDevice } from './gpu/device.js';
import { findGpuJs, type GpuJsModule, gpuClassOf } from './gpu/gpujs.js';
import { type GpuMode, isGlMode, openGpu, requestedMode } from './gpu/modes.js';

export { MAX_ELEMENTS as GPU_MAX_ELEMENTS } from './gpu/codegen.js';
export type { GpuJsModule } from './gpu/gpujs.js';
export { GPU_MODES, type GpuMode, type PrecisionReport } from './gpu/modes.js';
export type { GpuBackend };

/** Where the gpu backend sits among the registered backends when none is asked for. */
export const GPU_PRIORITY = 50;

export interface GpuBackendOptions {
  /** The gpu.js module or its `GPU` class; found automatically in Node and with a `GPU` global. */
  gpu?: GpuJsModule;
  /** A gpu.js mode, or 'auto'; default: OELLM_GPU_MODE, else 'auto'. */
  mode?: GpuMode | 'auto';
  /** Registry priority (default 50). */
  priority?: number;
}

const warned = new Set<string>();
function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(`@openeurollm/tensor gpu backend: ${message}`);
}

/**
 * Registers (or registers again, with new options) the `gpu` backend. Importing this entry
 * already called it with no options.
 */
export function registerGpuBackend(options: GpuBackendOptions = {}): void {
  registerBackend({
    name: 'gpu',
    priority: options.priority ?? GPU_PRIORITY,
    // imported on purpose: when the default choice passes over it, say why once
    warnWhenSkipped: true,
    load: (): GpuBackend => {
      const GPU = options.gpu ? gpuClassOf(options.gpu) : findGpuJs();
      const request = requestedMode(options.mode);
      const opened = openGpu(GPU, request);
      if (request.mode === 'auto' && !isGlMode(opened.mode)) {
        warnOnce(
          'downgrade',
          `no GL context here, so gpu.js runs in ${opened.mode} mode: WebAssembly / JavaScript on the CPU, no data on a GPU, slower than the native backend (${opened.reason})`,
        );
      }
      if (!opened.precision.full) {
        warnOnce(
          'precision',
          `${opened.mode} lacks full float32 here (${opened.precision.detail}); results differ from the js backend by more than float32 rounding`,
        );
      }
      return createGpuBackend(new GpuDevice(opened));
    },
  });
}

registerGpuBackend();
