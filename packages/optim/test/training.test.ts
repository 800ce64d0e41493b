/** Small real trainings: they converge, and gradient accumulation equals one large batch. */
import {
  manualSeed,
  mean,
  randn,
  type Tensor,
  tensor,
  withBackend,
  zeros,
} from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  clipGradNorm,
  cosineSchedule,
  GradientAccumulator,
  LRScheduler,
  type Optimizer,
  paramGroups,
  SGD,
} from '../src/index.js';
import { BACKENDS, expectClose } from './helpers.js';

/** y = x W* + b* plus a little noise: x [64, 3], W* [3, 2]. */
function regressionData(): { x: Tensor; y: Tensor } {
  manualSeed(0);
  const x = randn([64, 3]);
  const w = tensor([
    [1.5, -2],
    [0.5, 1],
    [-1, 0.25],
  ]);
  const y = x
    .matmul(w)
    .add(tensor([0.3, -0.7]))
    .add(randn([64, 2]).mul(0.01));
  return { x, y };
}

for (const backend of BACKENDS) {
  describe(`training on ${backend}`, () => {
    for (const [name, make] of [
      ['SGD momentum', (ps: Tensor[]) => new SGD(ps, { lr: 0.05, momentum: 0.9 })],
      ['Adam', (ps: Tensor[]) => new Adam(ps, { lr: 0.05 })],
      ['AdamW', (ps: Tensor[]) => new AdamW(ps, { lr: 0.05, weightDecay: 0 })],
    ] as [string, (ps: Tensor[]) => Optimizer][]) {
      it(`${name} fits a linear regression`, () => {
        withBackend(backend, () => {
          const { x, y } = regressionData();
          const w = zeros([3, 2]).requiresGrad_();
          const b = zeros([2]).requiresGrad_();
          const opt = make([w, b]);
          let loss = Number.POSITIVE_INFINITY;
          for (let step = 0; step < 300; step++) {
            const l = mean(x.matmul(w).add(b).sub(y).pow(2));
            loss = l.item();
            l.backward();
            opt.step();
            opt.zeroGrad();
          }
          expect(loss).toBeLessThan(1e-3);
          expectClose(b.data(), [0.3, -0.7], 0, 0.02);
        });
      });
    }

    it('AdamW + cosine schedule + clipping fits XOR with a tanh MLP', () => {
      withBackend(backend, () => {
        manualSeed(0);
        const x = tensor([
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ]);
        const y = tensor([[0], [1], [1], [0]]);
        const named: [string, Tensor][] = [
          ['fc1.weight', randn([2, 8]).requiresGrad_()],
          ['fc1.bias', zeros([8]).requiresGrad_()],
          ['fc2.weight', randn([8, 1]).mul(0.35).detach().requiresGrad_()],
          ['fc2.bias', zeros([1]).requiresGrad_()],
        ];
        const [w1, b1, w2, b2] = named.map(([, t]) => t);
        const opt = new AdamW(paramGroups(named, { weightDecay: 0.01 }), { lr: 0.05 });
        const sched = new LRScheduler(opt, cosineSchedule({ warmupSteps: 20, totalSteps: 400 }));
        let loss = 1;
        for (let step = 0; step < 400; step++) {
          const l = mean(x.matmul(w1).add(b1).tanh().matmul(w2).add(b2).sub(y).pow(2));
          loss = l.item();
          l.backward();
          clipGradNorm(opt.parameters(), 1);
          opt.step();
          sched.step();
          opt.zeroGrad();
        }
        expect(loss).toBeLessThan(0.01);
        expect(sched.lastLr[0]).toBe(0);
      });
    });
  });
}

describe('gradient accumulation', () => {
  for (const backend of BACKENDS) {
    for (const [name, make] of [
      ['SGD', (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9 })],
      ['AdamW', (ps: Tensor[]) => new AdamW(ps, { lr: 0.01, betas: [0.9, 0.95] })],
    ] as [string, (ps: Tensor[]) => Optimizer][]) {
      it(`${name} on ${backend}: 4 micro-batches of 8 give the update of one batch of 32`, () => {
        withBackend(backend, () => {
          const { x, y } = regressionData();
          const k = 4;
          const b = 8;
          const init = () => {
            manualSeed(5);
            return [randn([3, 2]).requiresGrad_(), randn([2]).requiresGrad_()];
          };
          const lossOf = ([w, bias]: Tensor[], xs: Tensor, ys: Tensor) =>
            mean(xs.matmul(w).add(bias).sub(ys).pow(2));

          const big = init();
          const optBig = make(big);
          const small = init();
          const optSmall = make(small);
          const acc = new GradientAccumulator(optSmall, { steps: k, maxGradNorm: 100 });
          for (let round = 0; round < 2; round++) {
            const rows = (i: number, n: number) => [round * 32 + i * n, round * 32 + (i + 1) * n];
            const [s, e] = rows(0, 32);
            lossOf(big, x.slice(0, s, e), y.slice(0, s, e)).backward();
            clipGradNorm(big, 100);
            optBig.step();
            optBig.zeroGrad();
            const stepped: boolean[] = [];
            for (let i = 0; i < k; i++) {
              const [ms, me] = rows(i, b);
              stepped.push(acc.backward(lossOf(small, x.slice(0, ms, me), y.slice(0, ms, me))));
            }
            expect(stepped).toEqual([false, false, false, true]);
            big.forEach((p, i) => {
              expectClose(small[i].data(), p.data(), 1e-6, 1e-6, `round ${round} param ${i}`);
            });
          }
          expect(acc.optimizerSteps).toBe(2);
          expect(acc.lastGradNorm).toBeGreaterThan(0);
        });
      });
    }
  }

  it('checks its options', () => {
    const opt = new SGD([zeros([1]).requiresGrad_()], { lr: 0.1 });
    expect(() => new GradientAccumulator(opt, { steps: 0 })).toThrow(
      /GradientAccumulator: steps must be an integer >= 1, got 0/,
    );
  });
});
