import { AdamBase, type AdamHyperparameters, type AdamOptions } from './adam-base.js';
import type { ParamsInput } from './params.js';

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as `torch.optim.AdamW`:
 *
 *     p = p * (1 - lr * weightDecay)
 *     m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 *     v' = amsgrad ? (vmax = max(vmax, v)) : v
 *     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v') / sqrt(1 - beta2^t) + eps)
 *
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01, amsgrad false. Uses the
 * tensor package's fused `adamwUpdate` kernel where it can (see `AdamOptions.fused`).
 */
export class AdamW extends AdamBase {
  constructor(params: ParamsInput<AdamHyperparameters>, options: AdamOptions = {}) {
    super('AdamW', params, options, 0.01, true);
  }
}
