/** Bad arguments throw an Error that names the function, the option and the value. */
import { tensor, zeros } from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW, SGD } from '../src/index.js';

const p = () => zeros([2, 2]).requiresGrad_();

describe('hyperparameter errors', () => {
  const cases: [string, () => unknown, string | RegExp][] = [
    [
      'negative lr',
      () => new AdamW([p()], { lr: -1 }),
      'AdamW: lr must be a finite number >= 0, got -1',
    ],
    [
      'NaN lr',
      () => new SGD([p()], { lr: Number.NaN }),
      'SGD: lr must be a finite number >= 0, got NaN',
    ],
    [
      'beta1 = 1',
      () => new Adam([p()], { betas: [1, 0.999] }),
      'Adam: betas[0] must be a finite number in [0, 1), got 1',
    ],
    [
      'negative beta2',
      () => new AdamW([p()], { betas: [0.9, -0.1] }),
      'AdamW: betas[1] must be a finite number in [0, 1), got -0.1',
    ],
    [
      'betas not a pair',
      () => new AdamW([p()], { betas: [0.9] as never }),
      'AdamW: betas must be a pair [beta1, beta2], got [0.9]',
    ],
    [
      'eps = 0',
      () => new AdamW([p()], { eps: 0 }),
      'AdamW: eps must be a finite number > 0, got 0',
    ],
    [
      'negative weight decay',
      () => new AdamW([p()], { weightDecay: -0.1 }),
      'AdamW: weightDecay must be a finite number >= 0, got -0.1',
    ],
    [
      'negative momentum',
      () => new SGD([p()], { momentum: -0.5 }),
      'SGD: momentum must be a finite number >= 0, got -0.5',
    ],
    [
      'nesterov without momentum',
      () => new SGD([p()], { nesterov: true }),
      'SGD: nesterov needs momentum > 0 and dampening 0, got momentum 0 and dampening 0',
    ],
    [
      'a bad value in a group',
      () => new AdamW([{ params: [p()] }, { params: [p()], lr: -2 }]),
      'AdamW: param group 1: lr must be a finite number >= 0, got -2',
    ],
    [
      "PyTorch's snake_case name",
      () => new AdamW([p()], { weight_decay: 0.1 } as never),
      "AdamW: unknown option 'weight_decay' (did you mean 'weightDecay'?); expected one of lr, betas, eps, weightDecay, amsgrad, fused",
    ],
    [
      'an unknown group option',
      () => new SGD([{ params: [p()], momentun: 0.9 } as never]),
      "SGD: param group 0: unknown option 'momentun'; expected one of lr, momentum, dampening, nesterov, weightDecay",
    ],
    [
      'a bad fused value',
      () => new AdamW([p()], { fused: 'yes' as never }),
      `AdamW: fused must be true, false or 'auto', got "yes"`,
    ],
  ];
  for (const [what, fn, message] of cases) {
    it(what, () => {
      expect(fn).toThrow(message);
    });
  }

  it('an lr made negative later is caught at step()', () => {
    const x = p();
    const opt = new AdamW([x], { lr: 0.1 });
    opt.paramGroups[0].lr = -1;
    x.grad = zeros([2, 2]);
    expect(() => opt.step()).toThrow(
      'AdamW.step: param group 0: lr must be a finite number >= 0, got -1',
    );
  });
});

describe('parameter errors', () => {
  it('an int32 parameter', () => {
    const ids = tensor([1, 2, 3], { dtype: 'int32' });
    expect(() => new AdamW([p(), ids])).toThrow(
      'AdamW: param group 0: parameter #1 (shape [3]) has dtype int32; only float32 tensors can be optimized',
    );
    expect(() => new SGD([['embed.ids', ids]])).toThrow(
      "SGD: param group 0: parameter 'embed.ids' (shape [3]) has dtype int32",
    );
  });

  it('the same tensor in two groups, or twice in one', () => {
    const w = p();
    expect(
      () =>
        new AdamW([{ params: [['a.weight', w]] }, { params: [['b.weight', w]], weightDecay: 0 }]),
    ).toThrow(
      "AdamW: parameter 'b.weight' appears in param groups 0 and 1 (as 'a.weight' there); each tensor may be in one group only",
    );
    expect(() => new SGD([w, w])).toThrow(
      'SGD: param group 0: parameter #1 appears twice in this group (also as #0); each tensor may be optimized once',
    );
  });

  it('two different tensors under one name', () => {
    expect(
      () =>
        new SGD([
          ['w', p()],
          ['w', p()],
        ]),
    ).toThrow("SGD: param group 0: two different parameters have the key 'w'");
  });

  it('an empty list, a bare tensor, and things that are not tensors', () => {
    expect(() => new AdamW([])).toThrow('AdamW: got an empty parameter list');
    expect(() => new AdamW(p() as never)).toThrow(
      'AdamW: params: expected a list of tensors, got a single Tensor; wrap it: [t]',
    );
    expect(() => new AdamW([p(), 3] as never)).toThrow(
      'AdamW: params[1]: expected a Tensor like the elements before it, got number 3',
    );
    expect(() => new SGD(42 as never)).toThrow(
      'SGD: params: expected an array of tensors, [name, tensor] pairs, an object with namedParameters() or param groups, got number 42',
    );
    expect(() => new SGD([['w', 'not a tensor']] as never)).toThrow(
      'SGD: params[0]: expected a Tensor or a [name, Tensor] pair, got an array of length 2',
    );
  });
});
