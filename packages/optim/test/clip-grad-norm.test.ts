/** clipGradNorm against a direct float64 computation. */
import { add, sum, type Tensor } from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import { clipGradNorm } from '../src/index.js';
import { BACKENDS, expectClose, param, randomValues, setGrad } from './helpers.js';

function setup(backend: string, scale = 1): { params: Tensor[]; grads: Float64Array[] } {
  const shapes = [[4, 5], [7], [2, 2, 3]];
  const params = shapes.map((s, i) => param(randomValues(numel(s), i), s, backend));
  const grads = shapes.map((s, i) => randomValues(numel(s), 20 + i, -scale, scale));
  params.forEach((p, i) => {
    setGrad(p, grads[i]);
  });
  return { params, grads };
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

function norm(grads: Float64Array[], p: number): number {
  const all = grads.flatMap((g) => Array.from(g));
  if (p === Infinity) return Math.max(...all.map(Math.abs));
  return all.reduce((a, x) => a + Math.abs(x) ** p, 0) ** (1 / p);
}

for (const backend of BACKENDS) {
  describe(`clipGradNorm on ${backend}`, () => {
    for (const normType of [2, 1, 3, Infinity]) {
      it(`norm type ${normType}: returns the total norm and scales to maxNorm`, () => {
        const { params, grads } = setup(backend);
        const total = norm(grads, normType);
        const maxNorm = total / 3;
        const got = clipGradNorm(params, maxNorm, { normType });
        expect(Math.abs(got - total) / total).toBeLessThan(1e-6);
        const coef = maxNorm / (total + 1e-6);
        params.forEach((p, i) => {
          expectClose(
            p.grad!.data(),
            grads[i].map((g) => g * coef),
            1e-6,
            1e-7,
          );
        });
        const after = norm(
          params.map((p) => Float64Array.from(p.grad!.data())),
          normType,
        );
        expect(Math.abs(after - maxNorm) / maxNorm).toBeLessThan(1e-5);
      });
    }

    it('leaves gradients unchanged when the norm is below maxNorm', () => {
      const { params, grads } = setup(backend);
      const total = norm(grads, 2);
      expect(clipGradNorm(params, total * 2)).toBeCloseTo(total, 5);
      params.forEach((p, i) => {
        expect(Array.from(p.grad!.data())).toEqual(Array.from(grads[i]));
      });
    });
  });
}

describe('clipGradNorm edge cases', () => {
  it('ignores parameters without a gradient and returns 0 when none has one', () => {
    const a = param([1, 2], [2]);
    expect(clipGradNorm([a], 1)).toBe(0);
    const b = param([1, 2], [2]);
    setGrad(b, [3, 4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    expectClose(b.grad!.data(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)]);
  });

  it('takes named pairs and modules too', () => {
    const a = param([1, 2], [2]);
    setGrad(a, [3, 4]);
    expect(clipGradNorm({ namedParameters: () => [['a', a] as const] }, 10)).toBeCloseTo(5, 6);
    expect(clipGradNorm([['a', a]], 10)).toBeCloseTo(5, 6);
  });

  it('scales gradients that share storage once each', () => {
    const a = param([1, 2, 3], [3]);
    const b = param([1, 2, 3], [3]);
    sum(add(a, b)).backward(); // both gradients are ones, possibly one buffer
    const total = clipGradNorm([a, b], 1);
    expect(total).toBeCloseTo(Math.sqrt(6), 6);
    const c = 1 / (Math.sqrt(6) + 1e-6);
    expectClose(a.grad!.data(), [c, c, c]);
    expectClose(b.grad!.data(), [c, c, c]);
  });

  it('non-finite norms: an error when asked, else NaN gradients as in PyTorch', () => {
    const a = param([1, 2], [2]);
    setGrad(a, [Number.NaN, 1]);
    expect(() => clipGradNorm([a], 1, { errorIfNonfinite: true })).toThrow(
      /clipGradNorm: the total norm of order 2 of the gradients is NaN/,
    );
    expect(clipGradNorm([a], 1)).toBeNaN();
    expect(Array.from(a.grad!.data()).every(Number.isNaN)).toBe(true);
  });

  it('checks its arguments', () => {
    const a = param([1], [1]);
    expect(() => clipGradNorm([a], -1)).toThrow(
      /clipGradNorm: maxNorm must be a finite number >= 0, got -1/,
    );
    expect(() => clipGradNorm([a], 1, { normType: 0 })).toThrow(
      /normType must be a finite number > 0, got 0/,
    );
  });
});
