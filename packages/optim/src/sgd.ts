import { add, clone, mul, type Tensor } from '@openeurollm/tensor';
import { checkBoolean, checkKnownOptions, checkNumber } from './check.js';
import { assignInPlace } from './in-place.js';
import { type BaseHyperparameters, Optimizer, type ParamState } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './params.js';
import { Scratch } from './scratch.js';

export interface SGDHyperparameters extends BaseHyperparameters {
  /** Momentum factor; 0 (default) for plain SGD. */
  momentum: number;
  /** Dampening of the momentum: the new gradient enters with weight `1 - dampening`. */
  dampening: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** L2 penalty added to the gradient (`g + weightDecay * p`), as PyTorch's SGD. */
  weightDecay: number;
}

export type SGDOptions = Partial<SGDHyperparameters>;

const HYPER = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay'] as const;

/**
 * Stochastic gradient descent with optional momentum, as `torch.optim.SGD`:
 *
 *     d = g + weightDecay * p
 *     buf = d (first step), else buf = momentum * buf + (1 - dampening) * d
 *     d = nesterov ? d + momentum * buf : buf          (when momentum != 0)
 *     p = p - lr * d
 */
export class SGD extends Optimizer<SGDHyperparameters> {
  constructor(params: ParamsInput<SGDHyperparameters>, options: SGDOptions = {}) {
    checkKnownOptions('SGD', options, HYPER);
    super(
      'SGD',
      params,
      {
        lr: options.lr ?? 1e-3,
        momentum: options.momentum ?? 0,
        dampening: options.dampening ?? 0,
        nesterov: options.nesterov ?? false,
        weightDecay: options.weightDecay ?? 0,
      },
      HYPER,
    );
  }

  protected override validateHyper(h: SGDHyperparameters, where: string): void {
    super.validateHyper(h, where);
    checkNumber(where, 'momentum', h.momentum, { min: 0 });
    checkNumber(where, 'dampening', h.dampening, {});
    checkBoolean(where, 'nesterov', h.nesterov);
    checkNumber(where, 'weightDecay', h.weightDecay, { min: 0 });
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new Error(
        `${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`,
      );
    }
  }

  protected bufferNames(h: SGDHyperparameters): readonly string[] {
    return h.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected updateParam(
    p: Tensor,
    g: Tensor,
    st: ParamState,
    h: ParamGroup<SGDHyperparameters>,
  ): void {
    const s = new Scratch();
    let d = h.weightDecay !== 0 ? s.t(add(g, s.t(mul(p, h.weightDecay)))) : g;
    const keep: Tensor[] = [];
    if (h.momentum !== 0) {
      const old = st.buffers.momentum_buffer;
      const buf = old
        ? s.t(add(s.t(mul(old, h.momentum)), s.t(mul(d, 1 - h.dampening))))
        : s.t(clone(d));
      old?.dispose();
      st.buffers.momentum_buffer = buf;
      keep.push(buf);
      d = h.nesterov ? s.t(add(d, s.t(mul(buf, h.momentum)))) : buf;
    }
    assignInPlace(p, s.t(add(p, s.t(mul(d, -h.lr)))), 'SGD.step');
    s.release(...keep);
  }
}
