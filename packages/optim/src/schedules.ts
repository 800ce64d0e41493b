import { checkKnownOptions, checkNumber } from './check.js';

/**
 * A learning-rate schedule: a pure function from the step (0, 1, 2, ...: the number of
 * `LRScheduler.step()` calls so far) to a multiplier of each group's base learning rate.
 */
export type Schedule = (step: number) => number;

export interface WarmupOptions {
  /** Steps of linear warmup from 0 to 1: multiplier `step / warmupSteps`. Default 0. */
  warmupSteps?: number;
}

export interface DecayOptions extends WarmupOptions {
  /** The step at which the decay reaches its end (warmup included). */
  totalSteps: number;
  /** The multiplier at the end of the decay, in [0, 1]. Default 0. */
  minLrRatio?: number;
}

export type DecayShape = 'linear' | 'cosine' | 'sqrt';

export interface WsdOptions {
  /** Steps of warmup from `minLrRatio` to 1. */
  warmupSteps: number;
  /** Steps at multiplier 1 after the warmup. */
  stableSteps: number;
  /** Steps of decay from 1 to `minLrRatio` after the stable phase. */
  decaySteps: number;
  /** The multiplier at the start of the warmup and at the end of the decay. Default 0. */
  minLrRatio?: number;
  /** How the warmup rises. Default 'linear'. */
  warmupShape?: DecayShape;
  /** How the decay falls: 1 - x, the half cosine, or 1 - sqrt(x). Default 'cosine'. */
  decayShape?: DecayShape;
}

function checkStep(where: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new Error(`${where}: step must be an integer >= 0, got ${step}`);
  }
}

function readDecay(where: string, options: DecayOptions): Required<DecayOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new Error(`${where}: expected options { warmupSteps, totalSteps, minLrRatio }`);
  }
  checkKnownOptions(where, options, ['warmupSteps', 'totalSteps', 'minLrRatio']);
  const warmupSteps = checkNumber(where, 'warmupSteps', options.warmupSteps ?? 0, {
    min: 0,
    integer: true,
  });
  const totalSteps = checkNumber(where, 'totalSteps', options.totalSteps, {
    min: warmupSteps,
    integer: true,
  });
  const minLrRatio = checkNumber(where, 'minLrRatio', options.minLrRatio ?? 0, { min: 0, max: 1 });
  return { warmupSteps, totalSteps, minLrRatio };
}

/** The linear warmup of transformers: step / max(1, warmupSteps). */
function warmup(step: number, warmupSteps: number): number {
  return step / Math.max(1, warmupSteps);
}

/**
 * Multiplier 1, after an optional linear warmup (transformers'
 * `get_constant_schedule_with_warmup`): `step < W ? step / max(1, W) : 1`.
 */
export function constantSchedule(options: WarmupOptions = {}): Schedule {
  const where = 'constantSchedule';
  checkKnownOptions(where, options, ['warmupSteps']);
  const w = checkNumber(where, 'warmupSteps', options.warmupSteps ?? 0, { min: 0, integer: true });
  return (step) => {
    checkStep(where, step);
    return step < w ? warmup(step, w) : 1;
  };
}

/**
 * Linear warmup, then linear decay to `minLrRatio` at `totalSteps` (transformers'
 * `get_linear_schedule_with_warmup` when minLrRatio is 0):
 *
 *     step < W:  step / max(1, W)
 *     else:      max(0, (T - step) / max(1, T - W)) * (1 - r) + r
 */
export function linearSchedule(options: DecayOptions): Schedule {
  const where = 'linearSchedule';
  const { warmupSteps: w, totalSteps: t, minLrRatio: r } = readDecay(where, options);
  return (step) => {
    checkStep(where, step);
    if (step < w) return warmup(step, w);
    const factor = Math.max(0, (t - step) / Math.max(1, t - w));
    return factor * (1 - r) + r;
  };
}

