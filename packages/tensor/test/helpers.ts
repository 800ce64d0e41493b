import { expect } from 'vitest';
import { type Tensor, tensor } from '../src/index.js';
import type { Arr } from './reference.js';

/** A small deterministic LCG for test inputs (independent of the library's generator). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export interface InputSpec {
  shape: number[];
  /** Value range; default [-2, 2]. */
  lo?: number;
  hi?: number;
  /** Keep |x| at least this far from 0 (for kinks and divisions). */
  away?: number;
  seed?: number;
  requiresGrad?: boolean;
  /** Make all values distinct and at least this far apart (for max/min ties). */
  distinct?: boolean;
}

export function values(spec: InputSpec): number[] {
  const { shape, lo = -2, hi = 2, away = 0, seed = 7, distinct = false } = spec;
  const n = shape.reduce((a, b) => a * b, 1);
  const r = lcg(seed);
  if (distinct) {
    const base = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [base[i], base[j]] = [base[j], base[i]];
    }
    return base;
  }
  return Array.from({ length: n }, () => {
    let v = lo + (hi - lo) * r();
    if (away > 0 && Math.abs(v) < away) v = v < 0 ? -away - Math.abs(v) : away + v;
    return Math.fround(v);
  });
}

/** A float32 tensor on the active backend from a spec. */
export function input(spec: InputSpec): Tensor {
  return tensor(values(spec), { shape: spec.shape, requiresGrad: spec.requiresGrad ?? true });
}

export function arr(t: Tensor): Arr {
  return { shape: [...t.shape], data: Array.from(t.data()) };
}

/** Asserts shape equality and elementwise closeness |a - e| <= atol + rtol |e| (NaN == NaN). */
export function expectClose(actual: Tensor | Arr, expected: Arr, rtol = 1e-5, atol = 1e-6): void {
  const a =
    'data' in actual && Array.isArray(actual.data) ? (actual as Arr) : arr(actual as Tensor);
  expect(a.shape).toEqual(expected.shape);
  expect(a.data.length).toBe(expected.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const e = expected.data[i];
    if (Number.isNaN(e)) {
      expect(x, `element ${i}`).toBeNaN();
      continue;
    }
    if (!Number.isFinite(e)) {
      expect(x, `element ${i}`).toBe(e);
      continue;
    }
    const tol = atol + rtol * Math.abs(e);
    if (!(Math.abs(x - e) <= tol)) {
      throw new Error(
        `element ${i} of ${JSON.stringify(a.shape)}: got ${x}, expected ${e} (tolerance ${tol})`,
      );
    }
  }
}
