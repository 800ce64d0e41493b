import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { tensor } from '../src/index.js';

const int = (v: number[]) => tensor(v, { dtype: 'int32' });

describe('bad input gives a clear error', () => {
  it('matmul names both shapes', () => {
    expect(() => T.matmul(T.zeros([2, 3]), T.zeros([4, 5]))).toThrow(
      'matmul: cannot multiply [2,3] by [4,5]',
    );
    expect(() => T.matmul(T.zeros([2, 2, 3]), T.zeros([3, 3, 2]))).toThrow(
      /matmul: cannot multiply \[2,2,3\] by \[3,3,2\]/,
    );
    expect(() => T.matmul(T.zeros([2, 3], { dtype: 'int32' }), T.zeros([3, 2]))).toThrow(/float32/);
  });

  it('broadcasting names the op and shapes', () => {
    expect(() => T.add(T.zeros([2, 3]), T.zeros([4]))).toThrow(
      'add: cannot broadcast shapes [2,3] and [4]',
    );
    expect(() => T.where(int([1, 0]), T.zeros([3]), 1)).toThrow(/where: cannot broadcast/);
  });

  it('reshape and view explain the mismatch', () => {
    expect(() => T.zeros([2, 3]).reshape(4, 2)).toThrow(
      'reshape: cannot reshape [2,3] (6 elements) into [4,2]',
    );
    expect(() => T.zeros([2, 3]).transpose(0, 1).view(6)).toThrow(/not contiguous/);
    expect(() => T.zeros([2, 3]).reshape(-1, -1)).toThrow(/only one dimension can be -1/);
  });

  it('axes out of range are named', () => {
    expect(() => T.zeros([2, 3]).sum(2)).toThrow(
      'sum: axis 2 is out of range for a tensor of rank 2',
    );
    expect(() => T.softmax(T.zeros([2]), 3)).toThrow(/softmax: axis 3/);
  });

  it('gather, indexSelect and embedding reject out-of-range and non-int indices', () => {
    expect(() => T.gather(T.zeros([2, 3]), 1, tensor([[0], [3]], { dtype: 'int32' }))).toThrow(
      /gather: index 3 at position 1 is out of range for a dimension of size 3/,
    );
    expect(() => T.gather(T.zeros([2, 3]), 1, tensor([[0], [1]]))).toThrow(
      'gather: index must be int32, got float32',
    );
    expect(() => T.embedding(int([0, 5]), T.zeros([5, 2]))).toThrow(
      /index 5 .* out of range for a dimension of size 5/,
    );
    expect(() => T.embedding(int([-1]), T.zeros([5, 2]))).toThrow(/index -1/);
  });

  it('crossEntropy checks targets: dtype, shape and range', () => {
    const logits = T.zeros([2, 3]);
    expect(() => T.crossEntropy(logits, tensor([0, Number.NaN]))).toThrow(
      'crossEntropy: targets must be an int32 tensor of class indices, got float32',
    );
    expect(() => T.crossEntropy(logits, int([0, 3]))).toThrow(
      /crossEntropy: target 3 at position 1 is out of range for 3 classes/,
    );
    expect(() => T.crossEntropy(logits, int([0, -1]))).toThrow(/target -1/);
    expect(() => T.crossEntropy(logits, int([0, 1, 2]))).toThrow(
      /targets of shape \[3\] do not match logits of shape \[2,3\]/,
    );
    // ignored targets are fine
    expect(T.crossEntropy(logits, int([-100, 2])).item()).toBeCloseTo(Math.log(3), 6);
  });

  it('int32 tensors reject NaN and fractions', () => {
    expect(() => tensor([1, Number.NaN], { dtype: 'int32' })).toThrow(
      'tensor: cannot store NaN as int32 (element 1)',
    );
    expect(() => tensor([1.5], { dtype: 'int32' })).toThrow(/cannot store 1.5 as int32/);
    expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(
      /only float32 tensors can require gradients/,
    );
    expect(() => tensor([1], { dtype: 'float64' as never })).toThrow(/unknown dtype 'float64'/);
  });

  it('ragged arrays and bad shapes are named', () => {
    expect(() => tensor([[1, 2], [3]] as never)).toThrow(
      /ragged nested array: expected 2 elements at \[1\], got 1/,
    );
    expect(() => tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(
      /shape \[2,3\] needs 6 elements, got 5/,
    );
    expect(() => T.zeros([2, -1])).toThrow(/invalid dimension -1/);
  });

  it('backward needs a scalar or a gradient of the right shape', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.mul(2).backward()).toThrow(
      /backward: a gradient can be implied only for a one-element output, got shape \[2\]/,
    );
    expect(() => x.mul(2).backward(T.zeros([3]))).toThrow(
      /grad has shape \[3\] but the tensor has shape \[2\]/,
    );
    expect(() => tensor([1]).backward()).toThrow(/does not require grad/);
  });

  it('item, cat, stack and slice name their problem', () => {
    expect(() => T.zeros([2]).item()).toThrow(/only one-element tensors/);
    expect(() => T.cat([T.zeros([2, 3]), T.zeros([3, 3])], 1)).toThrow(
      /cat: tensor 1 has shape \[3,3\]/,
    );
    expect(() => T.stack([T.zeros([2]), T.zeros([3])])).toThrow(
      /stack: tensor 1 has shape \[3\], expected \[2\]/,
    );
    expect(() => T.zeros([4]).slice(0, 0, 4, 0)).toThrow(/step must be a positive integer/);
    expect(() => T.zeros([4]).narrow(0, 3, 2)).toThrow(/narrow: \[3, 3\+2\) is out of range/);
    expect(() => T.zeros([4]).split([1, 2])).toThrow(/do not add up/);
  });

  it('norms and attention check parameter shapes', () => {
    expect(() => T.layerNorm(T.zeros([2, 3]), { weight: T.ones([4]) })).toThrow(
      'layerNorm: weight has shape [4] but the normalized dimension is 3',
    );
    expect(() =>
      T.scaledDotProductAttention(T.zeros([2, 3]), T.zeros([2, 4]), T.zeros([2, 4])),
    ).toThrow(/q \[2,3\] and k \[2,4\] differ in the last dimension/);
    expect(() => T.dropout(T.zeros([2]), 1.5)).toThrow(/p must be in \[0, 1\]/);
  });

  it('unknown backends are listed', () => {
    expect(() => T.setBackend('cuda')).toThrow(/unknown backend 'cuda'; registered: js/);
  });

  it('NaN in float data propagates instead of vanishing', () => {
    const x = tensor([1, Number.NaN, 3]);
    expect(T.max(x).item()).toBeNaN();
    expect(T.sum(x).item()).toBeNaN();
    expect(T.argmax(x).item()).toBe(1);
  });
});
