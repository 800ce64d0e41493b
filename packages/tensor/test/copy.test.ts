/** `copy_`: in-place, unrecorded copy into a leaf (loading weights into live parameters). */
import { describe, expect, it } from 'vitest';
import * as T from '../src/node.js';

describe.each(
  T.listBackends()
    .filter((b) => b.available && b.name !== 'gpu')
    .map((b) => b.name),
)('copy_ on %s', (name) => {
  it('writes into the same storage, casts and keeps requiresGrad', () => {
    T.withBackend(name, () => {
      const p = T.zeros([2, 3]).requiresGrad_();
      const same = p.copy_(
        T.tensor(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          { dtype: 'int32' },
        ),
      );
      expect(same).toBe(p);
      expect(p.toArray()).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(p.requiresGrad).toBe(true);
      expect(p.gradFn).toBeNull();
      // into a transposed view: the base sees the transposed values
      const base = T.zeros([3, 2]);
      base.transpose(0, 1).copy_(
        T.tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      );
      expect(base.toArray()).toEqual([
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
    });
  });

  it('rejects another shape and a non-leaf target, naming both shapes', () => {
    T.withBackend(name, () => {
      const p = T.zeros([2, 3]);
      expect(() => p.copy_(T.zeros([3, 2]))).toThrow(
        /copy_: source shape \[3,2\] does not match \[2,3\]/,
      );
      const y = T.zeros([2]).requiresGrad_().mul(2);
      expect(() => y.copy_(T.ones([2]))).toThrow(/copy into a leaf/);
    });
  });
});
