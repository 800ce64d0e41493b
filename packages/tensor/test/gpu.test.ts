/**
 * What the gpu backend promises beyond the conformance suite (which checks every op's values):
 * its mode and precision are reported, data stays on the device between ops, kernels are
 * compiled once per shape, device memory is freed by dispose() / using (and by the safety net
 * for dropped tensors), index errors match the other backends, and modes are chosen as
 * documented. OELLM_GPU_MODE picks the mode under test.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGpuBackend } from '../src/gpu/backend.js';
import { GpuDevice } from '../src/gpu/device.js';
import type { GpuJsClass } from '../src/gpu/gpujs.js';
import { autoModes, openGpu, requestedMode } from '../src/gpu/modes.js';
import { GPU_MAX_ELEMENTS, GPU_MODES } from '../src/gpu.js';
import * as T from '../src/index.js';
import { gpuAvailable, gpuBackend, itLoadsWhereRequired } from './gpu-setup.js';
import { expectClose } from './helpers.js';

itLoadsWhereRequired('gpu.test.ts');

/** The garbage collector, exposed at run time (the test runner starts node without the flag). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const live = () => gpuBackend().liveBuffers!();
const stats = () => gpuBackend().device.stats();

describe.skipIf(!gpuAvailable)('the gpu backend', () => {
  let previous: string;
  beforeAll(() => {
    previous = T.getBackend().name;
    T.setBackend('gpu');
  });
  afterAll(() => {
    T.setBackend(previous);
  });

  it('reports its gpu.js mode and float32 precision through getBackend()', () => {
    const b = T.getBackend();
    const info = b.info();
    expect(b.name).toBe('gpu');
    expect(GPU_MODES).toContain(info.mode);
    expect(gpuBackend().mode).toBe(info.mode);
    if (process.env.OELLM_GPU_MODE) expect(info.mode).toBe(process.env.OELLM_GPU_MODE);
    // Mesa's llvmpipe (headlessgl under xvfb), WebAssembly and the cpu mode all carry float32
    expect(info.float32).toBe('full');
    expect(String(info.precision)).toMatch(/float32 throughout/);
    expect(String(info.modeReason).length).toBeGreaterThan(0);
  });

  it('keeps data on the device between ops and reads it back only for data()', () => {
    const x = T.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const reads = stats().readBacks;
    const y = T.softmax(x.matmul(x.mT).mul(0.1).add(1).exp(), -1).sum(0);
    expect(stats().readBacks).toBe(reads);
    const values = y.data();
    expect(stats().readBacks).toBe(reads + 1);
    expectClose(y, { shape: [2], data: Array.from(values) });
    const buf = (y as unknown as { _storage: { buf: { value: unknown } } })._storage.buf.value;
    if (gpuBackend().device.onGpu) expect(buf).not.toBeInstanceOf(Float32Array);
  });

  it('compiles each kernel once per shape and reuses it', () => {
    const f = (shape: number[]) => T.layerNorm(T.randn(shape).mul(3), { eps: 1e-5 }).relu().sum();
    f([5, 7]).item();
    const compiled = stats().kernelsCompiled;
    const launches = stats().launches;
    for (let i = 0; i < 3; i++) f([5, 7]).item();
    expect(stats().kernelsCompiled).toBe(compiled);
    expect(stats().launches).toBeGreaterThan(launches);
    f([6, 7]).item();
    expect(stats().kernelsCompiled).toBeGreaterThan(compiled);
  });

  it('frees device memory on dispose() and at the end of a using block', () => {
    const before = live();
    const t = T.randn([64]);
    expect(live()).toBe(before + 1);
    const view = t.reshape([8, 8]); // shares the storage
    t.dispose();
    expect(live()).toBe(before + 1);
    view.dispose();
    expect(live()).toBe(before);
    {
      using a = T.ones([3, 3]);
      using b = a.matmul(a);
      expect(b.sum().item()).toBe(27);
    }
    expect(live()).toBeLessThanOrEqual(before + 2); // the sum and its scalar, until collected
  });

  it('leaves no temporary device buffer behind in primitives and fused kernels', () => {
    const b = gpuBackend();
    const rows = 3;
    const cols = 5;
    const x = b.fromArray(Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i)));
    const g = b.fromArray(Float32Array.from({ length: rows * cols }, (_, i) => Math.cos(i)));
    const w = b.fromArray(Float32Array.from({ length: cols }, (_, i) => 1 + i / 10));
    const t = b.fromArray(Int32Array.from([1, -100, 4]));
    const ids = b.fromArray(Int32Array.from([2, 0, 2, 1]));
    const before = live();
    /** Runs fn; every buffer it creates must be among those it returns. */
    const check = (name: string, fn: () => unknown) => {
      const start = live();
      const out = fn();
      const bufs = (
        Array.isArray(out)
          ? out
          : out && typeof out === 'object' && !('size' in out)
            ? Object.values(out)
            : [out]
      ).filter((o) => o !== null && o !== undefined) as Parameters<typeof b.dispose>[0][];
      expect(live() - start, name).toBe(bufs.length);
      for (const o of bufs) b.dispose(o);
      expect(live(), name).toBe(start);
    };
    const f = b.fused;
    check('softmax', () => f.softmax!(x, rows, cols));
    check('logSoftmax', () => f.logSoftmax!(x, rows, cols));
    check('layerNorm', () => f.layerNorm!(x, w, w, rows, cols, 1e-5));
    const ln = f.layerNorm!(x, w, null, rows, cols, 1e-5);
    check('layerNormBackward', () =>
      f.layerNormBackward!(x, w, ln.mean, ln.rstd, g, rows, cols, true, true),
    );
    check('rmsNorm', () => f.rmsNorm!(x, w, rows, cols, 1e-5));
    check('crossEntropy', () => f.crossEntropy!(x, t, rows, cols, -100));
    const ce = f.crossEntropy!(x, t, rows, cols, -100);
    const gr = b.fill(rows, 1, 'float32');
    check('crossEntropyBackward', () =>
      f.crossEntropyBackward!(x, t, ce.lse, gr, rows, cols, -100),
    );
    const dims = { bh: 1, T: 3, S: 3, d: 5, dv: 5 };
    check('attention', () => f.attention!(x, x, x, dims, 0.5, true));
    const at = f.attention!(x, x, x, dims, 0.5, true);
    check('attentionBackward', () =>
      f.attentionBackward!(x, x, x, at.out, at.lse, g, dims, 0.5, true),
    );
    check('indexAdd', () => b.indexAdd(x, [1, 4, 1], ids, 4, 3));
    const rowIds = b.fromArray(Int32Array.from({ length: 15 }, (_, i) => i % 3));
    check('scatterAdd', () => b.scatterAdd(x, rowIds, [3, 5], 0, [3, 5]));
    const m = b.zeros(rows * cols, 'float32');
    const v = b.zeros(rows * cols, 'float32');
    const p = b.fromArray(new Float32Array(rows * cols).fill(1));
    const hyper = { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, step: 1 };
    check('adamw (in place)', () => f.adamw!(p, g, m, v, rows * cols, hyper));
    const dst = b.zeros(4 * 6, 'float32');
    const src = { buf: x, dtype: 'float32' as const, shape: [3, 3], strides: [5, 1], offset: 1 };
    const dv = { buf: dst, dtype: 'float32' as const, shape: [3, 3], strides: [6, 2], offset: 7 };
    check('copyInto (in place, strided)', () => b.copyInto(src, dv));
    for (const o of [
      ln.y,
      ln.mean,
      ln.rstd,
      ce.loss,
      ce.lse,
      gr,
      at.out,
      at.lse,
      m,
      v,
      p,
      dst,
      rowIds,
    ])
      b.dispose(o!);
    expect(live()).toBe(before);
  });

  it('frees the buffers of tensors dropped without dispose() (FinalizationRegistry)', async () => {
    const gc = exposeGc();
    const settle = async () => {
      for (let i = 0; i < 4; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await settle();
    const before = live();
    (() => {
      const w = T.randn([8, 8], { requiresGrad: true });
      for (let i = 0; i < 10; i++)
        T.crossEntropy(
          T.randn([4, 8]).matmul(w),
          T.tensor([1, 2, 3, 4], { dtype: 'int32' }),
        ).backward();
      w.dispose();
    })();
    expect(live()).toBeGreaterThan(before);
    await settle();
    expect(live()).toBe(before);
  });

  it('destroying least recently used kernels keeps the buffers they produced', () => {
    const GPU = (createRequire(import.meta.url)('gpu.js') as { GPU: GpuJsClass }).GPU;
    const device = new GpuDevice(openGpu(GPU, { mode: gpuBackend().mode, from: 'the test' }), {
      maxKernels: 2,
    });
    const b = createGpuBackend(device);
    const kept: { buf: ReturnType<typeof b.fromArray>; want: number[] }[] = [];
    for (let n = 1; n <= 6; n++) {
      const data = Float32Array.from({ length: n }, (_, i) => i + n);
      const x = b.fromArray(data);
      // twice: the first output texture is one gpu.js created for the kernel itself
      for (let twice = 0; twice < 2; twice++) {
        kept.push({ buf: b.unary('neg', x, n), want: Array.from(data, (v) => -v) });
        kept.push({
          buf: b.reduce('sum', x, 'float32', [1, n, 1]),
          want: [data.reduce((s, v) => s + v, 0)],
        });
      }
      b.dispose(x);
    }
    expect(device.stats().kernelsCached).toBe(2);
    for (const { buf, want } of kept)
      expect(Array.from(b.read(buf, 'float32', want.length))).toEqual(want);
    // in GL modes the textures of evicted kernels' outputs are deleted from the context too
    const gl = device.gpu.context as { deleteTexture(t: unknown): void } | null;
    const deleted = new Set<unknown>();
    if (gl) {
      const del = gl.deleteTexture.bind(gl);
      gl.deleteTexture = (t: unknown) => {
        deleted.add(t);
        del(t);
      };
    }
    const raw = kept.map(({ buf }) => (buf.value as unknown as { texture?: unknown }).texture);
    for (const { buf } of kept) b.dispose(buf);
    expect(device.liveBuffers()).toBe(0);
    if (device.onGpu) {
      // all but the last kernels' current outputs, which those kernels still render into
      expect(raw.slice(0, -4).every((t) => deleted.has(t))).toBe(true);
    }
    device.destroy();
  });

  it('long reductions (split in two passes) match js, NaN included', () => {
    const run = () => {
      const x = T.arange(0, 20000).float().mul(0.001).sin(); // [20000]
      const y = x.reshape([2, 10000]);
      const nan = T.cat([x, T.tensor([Number.NaN])]);
      return [x.sum(), x.max(), x.min(), y.sum(1), y.max(1), y.min(0), nan.max()].map((t) =>
        Array.from(t.data()),
      );
    };
    const gpu = run();
    const js = T.withBackend('js', run);
    gpu.forEach((g, i) => {
      expectClose(
        { shape: [g.length], data: g },
        { shape: [js[i].length], data: js[i] },
        1e-5,
        1e-4,
      );
    });
  });

  it('refuses tensors too large for float32 index arithmetic, naming the limit', () => {
    expect(GPU_MAX_ELEMENTS).toBe(2 ** 24);
    expect(() => T.zeros([4097, 4097])).toThrow(/16777216 this backend indexes exactly/);
  });

  it('checks indices on the host with the same messages as the other backends', () => {
    const w = T.randn([5, 3]);
    expect(() => T.embedding(T.tensor([1, 7], { dtype: 'int32' }), w)).toThrow(
      /index 7 at position 1 is out of range for a dimension of size 5/,
    );
    expect(() => T.gather(w, 1, T.tensor([[0], [3], [1], [0], [0]], { dtype: 'int32' }))).toThrow(
      /gather: index 3 at position 1 is out of range for a dimension of size 3/,
    );
  });

  it('int32 tensors: exact integer arithmetic, comparisons, casts and argmax', () => {
    const run = () => {
      const a = T.tensor([5, -3, 7, 1 << 20], { dtype: 'int32' });
      const b = T.tensor([2, 4, -6, 3], { dtype: 'int32' });
      const f = T.tensor([-1.5, 2.7, -0.2, 1e6 + 0.5]);
      return [
        a.add(b),
        a.sub(b),
        a.mul(b),
        a.lt(b),
        f.int(),
        T.cat([a, b]).argmax(),
        a.neg().abs(),
      ].map((t) => [t.dtype, Array.from(t.data())]);
    };
    expect(run()).toEqual(T.withBackend('js', run));
  });

  it('updates AdamW state in place, hyperparameters passed without recompiling', () => {
    const p = T.tensor([0.5, -1, 2]);
    const m = T.zeros([3]);
    const v = T.zeros([3]);
    const g = T.tensor([0.1, -0.2, 0.3]);
    const step = (lr: number, s: number) =>
      T.adamwUpdate(p, g, m, v, {
        lr,
        beta1: 0.9,
        beta2: 0.95,
        eps: 1e-8,
        weightDecay: 0.1,
        step: s,
      });
    step(0.1, 1);
    const compiled = stats().kernelsCompiled;
    step(0.05, 2);
    expect(stats().kernelsCompiled).toBe(compiled);
    const ref = T.withBackend('js', () => {
      const P = T.tensor([0.5, -1, 2]);
      const M = T.zeros([3]);
      const V = T.zeros([3]);
      const G = T.tensor([0.1, -0.2, 0.3]);
      for (const [lr, s] of [
        [0.1, 1],
        [0.05, 2],
      ])
        T.adamwUpdate(P, G, M, V, {
          lr,
          beta1: 0.9,
          beta2: 0.95,
          eps: 1e-8,
          weightDecay: 0.1,
          step: s,
        });
      return [P, M, V].map((t) => Array.from(t.data()));
    });
    expectClose(p, { shape: [3], data: ref[0] }, 1e-5, 1e-6);
    expectClose(m, { shape: [3], data: ref[1] }, 1e-5, 1e-6);
    expectClose(v, { shape: [3], data: ref[2] }, 1e-5, 1e-6);
  });
});

