/**
 * The gpu backend's device: gpu.js kernels compiled once per source and cached, buffers that
 * stay on the device (GL textures, or typed arrays in the webasm / cpu modes), explicit
 * disposal with a live-buffer count, and a FinalizationRegistry for buffers dropped without it.
 */
import type { DType } from '../dtype.js';
import { MAX_ELEMENTS } from './codegen.js';
import type { GpuJsInstance, GpuJsKernel, GpuJsTexture, GpuJsValue } from './gpujs.js';
import { type GpuMode, isGlMode, type OpenedGpu } from './modes.js';

/** Holds the device value; shared with the finalizer, which must not hold the buffer itself. */
interface Cell {
  value: GpuJsValue | null;
}

/**
 * A gpu backend buffer: `size` elements of `dtype` in a texture (GL modes) or a Float32Array
 * (webasm / cpu). int32 values are stored as floats, exact up to 2^24. Int buffers made from
 * host data keep that host copy, so index checks need no read-back.
 */
export class GpuBuf {
  /** @internal */ readonly cell: Cell;

  constructor(
    readonly size: number,
    readonly dtype: DType,
    value: GpuJsValue | null,
    /** @internal Host copy of an int32 buffer's values, when known. */
    public host: Int32Array | null = null,
  ) {
    this.cell = { value };
  }

  get value(): GpuJsValue | null {
    return this.cell.value;
  }
}

/** A kernel argument: a buffer, or a float passed as a uniform (values that change per call). */
export type KernelArg = GpuBuf | number;

/** Compiled kernels kept; the least recently used beyond this are destroyed. */
export const MAX_CACHED_KERNELS = 4096;

/** What gpu.js keeps inside a GL kernel that matters when it is destroyed. */
interface GlKernelInternals {
  texture?: { texture?: { _refs?: number } } | null;
  textureCache?: { _refs?: number }[];
}

/** A gpu.js texture's link to the kernel that made it (used to read and to delete it). */
interface TextureOwner {
  kernel?: { context?: unknown };
}

export class GpuDevice {
  readonly gpu: GpuJsInstance;
  readonly mode: GpuMode;
  readonly onGpu: boolean;
  readonly opened: OpenedGpu;
  private readonly precision: 'single' | 'unsigned';
  private readonly kernels = new Map<string, GpuJsKernel>();
  private live = 0;
  private compiled = 0;
  private launched = 0;
  private downloads = 0;
  private fallbacks = 0;
  private readonly registry: FinalizationRegistry<Cell>;

  private readonly maxKernels: number;
  private anchorKernel: GpuJsKernel | null = null;
  private anchor: TextureOwner['kernel'] | null = null;

  constructor(opened: OpenedGpu, options: { maxKernels?: number } = {}) {
    this.maxKernels = options.maxKernels ?? MAX_CACHED_KERNELS;
    this.opened = opened;
    this.gpu = opened.gpu;
    this.mode = opened.mode;
    this.onGpu = isGlMode(opened.mode);
    this.precision = opened.precision.storage === 'unsigned' ? 'unsigned' : 'single';
    if (this.onGpu) {
      // a kernel that is never evicted, to read and delete textures whose kernel was
      const k = this.compile('function () {\nreturn 0.0;\n}', 1);
      (k() as GpuJsTexture).delete();
      this.anchorKernel = k;
      this.anchor = (k.kernel as unknown as TextureOwner['kernel']) ?? null;
    }
    this.registry = new FinalizationRegistry((cell: Cell) => {
      if (cell.value) {
        this.free(cell.value);
        cell.value = null;
        this.live--;
      }
    });
  }

  /** Counters for `info()` and tests: live buffers, kernels compiled and run, read-backs. */
  stats(): {
    liveBuffers: number;
    kernelsCompiled: number;
    kernelsCached: number;
    launches: number;
    readBacks: number;
  } {
    return {
      liveBuffers: this.live,
      kernelsCompiled: this.compiled,
      kernelsCached: this.kernels.size,
      launches: this.launched,
      readBacks: this.downloads,
    };
  }

  liveBuffers(): number {
    return this.live;
  }

  /** Wraps a device value as a new buffer (counted until disposed). */
  wrap(
    size: number,
    dtype: DType,
    value: GpuJsValue | null,
    host: Int32Array | null = null,
  ): GpuBuf {
    const b = new GpuBuf(size, dtype, value, host);
    if (value) {
      this.live++;
      this.registry.register(b, b.cell, b);
    }
    return b;
  }

  /** Replaces the contents of `dst` with `next`'s (an in-place update); `next` is consumed. */
  assign(dst: GpuBuf, next: GpuBuf): void {
    if (next.size !== dst.size)
      throw new Error('gpu backend: internal error: assign of another size');
    const v = next.cell.value;
    this.registry.unregister(next);
    next.cell.value = null;
    if (v) this.live--;
    this.free(dst.cell.value);
    dst.cell.value = v;
    dst.host = next.host;
  }

  dispose(b: GpuBuf): void {
    if (!(b instanceof GpuBuf) || b.cell.value === null) return;
    this.registry.unregister(b);
    this.free(b.cell.value);
    b.cell.value = null;
    b.host = null;
    this.live--;
  }

  checkSize(op: string, n: number): void {
    if (n > MAX_ELEMENTS) {
      throw new Error(
        `gpu backend: ${op} needs ${n} elements, more than the ${MAX_ELEMENTS} this backend indexes exactly (its index arithmetic is float32); use the native or js backend for tensors this large`,
      );
    }
  }

