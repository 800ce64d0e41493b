/**
 * Each optimizer against the float64 references of reference.ts, for a few steps on random
 * tensors, on every backend that loads.
 */
import type { Tensor } from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  type AdamOptions,
  AdamW,
  type Optimizer,
  SGD,
  type SGDOptions,
} from '../src/index.js';
import {
  BACKENDS,
  expectBitIdentical,
  expectClose,
  param,
  randomValues,
  setGrad,
} from './helpers.js';
import { type RefOptimizer, refAdam, refSGD } from './reference.js';

const SHAPES = [[3, 4], [5], [2, 3, 2]];
const STEPS = 6;

interface Case {
  name: string;
  make(params: Tensor[]): Optimizer;
  ref(): RefOptimizer;
  /** A different learning rate per step, to check that lr is read at each step. */
  lrs?: number[];
}

const sgd = (o: SGDOptions): Case => ({
  name: `SGD ${JSON.stringify(o)}`,
  make: (ps) => new SGD(ps, o),
  ref: () => refSGD({ lr: o.lr ?? 1e-3, ...o }),
});
const adam = (cls: 'Adam' | 'AdamW', o: AdamOptions): Case => ({
  name: `${cls} ${JSON.stringify(o)}`,
  make: (ps) => (cls === 'Adam' ? new Adam(ps, o) : new AdamW(ps, o)),
  ref: () =>
    refAdam({
      lr: o.lr ?? 1e-3,
      betas: o.betas,
      eps: o.eps,
      amsgrad: o.amsgrad,
      weightDecay: o.weightDecay ?? (cls === 'AdamW' ? 0.01 : 0),
      decoupled: cls === 'AdamW',
    }),
});

const CASES: Case[] = [
  sgd({ lr: 0.1 }),
  sgd({ lr: 0.05, momentum: 0.9 }),
  sgd({ lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
  sgd({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 }),
  adam('Adam', { lr: 0.01 }),
  adam('Adam', { lr: 0.01, weightDecay: 0.1 }),
  adam('Adam', { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1, fused: true }),
  adam('Adam', { lr: 0.02, betas: [0.8, 0.99], eps: 1e-6, amsgrad: true }),
  adam('AdamW', {}),
  adam('AdamW', { lr: 0.01, weightDecay: 0.1 }),
  adam('AdamW', { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1 }),
  adam('AdamW', { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1, fused: false }),
  adam('AdamW', { lr: 0.01, betas: [0.9, 0.95], weightDecay: 0.1, fused: true }),
  adam('AdamW', { lr: 0.02, betas: [0.5, 0.9], eps: 1e-3, weightDecay: 0.5, amsgrad: true }),
  { ...adam('AdamW', { lr: 0.01, weightDecay: 0.1 }), name: 'AdamW with lr changing per step' },
];
CASES[CASES.length - 1].lrs = [0.01, 0.02, 0.005, 0, 0.03, 0.01];

for (const backend of BACKENDS) {
  describe(`optimizers on the ${backend} backend match float64 references`, () => {
    for (const c of CASES) {
      it(c.name, () => {
        const init = SHAPES.map((s, i) =>
          randomValues(
            s.reduce((a, b) => a * b, 1),
            10 + i,
          ),
        );
        const params = SHAPES.map((s, i) => param(init[i], s, backend));
        const opt = c.make(params);
        const refs = SHAPES.map(() => c.ref());
        const ref = init.map((v) => Float64Array.from(v));
        for (let t = 0; t < STEPS; t++) {
          if (c.lrs) {
            for (const g of opt.paramGroups) g.lr = c.lrs[t];
            for (const r of refs) r.lr = c.lrs[t];
          }
          params.forEach((p, i) => {
            const g = randomValues(p.size, 100 * t + i, -2, 2);
            setGrad(p, g);
            refs[i].step(ref[i], g);
          });
          opt.step();
          params.forEach((p, i) => {
            expectClose(p.data(), ref[i], 1e-6, 1e-7, `${c.name} step ${t + 1} param ${i}`);
          });
        }
        // the parameters stay the same objects, still leaves that require grad
        expect(opt.paramGroups[0].params).toEqual(params);
        for (const p of params) expect(p.requiresGrad && p.isLeaf).toBe(true);
      });
    }
  });
}

describe('the fused AdamW kernel', () => {
  for (const backend of BACKENDS) {
    it(`fused: true with beta2 = 0.999 stays within 1e-6 of float64 on ${backend}`, () => {
      const init = randomValues(64, 3);
      const p = param(init, [8, 8], backend);
      const q = param(init, [8, 8], backend);
      const fused = new AdamW([p], { lr: 0.01, weightDecay: 0.1, fused: true });
      const exact = new AdamW([q], { lr: 0.01, weightDecay: 0.1, fused: false });
      const r = refAdam({ lr: 0.01, weightDecay: 0.1, decoupled: true });
      const ref = Float64Array.from(init);
      for (let t = 0; t < STEPS; t++) {
        const g = randomValues(64, 50 + t, -2, 2);
        setGrad(p, g);
        setGrad(q, g);
        r.step(ref, g);
        fused.step();
        exact.step();
      }
      expectClose(q.data(), ref, 1e-6, 1e-7, 'composed');
      expectClose(p.data(), ref, 1e-6, 1e-6, 'fused');
      // the second moment too: the kernel forms 1 - beta2 in double, as PyTorch does
      const vExact = exact.stateOf(q)!.buffers.exp_avg_sq.data();
      const vFused = fused.stateOf(p)!.buffers.exp_avg_sq.data();
      expectClose(vFused, vExact, 1e-6, 0, 'exp_avg_sq');
    });
  }

  for (const backend of BACKENDS) {
    it(`'auto' uses the kernel (bit-identical to fused: true) for any betas on ${backend}`, () => {
      const run = (betas: [number, number], fused: boolean | 'auto') => {
        const p = param(randomValues(32, 7), [4, 8], backend);
        const opt = new AdamW([p], { lr: 0.01, betas, fused });
        for (let t = 0; t < 3; t++) {
          setGrad(p, randomValues(32, 70 + t, -2, 2));
          opt.step();
        }
        return p.data() as Float32Array;
      };
      expectBitIdentical(run([0.9, 0.95], 'auto'), run([0.9, 0.95], true), 'betas 0.95');
      expectBitIdentical(run([0.9, 0.999], 'auto'), run([0.9, 0.999], true), 'betas 0.999');
    });
  }
});
