import { AdamBase, type AdamHyperparameters, type AdamOptions } from './adam-base.js';
import type { ParamsInput } from './params.js';

/**
 * Adam with L2 weight decay added to the gradient, as `torch.optim.Adam` (for decoupled decay
 * use AdamW):
 *
 *     g = g + weightDecay * p
 *     m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 *     v' = amsgrad ? (vmax = max(vmax, v)) : v
 *     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v') / sqrt(1 - beta2^t) + eps)
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false.
 */
export class Adam extends AdamBase {
  constructor(params: ParamsInput<AdamHyperparameters>, options: AdamOptions = {}) {
    super('Adam', params, options, 0, false);
  }
}