describe('gpu.js mode selection', () => {
  let GPU: GpuJsClass | null = null;
  try {
    GPU = (createRequire(import.meta.url)('gpu.js') as { GPU: GpuJsClass }).GPU;
  } catch {
    // gpu.js not installed: the tests below that need it skip
  }

  it('reads OELLM_GPU_MODE or the option, and rejects unknown modes by listing the real ones', () => {
    expect(requestedMode('webasm')).toEqual({ mode: 'webasm', from: 'the mode option' });
    expect(requestedMode('auto').mode).toBe('auto');
    expect(() => requestedMode('vulkan')).toThrow(
      /mode 'vulkan' is not a gpu.js mode; use one of auto, headlessgl, webgl2, webgl, webgpu, webasm, cpu/,
    );
    expect(autoModes()).toEqual(['headlessgl', 'webasm', 'cpu']);
  });

  it.skipIf(!GPU)('says why webgpu cannot serve a synchronous engine', () => {
    expect(() => openGpu(GPU!, requestedMode('webgpu'))).toThrow(
      /webgpu kernels return Promises only/,
    );
  });

  it.skipIf(!GPU)('opens the cpu fallback with full float32 and says why it was chosen', () => {
    const opened = openGpu(GPU!, requestedMode('cpu'));
    try {
      expect(opened.mode).toBe('cpu');
      expect(opened.precision.full).toBe(true);
      expect(opened.reason).toMatch(/forced by the mode option/);
    } finally {
      opened.gpu.destroy();
    }
  });

  it.skipIf(!GPU || process.platform !== 'linux' || Boolean(process.env.DISPLAY))(
    'without a display, headlessgl names xvfb-run as the fix',
    () => {
      expect(() => openGpu(GPU!, requestedMode('headlessgl'))).toThrow(/xvfb-run -a/);
    },
  );
});
