import { listBackends, type Tensor, tensor } from '@openeurollm/tensor';
import { expect } from 'vitest';

/** Every backend that loads here (`native` when its addon is built, always `js`). */
export const BACKENDS = listBackends()
  .filter((b) => b.available)
  .map((b) => b.name);

/** A small deterministic LCG for test inputs (independent of the library's generator). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** `n` float32-representable values in [lo, hi). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = lcg(seed);
  return Float64Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
}

/** A float32 leaf on `backend` that requires grad. */
export function param(values: ArrayLike<number>, shape: number[], backend?: string): Tensor {
  return tensor(Float32Array.from(values), { shape, backend, requiresGrad: true });
}

/** Sets `p.grad` to the given values (as backward would). */
export function setGrad(p: Tensor, values: ArrayLike<number>): void {
  p.grad = tensor(Float32Array.from(values), { shape: [...p.shape], backend: p.backend.name });
}

/** |a - e| <= atol + rtol |e| elementwise, with the worst element in the message. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-6,
  atol = 1e-7,
  what = '',
): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(
      `${what} element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (diff ${Math.abs(actual[worst] - expected[worst])})`,
    );
  }
}

/** Bitwise equality of two float32 arrays. */
export function expectBitIdentical(a: Float32Array, b: Float32Array, what = ''): void {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) expect.fail(`${what} element ${i}: ${a[i]} !== ${b[i]}`);
  }
}
