/**
 * Which gpu.js mode the gpu backend runs in: forced by `OELLM_GPU_MODE` (or an option), else the
 * first mode that works here. Each candidate is opened and probed with a small kernel whose
 * float32 answers are known, so a GL path without full float32 is detected and reported.
 */
import {
  type GpuJsClass,
  type GpuJsFeatures,
  type GpuJsInstance,
  type GpuJsTexture,
  isNode,
  nodeProcess,
} from './gpujs.js';

export const GPU_MODES = ['headlessgl', 'webgl2', 'webgl', 'webgpu', 'webasm', 'cpu'] as const;
export type GpuMode = (typeof GPU_MODES)[number];

/** Modes whose buffers are GL textures (data kept on the device between kernels). */
export function isGlMode(mode: GpuMode): boolean {
  return mode === 'headlessgl' || mode === 'webgl2' || mode === 'webgl';
}

/**
 * The first mode in this list that opens is used when no mode is forced. `webgpu` is never in
 * it: gpu.js's WebGPU kernels are asynchronous only (see `unsupported`).
 */
export function autoModes(): GpuMode[] {
  return isNode() ? ['headlessgl', 'webasm', 'cpu'] : ['webgl2', 'webgl', 'webasm', 'cpu'];
}

export interface ModeRequest {
  mode: GpuMode | 'auto';
  /** Who asked: 'the mode option', 'OELLM_GPU_MODE' or 'default'. */
  from: string;
}

/** The mode asked for: the option, else OELLM_GPU_MODE, else 'auto'. Throws on unknown names. */
export function requestedMode(option?: string): ModeRequest {
  const env = nodeProcess()?.env?.OELLM_GPU_MODE;
  const from = option !== undefined ? 'the mode option' : env ? 'OELLM_GPU_MODE' : 'default';
  const asked = option ?? (env && env.length > 0 ? env : 'auto');
  if (asked === 'auto' || (GPU_MODES as readonly string[]).includes(asked)) {
    return { mode: asked as GpuMode | 'auto', from };
  }
  const who = option !== undefined ? 'registerGpuBackend: mode' : 'OELLM_GPU_MODE';
  throw new Error(
    `${who} '${asked}' is not a gpu.js mode; use one of auto, ${GPU_MODES.join(', ')}`,
  );
}

export interface PrecisionReport {
  /** True when storage and arithmetic both carry a 24-bit float32 mantissa. */
  full: boolean;
  /** gpu.js texture precision in use: 'single' (float textures) or 'unsigned' (bytes). */
  storage: 'single' | 'unsigned' | 'typed-array';
  /** What the probe measured, in words. */
  detail: string;
}

export interface OpenedGpu {
  gpu: GpuJsInstance;
  mode: GpuMode;
  /** Why this mode, including the modes passed over and why. */
  reason: string;
  precision: PrecisionReport;
  features: GpuJsFeatures | null;
  renderer: string | null;
}

const SUPPORT_FLAG: Partial<Record<GpuMode, keyof GpuJsClass>> = {
  headlessgl: 'isHeadlessGLSupported',
  webgl2: 'isWebGL2Supported',
  webgl: 'isWebGLSupported',
  webasm: 'isWebAssemblySupported',
};

function unsupported(mode: GpuMode): string {
  if (mode === 'headlessgl') {
    const env = nodeProcess()?.env;
    const platform = (nodeProcess() as { platform?: string } | undefined)?.platform;
    if (platform === 'linux' && !env?.DISPLAY) {
      return 'no X display for headless GL (DISPLAY is unset; run under `xvfb-run -a`)';
    }
    return 'the gl package gave no WebGL context (it is missing, failed to build, or has no display; it builds from source with libxi-dev libglu1-mesa-dev libglew-dev pkg-config)';
  }
  if (mode === 'webgpu') {
    return "gpu.js's webgpu kernels return Promises only, and the tensor engine reads results synchronously";
  }
  return `gpu.js reports no ${mode} support in this environment`;
}

