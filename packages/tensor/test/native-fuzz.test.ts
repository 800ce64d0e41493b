/**
 * Fuzzing every entry point of the native addon from JS: thousands of random argument lists
 * (wrong types, short, empty and detached buffers, negative / huge / fractional sizes, bad
 * strides and shapes, missing arguments). Each call must either return or throw an Error;
 * the process must not crash or hang. Then random valid strided calls are checked against
 * the js backend.
 */
import { describe, expect, it } from 'vitest';
import { createJsBackend } from '../src/backends/js.js';
import type { NativeAddon } from '../src/native/backend.js';
import { createNativeBackend } from '../src/native/backend.js';
import { loadAddon } from '../src/native/load.js';
import { contiguousStrides, numel } from '../src/shape.js';
import { lcg } from './helpers.js';

let addon: NativeAddon | null = null;
let loadError = '';
try {
  addon = loadAddon();
} catch (e) {
  loadError = (e as Error).message;
}
const required = process.env.OELLM_REQUIRE_NATIVE === '1';

const ENTRY_POINTS: [name: string, arity: number][] = [
  ['info', 0],
  ['setNumThreads', 1],
  ['copy', 7],
  ['unary', 4],
  ['binary', 9],
  ['where', 11],
  ['reduce', 6],
  ['matmul', 11],
  ['indexSelect', 7],
  ['indexAdd', 7],
  ['gather', 6],
  ['scatterAdd', 6],
  ['softmax', 4],
  ['logSoftmax', 4],
  ['gelu', 4],
  ['geluBackward', 5],
  ['silu', 3],
  ['siluBackward', 4],
  ['layerNorm', 9],
  ['layerNormBackward', 10],
  ['rmsNorm', 7],
  ['rmsNormBackward', 8],
  ['crossEntropy', 7],
  ['crossEntropyBackward', 8],
  ['attention', 12],
  ['attentionBackward', 16],
  ['adamw', 12],
];

