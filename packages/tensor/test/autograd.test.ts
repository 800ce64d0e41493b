import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { noGrad, tensor, zeros } from '../src/index.js';

const grad = (t: T.Tensor) => Array.from(t.grad!.data());

describe('autograd engine', () => {
  it('sums gradients of a tensor used twice (diamond graph)', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x).add(x.mul(3)).sum(); // d/dx = 2x + 3
    y.backward();
    expect(grad(x)).toEqual([5, 7, 9]);
  });

  it('accumulates across backward calls until zeroGrad', () => {
    const x = tensor([2], { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(x).sum().backward();
    expect(grad(x)).toEqual([8]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expect(grad(x)).toEqual([3]);
  });

  it('backpropagates a given gradient for non-scalar outputs', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    x.mul(2).backward(
      tensor([
        [1, 0],
        [0, 1],
      ]),
    );
    expect(grad(x)).toEqual([2, 0, 0, 2]);
  });

  it('records nothing under noGrad and after detach', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(T.isGradEnabled()).toBe(true);
    const z = x.detach().mul(2);
    expect(z.requiresGrad).toBe(false);
    expect(x.mul(2).gradFn).toBe('mul');
  });

  it('keeps gradients of non-leaf tensors only with retainGrad', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2).retainGrad();
    const h2 = x.mul(3);
    h.add(h2).sum().backward();
    expect(Array.from(h.grad!.data())).toEqual([1, 1]);
    expect(h2.grad).toBeNull();
    expect(grad(x)).toEqual([5, 5]);
  });

  it('handles deep graphs without overflowing the stack', () => {
    const x = tensor([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1e-4);
    y.sum().backward();
    expect(grad(x)).toEqual([1]);
  });

  it('flows gradients through views that share storage', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const v = x.transpose(0, 1).reshape(6).slice(0, 1, 5);
    v.mul(tensor([1, 2, 3, 4]))
      .sum()
      .backward();
    // transpose -> [1,4,2,5,3,6], slice 1..5 -> [4,2,5,3] weighted 1..4
    expect(grad(x)).toEqual([0, 2, 4, 1, 3, 0]);
  });

  it('dispose frees storage only when the last view is gone', () => {
    const x = tensor([1, 2, 3, 4]);
    const v = x.reshape(2, 2);
    x.dispose();
    expect(x.disposed).toBe(true);
    expect(Array.from(v.data())).toEqual([1, 2, 3, 4]);
    expect(() => x.data()).toThrow(/was disposed/);
    {
      using t = zeros([2]);
      expect(t.size).toBe(2);
    }
  });

  it('moves between backends with to() and gradients come back', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.to('js').mul(3).sum();
    y.backward();
    expect(grad(x)).toEqual([3, 3]);
  });

  it('prints like a tensor', () => {
    expect(String(tensor([[1, 2]]))).toBe(
      'tensor([[1,2]], shape=[1,2], dtype=float32, backend=js)',
    );
    expect(tensor(3).item()).toBe(3);
    expect(
      tensor([
        [1, 2],
        [3, 4],
      ]).toArray(),
    ).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('creates tensors with the expected dtypes and shapes', () => {
    expect(T.arange(4).dtype).toBe('int32');
    expect(Array.from(T.arange(1, 2, 0.25).data())).toEqual([1, 1.25, 1.5, 1.75]);
    expect(T.full([2, 2], 7).toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect(T.ones([3], { dtype: 'int32' }).dtype).toBe('int32');
    expect(T.eye(2).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(tensor(new Float32Array(6), { shape: [2, 3] }).shape).toEqual([2, 3]);
    expect(tensor([1, 2]).add(tensor([1], { dtype: 'int32' })).dtype).toBe('float32');
    expect(tensor([3], { dtype: 'int32' }).div(2).toArray()).toEqual([1.5]);
    expect(tensor([3], { dtype: 'int32' }).add(2).dtype).toBe('int32');
  });

  it('dropout is seeded, scaled, and the identity in eval', () => {
    const x = T.ones([1000]);
    T.manualSeed(3);
    const a = T.dropout(x, 0.25).data();
    T.manualSeed(3);
    const b = T.dropout(x, 0.25).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    const kept = Array.from(a).filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    expect(kept.length).toBeGreaterThan(700);
    expect(kept.length).toBeLessThan(800);
    expect(Array.from(T.dropout(x, 0.25, { training: false }).data())).toEqual(
      Array.from(x.data()),
    );
    const w = tensor([1, 2, 3], { requiresGrad: true });
    T.manualSeed(4);
    const y = T.dropout(w, 0.5);
    y.sum().backward();
    expect(Array.from(w.grad!.data())).toEqual(
      Array.from(y.data()).map((v, i) => v / [1, 2, 3][i]),
    );
  });

  it('lists the js backend and says why it was chosen', () => {
    const list = T.listBackends();
    expect(list.find((b) => b.name === 'js')).toMatchObject({ available: true });
    expect(T.getBackend().name).toBeTruthy();
    expect(T.backendReason()).toMatch(/highest-priority|OELLM_BACKEND|setBackend/);
  });
});

describe('review fixes', () => {
  it('parameters sharing one upstream gradient get independent .grad handles', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).sum().backward();
    a.zeroGrad();
    expect(Array.from(b.grad!.data())).toEqual([1, 1]);
  });

  it('disposing an intermediate keeps the graph: backward says what was disposed', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(x);
    const y = h.sum();
    h.dispose();
    expect(() => y.backward()).not.toThrow(); // sum's gradient needs no values of h
    expect(Array.from(x.grad!.data())).toEqual([2, 4]);
  });

  it('disposing a result never disposes its input, even when nothing changed', () => {
    const x = tensor([1, 2]);
    for (const f of [
      (t: T.Tensor) => t.float(),
      (t: T.Tensor) => t.contiguous(),
      (t: T.Tensor) => t.reshape(2),
      (t: T.Tensor) => t.slice(0),
      (t: T.Tensor) => T.dropout(t, 0.5, { training: false }),
      (t: T.Tensor) => t.sum([]),
    ]) {
      const y = f(x);
      y.dispose();
      expect(x.disposed).toBe(false);
    }
  });

  it('matmul of two vectors is their dot product', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const y = T.matmul(a, tensor([4, 5, 6]));
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(32);
    y.backward();
    expect(Array.from(a.grad!.data())).toEqual([4, 5, 6]);
  });

  it('crossEntropy with every target ignored: NaN loss, zero gradient (as PyTorch)', () => {
    const l = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const loss = T.crossEntropy(l, tensor([-100, -100], { dtype: 'int32' }));
    expect(loss.item()).toBeNaN();
    loss.backward();
    expect(Array.from(l.grad!.data())).toEqual([0, 0, 0, 0]);
  });

  it('logsumexp of +inf is +inf; the gradient of 0^0 is 0', () => {
    expect(T.logsumexp(tensor([1, Number.POSITIVE_INFINITY]), 0).item()).toBe(
      Number.POSITIVE_INFINITY,
    );
    const x = tensor([0, 2], { requiresGrad: true });
    T.pow(x, 0).sum().backward();
    expect(Array.from(x.grad!.data())).toEqual([0, 0]);
  });

  it('customOp checks the gradients its backward returns', () => {
    const bad = T.customOp({ name: 'bad', forward: (x) => x.mul(2), backward: (g) => [g.sum()] });
    expect(() =>
      bad(tensor([1, 2], { requiresGrad: true }))
        .sum()
        .backward(),
    ).toThrow('bad: gradient 0 has shape [] but input 0 has shape [2]');
    const none = T.customOp({ name: 'none', forward: (x) => x.mul(2), backward: () => [null] });
    expect(() =>
      none(tensor([1, 2], { requiresGrad: true }))
        .sum()
        .backward(),
    ).toThrow(/returned no gradient for input 0/);
  });
});

describe('review fixes, second round', () => {
  it('max sends the gradient to a NaN that it returns (as PyTorch)', () => {
    const x = tensor([1, Number.NaN, 3], { requiresGrad: true });
    const m = T.max(x);
    expect(m.item()).toBeNaN();
    m.backward();
    expect(Array.from(x.grad!.data())).toEqual([0, 1, 0]);
  });

  it('0-d tensors accept axis 0 and -1 in reductions', () => {
    const x = tensor(4);
    expect(T.sum(x, 0).item()).toBe(4);
    expect(T.mean(x, -1).item()).toBe(4);
    expect(() => T.sum(x, 1)).toThrow(/axis 1 is out of range for a tensor of rank 0/);
  });
});