/**
 * Linear warmup, then a half cosine down to `minLrRatio` at `totalSteps`, constant after
 * (transformers' `get_cosine_schedule_with_warmup` when minLrRatio is 0, and
 * `get_cosine_with_min_lr_schedule_with_warmup` with `min_lr_rate`, up to `totalSteps`):
 *
 *     step < W:  step / max(1, W)
 *     else:      0.5 * (1 + cos(pi * min(1, (step - W) / max(1, T - W)))) * (1 - r) + r
 *
 * transformers lets the cosine rise again after T; here it stays at r.
 */
export function cosineSchedule(options: DecayOptions): Schedule {
  const where = 'cosineSchedule';
  const { warmupSteps: w, totalSteps: t, minLrRatio: r } = readDecay(where, options);
  return (step) => {
    checkStep(where, step);
    if (step < w) return warmup(step, w);
    const progress = Math.min(1, (step - w) / Math.max(1, t - w));
    const factor = 0.5 * (1 + Math.cos(Math.PI * progress));
    return factor * (1 - r) + r;
  };
}

function rise(shape: DecayShape, x: number): number {
  switch (shape) {
    case 'linear':
      return x;
    case 'cosine':
      return 0.5 * (1 - Math.cos(Math.PI * x));
    case 'sqrt':
      return 1 - Math.sqrt(1 - x);
    default:
      return unknownShape(shape);
  }
}

function fall(shape: DecayShape, x: number): number {
  switch (shape) {
    case 'linear':
      return 1 - x;
    case 'cosine':
      return 0.5 * (1 + Math.cos(Math.PI * x));
    case 'sqrt':
      return 1 - Math.sqrt(x);
    default:
      return unknownShape(shape);
  }
}

function unknownShape(shape: never): never {
  throw new Error(`wsdSchedule: unknown shape '${String(shape)}'`);
}

/**
 * Warmup-stable-decay (transformers' `get_wsd_schedule`; its '1-sqrt' is 'sqrt' here), with
 * W = warmupSteps, S = stableSteps, D = decaySteps, r = minLrRatio:
 *
 *     step < W:          rise(step / max(1, W)) * (1 - r) + r
 *     step < W + S:      1
 *     step < W + S + D:  fall((step - W - S) / max(1, D)) * (1 - r) + r
 *     else:              r
 *
 * with fall(x) = 1 - x, 0.5 (1 + cos(pi x)) or 1 - sqrt(x), and rise the mirror image.
 */
export function wsdSchedule(options: WsdOptions): Schedule {
  const where = 'wsdSchedule';
  if (typeof options !== 'object' || options === null) {
    throw new Error(`${where}: expected options { warmupSteps, stableSteps, decaySteps, ... }`);
  }
  checkKnownOptions(where, options, [
    'warmupSteps',
    'stableSteps',
    'decaySteps',
    'minLrRatio',
    'warmupShape',
    'decayShape',
  ]);
  const w = checkNumber(where, 'warmupSteps', options.warmupSteps, { min: 0, integer: true });
  const s = checkNumber(where, 'stableSteps', options.stableSteps, { min: 0, integer: true });
  const d = checkNumber(where, 'decaySteps', options.decaySteps, { min: 0, integer: true });
  const r = checkNumber(where, 'minLrRatio', options.minLrRatio ?? 0, { min: 0, max: 1 });
  const shapes: readonly string[] = ['linear', 'cosine', 'sqrt'];
  const warmupShape = options.warmupShape ?? 'linear';
  const decayShape = options.decayShape ?? 'cosine';
  for (const [name, v] of [
    ['warmupShape', warmupShape],
    ['decayShape', decayShape],
  ] as const) {
    if (!shapes.includes(v)) {
      throw new Error(
        `${where}: ${name} must be 'linear', 'cosine' or 'sqrt', got ${JSON.stringify(v)}`,
      );
    }
  }
  return (step) => {
    checkStep(where, step);
    if (step < w) return Math.max(0, rise(warmupShape, step / Math.max(1, w)) * (1 - r) + r);
    if (step < w + s) return 1;
    if (step < w + s + d) {
      return Math.max(0, fall(decayShape, (step - w - s) / Math.max(1, d)) * (1 - r) + r);
    }
    return r;
  };
}