function detached(): Float32Array {
  const a = new Float32Array(16);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** A random argument: mostly plausible numbers and arrays, sometimes garbage. */
function randomArg(r: () => number): unknown {
  const pick = Math.floor(r() * 16);
  const small = () => Math.floor(r() * 6);
  switch (pick) {
    case 0:
      return new Float32Array(small() * 3);
    case 1:
      return new Int32Array(small() * 3).map(() => Math.floor(r() * 8) - 2);
    case 2:
      return detached();
    case 3:
      return new Float64Array(4);
    case 4:
      return [small(), small()];
    case 5:
      return [small(), -1, small()];
    case 6:
      return Array.from({ length: 20 }, () => 1);
    case 7:
      return small();
    case 8:
      return -small() - 1;
    case 9:
      return [1e15, 3, 1e9, Number.NaN][Math.floor(r() * 4)];
    case 10:
      return r() * 3;
    case 11:
      return r() < 0.5;
    case 12:
      return null;
    case 13:
      return 'x';
    case 14:
      return { length: 3 };
    default:
      return [['1', 2], [1.5], [Number.POSITIVE_INFINITY]][Math.floor(r() * 3)];
  }
}

describe.skipIf(!addon && !required)('native addon fuzzing', () => {
  it('loads (required in CI)', () => {
    expect(loadError).toBe('');
    expect(addon).not.toBeNull();
  });

  it('survives thousands of random argument lists: each call returns or throws an Error', () => {
    const r = lcg(2024);
    let threw = 0;
    let returned = 0;
    const calls = 6000;
    for (let i = 0; i < calls; i++) {
      const [name, arity] = ENTRY_POINTS[i % ENTRY_POINTS.length];
      if (name === 'setNumThreads') continue; // exercised below with a fixed pool size
      const n = Math.max(0, arity + Math.floor(r() * 3) - 1);
      const args = Array.from({ length: n }, () => randomArg(r));
      try {
        (addon as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
        returned++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.length).toBeGreaterThan(5);
        threw++;
      }
    }
    expect(threw + returned).toBeGreaterThan(5000);
    expect(threw).toBeGreaterThan(1000);
  });

  it('names the function and the argument in its errors', () => {
    const a = addon!;
    expect(() => a.unary(0, new Float32Array(2), new Float32Array(1), 2)).toThrow(
      "native.unary: argument 'out' has 1 elements, needs 2",
    );
    expect(() => a.softmax(detached(), 1, 4, new Float32Array(4))).toThrow(
      /native.softmax: argument 'x' is backed by a detached ArrayBuffer/,
    );
    expect(() =>
      a.copy(new Float32Array(4), [3, 1], 0, new Float32Array(4), [2, 1], 0, [2, 2]),
    ).toThrow("native.copy: argument 'src' has 4 elements, needs 5");
    expect(() => a.reduce(9, new Float32Array(1), 1, 1, 1, new Float32Array(1))).toThrow(
      /argument 'op' must be an integer/,
    );
    expect(() => a.setNumThreads(0)).toThrow(/argument 'threads'/);
  });

  it('gives the js backend results on random valid strided inputs, at 1, 2 and 3 threads', () => {
    const js = createJsBackend();
    const nat = createNativeBackend(addon!);
    const r = lcg(77);
    const before = addon!.info().threads;
    try {
      for (const threads of [1, 2, 3]) {
        addon!.setNumThreads(threads);
        for (let trial = 0; trial < 150; trial++) {
          const rank = 1 + Math.floor(r() * 4);
          const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 5));
          // a random permutation of a random base layout, with random broadcast dims
          const n = numel(shape);
          const base = Float32Array.from({ length: n * 2 + 3 }, () => r() * 4 - 2);
          const strides = contiguousStrides(shape).map((s, i) =>
            r() < 0.2 && shape[i] > 1 ? 0 : s * (r() < 0.3 ? 2 : 1),
          );
          const maxIdx = 2 + strides.reduce((acc, s, i) => acc + s * (shape[i] - 1), 0);
          const buf = Float32Array.from({ length: maxIdx + 1 }, () => r() * 4 - 2);
          const v = { buf, dtype: 'float32' as const, shape, strides, offset: 2 };
          const w = {
            buf: base,
            dtype: 'float32' as const,
            shape,
            strides: contiguousStrides(shape),
            offset: 1,
          };
          expect(Array.from(nat.contiguous(v, 'float32'))).toEqual(
            Array.from(js.contiguous(v, 'float32')),
          );
          expect(Array.from(nat.contiguous(v, 'int32'))).toEqual(
            Array.from(js.contiguous(v, 'int32')),
          );
          for (const op of ['add', 'mul', 'maximum', 'lt'] as const) {
            const outDtype = op === 'lt' ? 'int32' : 'float32';
            expect(Array.from(nat.binary(op, v, w, shape, outDtype))).toEqual(
              Array.from(js.binary(op, v, w, shape, outDtype)),
            );
          }
          const dense = js.contiguous(v, 'float32');
          const axis = Math.floor(r() * rank);
          const dims: [number, number, number] = [
            numel(shape.slice(0, axis)),
            shape[axis],
            numel(shape.slice(axis + 1)),
          ];
          for (const op of ['sum', 'max', 'argmin'] as const) {
            const a = Array.from(nat.reduce(op, dense, 'float32', dims));
            const b = Array.from(js.reduce(op, dense, 'float32', dims));
            if (op === 'sum') {
              for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
            } else expect(a).toEqual(b);
          }
        }
      }
    } finally {
      addon!.setNumThreads(before);
    }
  });

  it('repeats bit for bit for a given thread count (matmul, sum, layer norm backward)', () => {
    const nat = createNativeBackend(addon!);
    const r = lcg(5);
    const a = Float32Array.from({ length: 300 * 200 }, () => r() - 0.5);
    const b = Float32Array.from({ length: 200 * 150 }, () => r() - 0.5);
    const p = {
      batch: 1,
      m: 300,
      n: 150,
      k: 200,
      transA: false,
      transB: false,
      aBatchStride: 0,
      bBatchStride: 0,
    };
    const once = () => {
      const c = nat.matmul(a, b, p);
      const s = nat.reduce('sum', a, 'float32', [1, a.length, 1]);
      const w = new Float32Array(200).fill(1.5);
      const ln = nat.fused.layerNorm!(a, w, null, 300, 200, 1e-5);
      const bw = nat.fused.layerNormBackward!(a, w, ln.mean, ln.rstd, a, 300, 200, true, true);
      return [c, s, bw.dx, bw.dw!, bw.db!].map((t) => Array.from(t));
    };
    expect(once()).toEqual(once());
  });
});
