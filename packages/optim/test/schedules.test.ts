/**
 * Schedules at their key points. Expected values follow transformers' formulas
 * (get_linear_schedule_with_warmup, get_cosine_schedule_with_warmup,
 * get_cosine_with_min_lr_schedule_with_warmup, get_wsd_schedule), worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  constantSchedule,
  cosineSchedule,
  LRScheduler,
  linearSchedule,
  SGD,
  wsdSchedule,
} from '../src/index.js';
import { param } from './helpers.js';

function expectValues(f: (s: number) => number, points: [number, number][]): void {
  for (const [step, want] of points) expect(f(step), `step ${step}`).toBeCloseTo(want, 12);
}

describe('schedules', () => {
  it('constant, with and without warmup', () => {
    expectValues(constantSchedule(), [
      [0, 1],
      [1000, 1],
    ]);
    expectValues(constantSchedule({ warmupSteps: 4 }), [
      [0, 0],
      [1, 0.25],
      [4, 1],
      [9, 1],
    ]);
  });

  it('linear: warmup from 0, decay to 0 at totalSteps (transformers)', () => {
    const f = linearSchedule({ warmupSteps: 10, totalSteps: 110 });
    expectValues(f, [
      [0, 0],
      [5, 0.5],
      [10, 1], // end of warmup
      [60, 0.5], // middle of the decay
      [100, 0.1],
      [110, 0], // end
      [150, 0], // after the end
    ]);
  });

  it('linear with minLrRatio ends at the ratio', () => {
    const f = linearSchedule({ warmupSteps: 10, totalSteps: 110, minLrRatio: 0.1 });
    expectValues(f, [
      [0, 0],
      [10, 1],
      [60, 0.55],
      [110, 0.1],
      [500, 0.1],
    ]);
  });

  it('cosine: half a cosine from 1 to 0 (transformers)', () => {
    const f = cosineSchedule({ warmupSteps: 10, totalSteps: 110 });
    expectValues(f, [
      [0, 0],
      [3, 0.3],
      [10, 1],
      [35, 0.5 * (1 + Math.cos(Math.PI / 4))],
      [60, 0.5],
      [110, 0],
      [200, 0], // transformers would rise again here; this stays at the end value
    ]);
  });

  it('cosine with minLrRatio (transformers cosine_with_min_lr, min_lr_rate)', () => {
    const f = cosineSchedule({ warmupSteps: 0, totalSteps: 100, minLrRatio: 0.1 });
    expectValues(f, [
      [0, 1],
      [50, 0.55],
      [100, 0.1],
      [101, 0.1],
    ]);
  });

  it('no warmup: step 0 is the full rate', () => {
    expect(linearSchedule({ totalSteps: 10 })(0)).toBe(1);
    expect(cosineSchedule({ totalSteps: 10 })(0)).toBe(1);
  });

  for (const [shape, mid] of [
    ['linear', 0.5],
    ['cosine', 0.5],
    ['sqrt', 1 - Math.SQRT1_2],
  ] as const) {
    it(`wsd with ${shape} decay (transformers get_wsd_schedule)`, () => {
      const r = 0.1;
      const f = wsdSchedule({
        warmupSteps: 10,
        stableSteps: 80,
        decaySteps: 10,
        minLrRatio: r,
        decayShape: shape,
      });
      expectValues(f, [
        [0, r], // warmup starts at the ratio
        [5, 0.5 * (1 - r) + r],
        [10, 1],
        [50, 1],
        [89, 1],
        [90, 1], // decay starts
        [95, mid * (1 - r) + r],
        [100, r],
        [1000, r],
      ]);
    });
  }

  it('wsd warmup shapes', () => {
    const at = (warmupShape: 'linear' | 'cosine' | 'sqrt') =>
      wsdSchedule({ warmupSteps: 4, stableSteps: 0, decaySteps: 4, warmupShape })(1);
    expect(at('linear')).toBeCloseTo(0.25, 12);
    expect(at('cosine')).toBeCloseTo(0.5 * (1 - Math.cos(Math.PI / 4)), 12);
    expect(at('sqrt')).toBeCloseTo(1 - Math.sqrt(0.75), 12);
  });

  it('rejects bad options and steps', () => {
    expect(() => linearSchedule({ warmupSteps: 10, totalSteps: 5 })).toThrow(
      /linearSchedule: totalSteps must be an integer >= 10, got 5/,
    );
    expect(() => cosineSchedule({ totalSteps: 10, minLrRatio: 1.5 })).toThrow(
      /cosineSchedule: minLrRatio must be a finite number in \[0, 1\], got 1.5/,
    );
    expect(() =>
      wsdSchedule({ warmupSteps: 1, stableSteps: 1, decaySteps: 1, decayShape: 'exp' as never }),
    ).toThrow(/wsdSchedule: decayShape must be 'linear', 'cosine' or 'sqrt', got "exp"/);
    expect(() => cosineSchedule({ totalSteps: 10 })(-1)).toThrow(
      /cosineSchedule: step must be an integer >= 0, got -1/,
    );
  });
});

describe('LRScheduler', () => {
  it('sets lr = base * schedule(step) per group, like LambdaLR', () => {
    const opt = new SGD(
      [
        { params: [param([1], [1])], lr: 0.1 },
        { params: [param([1], [1])], lr: 0.01 },
      ],
      {},
    );
    const sched = new LRScheduler(opt, linearSchedule({ warmupSteps: 2, totalSteps: 4 }));
    expect(sched.lastLr).toEqual([0, 0]); // schedule(0) applies at once
    sched.step();
    expect(sched.lastLr[0]).toBeCloseTo(0.05, 15);
    expect(sched.lastLr[1]).toBeCloseTo(0.005, 15);
    sched.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
    sched.step();
    expect(sched.lastLr[0]).toBeCloseTo(0.05, 15);
    expect(sched.lastStep).toBe(3);
  });

  it('saves and restores its state', () => {
    const make = () => new SGD([param([1], [1])], { lr: 0.1 });
    const a = new LRScheduler(make(), cosineSchedule({ warmupSteps: 2, totalSteps: 10 }));
    for (let i = 0; i < 5; i++) a.step();
    const saved = JSON.parse(JSON.stringify(a.stateDict()));
    const optB = make();
    const b = new LRScheduler(optB, cosineSchedule({ warmupSteps: 2, totalSteps: 10 }));
    b.loadStateDict(saved);
    expect(b.lastStep).toBe(5);
    expect(b.lastLr).toEqual(a.lastLr);
    a.step();
    b.step();
    expect(b.lastLr).toEqual(a.lastLr);
    expect(() => b.loadStateDict({ ...saved, format: 'x' })).toThrow(
      /LRScheduler.loadStateDict: expected format 'oellm-lr-scheduler'/,
    );
  });

  it('rejects a schedule that returns a negative or non-finite multiplier', () => {
    const opt = new SGD([param([1], [1])], { lr: 0.1 });
    expect(() => new LRScheduler(opt, () => -1)).toThrow(
      /LRScheduler: schedule\(0\) must be a finite number >= 0, got -1/,
    );
  });
});
