import { checkNumber } from './check.js';
import type { BaseHyperparameters, Optimizer } from './optimizer.js';
import type { Schedule } from './schedules.js';

/** The `format` tag of an LRScheduler state dict. */
export const LR_SCHEDULER_STATE_FORMAT = 'oellm-lr-scheduler';

/** What `LRScheduler.stateDict()` returns: plain JSON. */
export interface LRSchedulerState {
  format: typeof LR_SCHEDULER_STATE_FORMAT;
  version: 1;
  /** Number of `step()` calls so far (PyTorch's `last_epoch`). */
  lastStep: number;
  /** Each group's learning rate before scheduling. */
  baseLrs: number[];
}

/**
 * Sets each group's learning rate to `baseLr * schedule(step)`, as PyTorch's `LambdaLR`: the
 * base rates are the groups' `lr` at construction, and the schedule's value at step 0 applies
 * at once. Call `step()` after each `optimizer.step()`.
 */
export class LRScheduler {
  /** Each group's learning rate before scheduling. */
  baseLrs: number[];
  /** Number of `step()` calls so far (PyTorch's `last_epoch`). */
  lastStep = 0;

  constructor(
    readonly optimizer: Optimizer<BaseHyperparameters>,
    readonly schedule: Schedule,
  ) {
    if (typeof schedule !== 'function') {
      throw new Error(
        `LRScheduler: schedule must be a function (step) => multiplier, got ${typeof schedule}`,
      );
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  /** The learning rate of each group, as last set. */
  get lastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Advances one step and sets the groups' learning rates. */
  step(): void {
    this.lastStep += 1;
    this.apply();
  }

  private apply(): void {
    const f = this.schedule(this.lastStep);
    checkNumber('LRScheduler', `schedule(${this.lastStep})`, f, { min: 0 });
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length) {
      throw new Error(
        `LRScheduler: the optimizer has ${groups.length} param groups but the scheduler knows ${this.baseLrs.length}; create the scheduler after adding groups`,
      );
    }
    groups.forEach((g, i) => {
      g.lr = this.baseLrs[i] * f;
    });
  }

  stateDict(): LRSchedulerState {
    return {
      format: LR_SCHEDULER_STATE_FORMAT,
      version: 1,
      lastStep: this.lastStep,
      baseLrs: [...this.baseLrs],
    };
  }

  /** Restores the step count and base rates and sets the groups' learning rates to match. */
  loadStateDict(state: LRSchedulerState): void {
    const where = 'LRScheduler.loadStateDict';
    if (typeof state !== 'object' || state === null || state.format !== LR_SCHEDULER_STATE_FORMAT) {
      throw new Error(
        `${where}: expected format '${LR_SCHEDULER_STATE_FORMAT}' (from LRScheduler.stateDict()), got ${JSON.stringify((state as { format?: unknown } | null)?.format)}`,
      );
    }
    if (state.version !== 1) {
      throw new Error(`${where}: expected version 1, got ${JSON.stringify(state.version)}`);
    }
    checkNumber(where, 'lastStep', state.lastStep, { min: 0, integer: true });
    const n = this.optimizer.paramGroups.length;
    if (!Array.isArray(state.baseLrs) || state.baseLrs.length !== n) {
      throw new Error(
        `${where}: the state has ${state.baseLrs?.length} base learning rates, the optimizer has ${n} param groups`,
      );
    }
    state.baseLrs.forEach((lr, i) => {
      checkNumber(where, `baseLrs[${i}]`, lr, { min: 0 });
    });
    this.lastStep = state.lastStep;
    this.baseLrs = [...state.baseLrs];
    this.apply();
  }
}
