/** What every optimizer shares: parameter forms, skipping, in-place updates, zeroGrad. */
import { add, mean, sum, tensor } from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import { AdamW, SGD } from '../src/index.js';
import {
  BACKENDS,
  expectBitIdentical,
  expectClose,
  param,
  randomValues,
  setGrad,
} from './helpers.js';
import { refAdam } from './reference.js';

describe('parameter input', () => {
  it('takes a Tensor[] and keys parameters by index', () => {
    const a = param([1, 2], [2]);
    const b = param([3], [1]);
    const opt = new SGD([a, b], { lr: 0.1 });
    expect(opt.paramGroups).toHaveLength(1);
    expect(opt.paramGroups[0].keys).toEqual(['0', '1']);
    expect(opt.parameters()).toEqual([a, b]);
  });

  it('takes [name, tensor] pairs, a Map, or an object with namedParameters()', () => {
    const a = param([1, 2], [2]);
    const b = param([3], [1]);
    const pairs: [string, typeof a][] = [
      ['layer.weight', a],
      ['layer.bias', b],
    ];
    const module = {
      *namedParameters() {
        yield* pairs;
      },
    };
    for (const input of [pairs, new Map(pairs), module]) {
      const opt = new SGD(input, { lr: 0.1 });
      expect(opt.paramGroups[0].keys).toEqual(['layer.weight', 'layer.bias']);
      expect(opt.paramGroups[0].params).toEqual([a, b]);
    }
  });

  it('takes explicit groups with their own hyperparameters; indices run across groups', () => {
    const [a, b, c] = [param([1], [1]), param([2], [1]), param([3], [1])];
    const opt = new SGD([{ params: [a, b] }, { params: [c], lr: 0.5, momentum: 0.9 }], {
      lr: 0.1,
    });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
    expect(opt.paramGroups.map((g) => g.momentum)).toEqual([0, 0.9]);
    expect(opt.paramGroups[1].keys).toEqual(['2']);
    opt.addParamGroup({ params: [['extra', param([4], [1])]], lr: 0.2 });
    expect(opt.paramGroups[2].keys).toEqual(['extra']);
    expect(opt.paramGroups[2].lr).toBe(0.2);
  });
});

describe('step', () => {
  it('skips parameters without a gradient or without requiresGrad; their state does not advance', () => {
    const a = param([1, 1], [2]);
    const b = param([1, 1], [2]);
    const frozen = tensor([5, 5]);
    frozen.grad = tensor([1, 1]); // a stray gradient on a frozen tensor is ignored
    const opt = new AdamW([a, b, frozen], { lr: 0.1, betas: [0.9, 0.95] });
    setGrad(a, [1, -1]);
    opt.step();
    expect(opt.stateOf(a)?.step).toBe(1);
    expect(opt.stateOf(b)).toBeUndefined();
    expect(Array.from(b.data())).toEqual([1, 1]);
    expect(Array.from(frozen.data())).toEqual([5, 5]);
    setGrad(b, [1, -1]);
    opt.step();
    expect(opt.stateOf(a)?.step).toBe(2);
    expect(opt.stateOf(b)?.step).toBe(1);
  });

  for (const backend of BACKENDS) {
    it(`writes in place on ${backend}: views of a parameter see the update, the object stays`, () => {
      const p = param(randomValues(12, 1), [3, 4], backend);
      const view = p.reshape([12]);
      const opt = new AdamW([p], { lr: 0.1, betas: [0.9, 0.95] });
      setGrad(p, randomValues(12, 2));
      opt.step();
      expectBitIdentical(view.data() as Float32Array, p.data() as Float32Array);
      expect(Array.from(view.data())).not.toEqual(Array.from(randomValues(12, 1)));
    });

    it(`updates a strided (non-dense) parameter through its view on ${backend}`, () => {
      const init = randomValues(12, 3);
      const base = tensor(Float32Array.from(init), { shape: [3, 4], backend });
      const t = base.transpose(0, 1).detach().requiresGrad_(); // [4, 3], strides [1, 4]
      expect(t.isContiguous()).toBe(false);
      const dense = param(t.data(), [4, 3], backend);
      const g = randomValues(12, 4);
      const adam = new AdamW([t], { lr: 0.05, betas: [0.9, 0.95], weightDecay: 0.1 });
      setGrad(t, g);
      adam.step();
      const ref = Float64Array.from(dense.data());
      refAdam({ lr: 0.05, betas: [0.9, 0.95], weightDecay: 0.1, decoupled: true }).step(ref, g);
      expectClose(t.data(), ref);
      // the base tensor shares the storage, so it sees the update
      expectClose(base.transpose(0, 1).data(), ref);
      // SGD through the view equals SGD on a dense copy, bit for bit
      const copy = param(t.data(), [4, 3], backend);
      const sgdView = new SGD([t], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
      const sgdDense = new SGD([copy], { lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
      setGrad(copy, g);
      setGrad(t, g);
      sgdView.step();
      sgdDense.step();
      expect(t.data()).toEqual(copy.data());
    });
  }

  it('handles gradients that share storage (add sends one gradient to both inputs)', () => {
    const a = param([1, 2, 3], [3]);
    const b = param([1, 2, 3], [3]);
    sum(add(a, b)).backward();
    const opt = new SGD([a, b], { lr: 0.5 });
    opt.step();
    expect(Array.from(a.data())).toEqual([0.5, 1.5, 2.5]);
    expect(Array.from(b.data())).toEqual([0.5, 1.5, 2.5]);
    opt.zeroGrad({ setToNone: false });
    expect(Array.from(a.grad!.data())).toEqual([0, 0, 0]);
    expect(Array.from(b.grad!.data())).toEqual([0, 0, 0]);
  });
});

describe('zeroGrad', () => {
  it('sets gradients to null by default and to zeros with setToNone: false', () => {
    const p = param([1, 2], [2]);
    const opt = new SGD([p], { lr: 0.1 });
    mean(p.mul(p)).backward();
    opt.zeroGrad({ setToNone: false });
    expect(p.grad!.shape).toEqual([2]);
    expect(Array.from(p.grad!.data())).toEqual([0, 0]);
    mean(p.mul(p)).backward(); // accumulates onto the zeros
    expect(Array.from(p.grad!.data())).toEqual([1, 2]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });
});