/** Opens gpu.js in the requested mode (or the first auto mode that works); probes its float32. */
export function openGpu(GPU: GpuJsClass, request: ModeRequest): OpenedGpu {
  const asked = request.mode;
  const candidates = asked === 'auto' ? autoModes() : [asked];
  const skipped: string[] = [];
  for (const mode of candidates) {
    try {
      const opened = openMode(GPU, mode);
      const how =
        asked === 'auto'
          ? `first gpu.js mode that works here (order ${candidates.join(', ')})`
          : `forced by ${request.from}`;
      opened.reason = skipped.length > 0 ? `${how}; skipped ${skipped.join('; ')}` : how;
      return opened;
    } catch (e) {
      skipped.push(`${mode}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(
    asked === 'auto'
      ? `no gpu.js mode works here (${skipped.join('; ')})`
      : `gpu.js mode '${asked}' cannot run here: ${skipped[0]}`,
  );
}

function openMode(GPU: GpuJsClass, mode: GpuMode): OpenedGpu {
  if (mode === 'webgpu') throw new Error(unsupported(mode));
  const flag = SUPPORT_FLAG[mode];
  if (flag && !GPU[flag]) throw new Error(unsupported(mode));
  const gpu = new GPU({ mode });
  try {
    const features = isGlMode(mode) ? (gpu.Kernel?.features ?? null) : null;
    const precision = probe(gpu, mode, features);
    return { gpu, mode, reason: '', precision, features, renderer: rendererOf(gpu) };
  } catch (e) {
    gpu.destroy();
    throw e;
  }
}

function rendererOf(gpu: GpuJsInstance): string | null {
  const gl = gpu.context as
    | {
        getParameter(p: number): unknown;
        getExtension(n: string): { UNMASKED_RENDERER_WEBGL: number } | null;
        RENDERER: number;
        VERSION: number;
      }
    | null
    | undefined;
  if (!gl || typeof gl.getParameter !== 'function') return null;
  try {
    const dbg = gl.getExtension('WEBGL_debug_renderer_info');
    const r = dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : null;
    return `${r ?? gl.getParameter(gl.RENDERER)} (${gl.getParameter(gl.VERSION)})`;
  } catch {
    return null;
  }
}

/** float32 numbers whose arithmetic the probe checks bit for bit. */
const PROBE_IN = new Float32Array([1 + 2 ** -23, 3, 16777215, 0.1, 1e-30, 3e38]);

/** The storage precision gpu.js should use for `mode`. */
export function storageFor(mode: GpuMode, features: GpuJsFeatures | null): 'single' | 'unsigned' {
  if (!isGlMode(mode)) return 'single';
  return features?.isTextureFloat && features.isFloatRead ? 'single' : 'unsigned';
}

function probe(gpu: GpuJsInstance, mode: GpuMode, features: GpuJsFeatures | null): PrecisionReport {
  const precision = storageFor(mode, features);
  const kernel = gpu.createKernel(
    `function (a) {
      const i = this.thread.x;
      let r = 0.0;
      if (i == 0) { r = a[0] - 1.0; }
      if (i == 1) { r = a[1] * a[3]; }
      if (i == 2) { r = a[2] + 0.0; }
      if (i == 3) { r = a[4] * 1.0; }
      if (i == 4) { r = a[5] * 1.0; }
      return r;
    }`,
    { output: [5], pipeline: true, immutable: true, precision, tactic: 'precision' },
  );
  try {
    const out = kernel(PROBE_IN) as GpuJsTexture | Float32Array;
    const got = out instanceof Float32Array ? out : (out.toArray() as Float32Array);
    if (!(out instanceof Float32Array)) out.delete();
    const want = [2 ** -23, Math.fround(3 * PROBE_IN[3]), 16777215, PROBE_IN[4], PROBE_IN[5]];
    const bad = want
      .map((w, k) =>
        Object.is(Math.fround(got[k]), Math.fround(w)) ? null : `${w} came back as ${got[k]}`,
      )
      .filter((x) => x !== null);
    if (got.length < 5 || got.slice(0, 5).every((v) => v === 0)) {
      throw new Error(`the ${mode} probe kernel returned nothing`);
    }
    const hp = features?.highFloatPrecision;
    const shaderBits = hp ? `highp float has ${hp.precision} mantissa bits` : null;
    const full = bad.length === 0 && (!hp || hp.precision >= 23);
    const detail = full
      ? `float32 throughout${shaderBits ? ` (${shaderBits})` : ''}`
      : `reduced precision: ${[...bad, ...(shaderBits && hp && hp.precision < 23 ? [shaderBits] : []), ...(precision === 'unsigned' ? ['no float textures: values are packed into bytes'] : [])].join('; ')}`;
    return {
      full,
      storage: isGlMode(mode) ? precision : 'typed-array',
      detail,
    };
  } finally {
    kernel.destroy();
  }
}
