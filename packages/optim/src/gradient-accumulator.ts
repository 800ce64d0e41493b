import { div, type Tensor } from '@openeurollm/tensor';
import { checkKnownOptions, checkNumber } from './check.js';
import { clipGradNorm } from './clip-grad-norm.js';
import type { LRScheduler } from './lr-scheduler.js';
import type { BaseHyperparameters, Optimizer } from './optimizer.js';

export interface GradientAccumulatorOptions {
  /** Micro-batches per optimizer step (k). */
  steps: number;
  /** Clip the accumulated gradients to this total 2-norm before each step. */
  maxGradNorm?: number;
  /** Stepped after each optimizer step. */
  scheduler?: LRScheduler;
}

/**
 * Gradient accumulation: k micro-batches of size b give the update of one batch of k * b.
 * Each micro-batch's (mean) loss is divided by k before `backward()`, so the gradients sum to
 * the gradient of the mean over all k * b examples; every k-th call clips (optionally), steps
 * the optimizer and the scheduler, and clears the gradients.
 *
 *     const acc = new GradientAccumulator(optimizer, { steps: 4, maxGradNorm: 1 });
 *     for (const batch of microBatches) acc.backward(lossOf(batch));
 */
export class GradientAccumulator {
  readonly steps: number;
  /** Micro-batches since the last optimizer step (0 .. steps - 1). */
  microStep = 0;
  /** Optimizer steps taken. */
  optimizerSteps = 0;
  /** The total gradient norm before clipping at the last step (when maxGradNorm is set). */
  lastGradNorm: number | null = null;

  constructor(
    readonly optimizer: Optimizer<BaseHyperparameters>,
    private readonly options: GradientAccumulatorOptions,
  ) {
    const where = 'GradientAccumulator';
    if (typeof options !== 'object' || options === null) {
      throw new Error(`${where}: expected options { steps, maxGradNorm?, scheduler? }`);
    }
    checkKnownOptions(where, options, ['steps', 'maxGradNorm', 'scheduler']);
    this.steps = checkNumber(where, 'steps', options.steps, { min: 1, integer: true });
    if (options.maxGradNorm !== undefined) {
      checkNumber(where, 'maxGradNorm', options.maxGradNorm, { above: 0 });
    }
  }

  /**
   * Back-propagates `loss / steps`; on every `steps`-th call also steps the optimizer. Returns
   * true when it stepped.
   */
  backward(loss: Tensor): boolean {
    const scaled = this.steps === 1 ? loss : div(loss, this.steps);
    scaled.backward();
    this.microStep += 1;
    if (this.microStep < this.steps) return false;
    this.microStep = 0;
    const { maxGradNorm, scheduler } = this.options;
    if (maxGradNorm !== undefined) {
      this.lastGradNorm = clipGradNorm(this.optimizer.parameters(), maxGradNorm);
    }
    this.optimizer.step();
    scheduler?.step();
    this.optimizer.zeroGrad();
    this.optimizerSteps += 1;
    return true;
  }
}