  /** The device value of a live buffer, or a clear error. */
  valueOf(op: string, b: GpuBuf): GpuJsValue {
    const v = b.cell.value;
    if (v === null) throw new Error(`gpu backend: ${op}: a buffer was used after dispose()`);
    return v;
  }

  /**
   * Runs the kernel `source` over `n` output elements (compiling it on first use) and returns
   * its output as a new buffer of `dtype`.
   */
  run(op: string, source: string, n: number, args: readonly KernelArg[], dtype: DType): GpuBuf {
    if (n === 0) return this.wrap(0, dtype, null);
    this.checkSize(op, n);
    const values: unknown[] = [];
    let sig = '';
    for (const a of args) {
      if (typeof a === 'number') {
        values.push(a);
        sig += 'f,';
      } else {
        if (a.size === 0)
          throw new Error(`gpu backend: internal error: ${op} given an empty buffer`);
        values.push(this.valueOf(op, a));
        sig += `${a.size},`;
      }
    }
    const kernel = this.kernelFor(`${n}|${sig}|${source}`, source, n);
    let out: unknown;
    try {
      out = kernel(...values);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(`gpu backend (${this.mode}): ${op} kernel failed: ${why}\n${source}`);
    }
    this.launched++;
    this.noteFallback(kernel, op);
    return this.wrap(n, dtype, out as GpuJsValue);
  }

  private compile(source: string, n: number): GpuJsKernel {
    this.compiled++;
    return this.gpu.createKernel(source, {
      output: [n],
      pipeline: true,
      immutable: true,
      precision: this.precision,
      tactic: 'precision',
      fixIntegerDivisionAccuracy: false,
      dynamicOutput: false,
      dynamicArguments: false,
      strictIntegers: false,
    });
  }

  /**
   * Destroys a kernel without freeing textures that buffers still hold: gpu.js deletes every
   * texture the kernel ever created, including earlier outputs that live on as our buffers
   * (reference counted in `_refs`), so those are taken out of its list first.
   */
  private retire(k: GpuJsKernel): void {
    const inner = k.kernel as unknown as GlKernelInternals | undefined;
    if (inner?.textureCache) {
      const own = inner.texture?.texture;
      inner.textureCache = inner.textureCache.filter((t) => (t._refs ?? 0) <= (t === own ? 1 : 0));
    }
    k.destroy();
  }

  /** webasm kernels that gpu.js could not compile run on its cpu backend; say so once. */
  private noteFallback(kernel: GpuJsKernel, op: string): void {
    const actual = kernel.kernel?.constructor?.mode;
    if (actual !== 'cpu' || this.mode === 'cpu' || this.fallbacks > 0) return;
    this.fallbacks++;
    console.warn(
      `@openeurollm/tensor gpu backend: a ${op} kernel runs in gpu.js's ${actual} mode instead of ${this.mode} (${kernel.kernel?.fallbackReason ?? 'no reason given'}); results are the same, speed is not`,
    );
  }

  /** A new buffer holding host data. */
  upload(data: Float32Array | Int32Array, dtype: DType): GpuBuf {
    const n = data.length;
    const host = dtype === 'int32' ? Int32Array.from(data) : null;
    if (n === 0) return this.wrap(0, dtype, null, host);
    this.checkSize('upload', n);
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    if (!this.onGpu) return this.wrap(n, dtype, f.slice(), host);
    return this.wrap(n, dtype, this.uploadKernel(n)(f) as GpuJsValue, host);
  }

  private uploadKernel(n: number): GpuJsKernel {
    const source = 'function (a) {\nreturn a[this.thread.x];\n}';
    this.launched++;
    return this.kernelFor(`upload|${n}`, source, n);
  }

  /** The cached kernel for `key`, compiled on first use; evicts the least recently used. */
  private kernelFor(key: string, source: string, n: number): GpuJsKernel {
    let kernel = this.kernels.get(key);
    if (kernel) {
      // least recently used first in the map's order
      this.kernels.delete(key);
      this.kernels.set(key, kernel);
      return kernel;
    }
    kernel = this.compile(source, n);
    this.kernels.set(key, kernel);
    if (this.kernels.size > this.maxKernels) {
      const [oldKey, old] = this.kernels.entries().next().value as [string, GpuJsKernel];
      this.kernels.delete(oldKey);
      this.retire(old);
    }
    return kernel;
  }

  /** A host copy of the first `size` elements as float32. */
  download(b: GpuBuf, size: number): Float32Array {
    if (size === 0) return new Float32Array(0);
    const v = this.valueOf('read', b);
    this.downloads++;
    if (v instanceof Float32Array) return v.slice(0, size);
    this.rehome(v);
    const arr = v.toArray();
    if (!(arr instanceof Float32Array)) {
      throw new Error('gpu backend: internal error: a texture read back as something else');
    }
    return arr.length === size ? arr : arr.slice(0, size);
  }

  private free(v: GpuJsValue | null): void {
    if (!v || v instanceof Float32Array) return;
    this.rehome(v);
    v.delete();
  }

  /**
   * A texture reads and deletes itself through the kernel that made it; once that kernel was
   * destroyed (evicted from the cache) it is handed to the anchor kernel, which lives as long
   * as the device.
   */
  private rehome(t: GpuJsTexture): void {
    const owner = t as unknown as TextureOwner;
    if (owner.kernel && !owner.kernel.context && this.anchor) owner.kernel = this.anchor;
  }

  /** Frees every cached kernel and the gpu.js instance (buffers must be disposed first). */
  destroy(): void {
    for (const k of this.kernels.values()) this.retire(k);
    this.anchorKernel?.destroy();
    this.kernels.clear();
    this.gpu.destroy();
  }
}
