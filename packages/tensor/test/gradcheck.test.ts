import { describe, expect, it } from 'vitest';
import { customOp, mul, type Tensor, tensor } from '../src/index.js';
import { assertGradcheck, gradcheck } from '../src/testing/index.js';

/** x^2 with a deliberately wrong gradient (2x + 0.5 instead of 2x). */
const wrongSquare = customOp({
  name: 'wrongSquare',
  forward: (x: Tensor) => mul(x, x),
  backward: (g, [x]) => [mul(g, mul(x, 2).add(0.5))],
});

const rightSquare = customOp({
  name: 'rightSquare',
  forward: (x: Tensor) => mul(x, x),
  backward: (g, [x]) => [mul(g, mul(x, 2))],
});

describe('the gradient checker', () => {
  const x = () => tensor([0.5, -1.25, 2, 0.1], { requiresGrad: true });

  it('accepts a correct custom gradient', () => {
    const res = gradcheck(rightSquare, [x()]);
    expect(res.ok).toBe(true);
    expect(res.checked).toBe(4);
    expect(res.maxAbsError).toBeLessThan(1e-2);
  });

  it('catches a deliberately wrong gradient', () => {
    const res = gradcheck(wrongSquare, [x()]);
    expect(res.ok).toBe(false);
    expect(res.failures.length).toBeGreaterThan(0);
    expect(() => assertGradcheck(wrongSquare, [x()])).toThrow(
      /gradcheck: \d+ of 4 gradient entries disagree/,
    );
  });

  it('catches a gradient that is off by one percent', () => {
    const slightlyWrong = customOp({
      name: 'slightlyWrong',
      forward: (x: Tensor) => x.exp(),
      backward: (g, _inputs, y) => [mul(g, y).mul(1.01)],
    });
    expect(gradcheck(slightlyWrong, [x()]).ok).toBe(false);
  });

  it('records custom ops in the graph', () => {
    const t = x();
    const y = rightSquare(t);
    expect(y.gradFn).toBe('rightSquare');
    y.sum().backward();
    expect(Array.from(t.grad!.data())).toEqual([1, -2.5, 4, Math.fround(0.2)]);
  });
});
