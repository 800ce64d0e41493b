/**
 * The parts of gpu.js that the gpu backend uses, typed here so that this package's types do not
 * depend on gpu.js (an optional peer dependency), and the lookup of the module itself.
 */

/** A kernel output kept on the device (GL modes). `toArray()` reads it back. */
export interface GpuJsTexture {
  readonly output: readonly number[];
  toArray(): unknown;
  delete(): void;
}

/** What a pipelined kernel returns: a texture in GL modes, a typed array in webasm / cpu. */
export type GpuJsValue = GpuJsTexture | Float32Array;

export interface GpuJsKernel {
  (...args: unknown[]): unknown;
  destroy(removeCanvasReferences?: boolean): void;
  /** The kernel object behind the callable (gpu.js swaps it when it falls back). */
  readonly kernel?: { readonly constructor: { readonly mode?: string }; fallbackReason?: string };
}

export interface GpuJsPrecisionFormat {
  readonly rangeMin: number;
  readonly rangeMax: number;
  readonly precision: number;
}

export interface GpuJsFeatures {
  readonly isFloatRead?: boolean;
  readonly isTextureFloat?: boolean;
  readonly maxTextureSize?: number;
  readonly highFloatPrecision?: GpuJsPrecisionFormat;
}

export interface GpuJsInstance {
  readonly Kernel: { readonly mode?: string; readonly features?: GpuJsFeatures | null } | null;
  readonly context: unknown;
  createKernel(source: string, settings: Record<string, unknown>): GpuJsKernel;
  destroy(): unknown;
}

export interface GpuJsClass {
  new (settings?: { mode?: string }): GpuJsInstance;
  readonly isHeadlessGLSupported?: boolean;
  readonly isWebGL2Supported?: boolean;
  readonly isWebGLSupported?: boolean;
  readonly isWebGPUSupported?: boolean;
  readonly isWebAssemblySupported?: boolean;
}

/** The gpu.js module (`import * as gpujs from 'gpu.js'`) or just its `GPU` class. */
export type GpuJsModule = { readonly GPU: GpuJsClass } | GpuJsClass;

export function gpuClassOf(m: GpuJsModule): GpuJsClass {
  const cls = typeof m === 'function' ? m : m?.GPU;
  if (typeof cls !== 'function') {
    throw new Error(
      'registerGpuBackend: `gpu` must be the gpu.js module or its GPU class (import { GPU } from "gpu.js")',
    );
  }
  return cls;
}

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
}

export function nodeProcess(): NodeProcess | undefined {
  return (globalThis as { process?: NodeProcess }).process;
}

export function isNode(): boolean {
  return typeof nodeProcess()?.versions?.node === 'string';
}

/**
 * Finds gpu.js: a `GPU` global (the browser build in a script tag), else `require('gpu.js')`
 * from this package's location in Node (through `process.getBuiltinModule`, so this file
 * imports nothing from `node:` and stays browser-safe). Throws saying how to provide it.
 */
export function findGpuJs(): GpuJsClass {
  const global = (globalThis as { GPU?: unknown }).GPU;
  if (typeof global === 'function') return global as GpuJsClass;
  const proc = nodeProcess();
  if (isNode()) {
    const mod = proc?.getBuiltinModule?.('module') as
      | { createRequire(from: string): (id: string) => unknown }
      | undefined;
    if (!mod) {
      throw new Error(
        `gpu.js cannot be loaded automatically on node ${proc?.versions?.node} (needs process.getBuiltinModule, node >= 20.16); call registerGpuBackend({ gpu: await import('gpu.js') })`,
      );
    }
    try {
      return gpuClassOf(mod.createRequire(import.meta.url)('gpu.js') as GpuJsModule);
    } catch (e) {
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new Error(
        `gpu.js is not installed (${why}); install it with \`npm install gpu.js\` (its optional \`gl\` dependency gives the headlessgl mode)`,
      );
    }
  }
  throw new Error(
    "gpu.js was not found: pass it with registerGpuBackend({ gpu: GPU }) after `import { GPU } from 'gpu.js'`, or load gpu-browser.js so that a GPU global exists",
  );
}
