import {
  adamwUpdate,
  add,
  div,
  maximum,
  mul,
  sqrt,
  type Tensor,
  zerosLike,
} from '@openeurollm/tensor';
import { checkBoolean, checkKnownOptions, checkNumber } from './check.js';
import { assignInPlace, ownsDenseStorage } from './in-place.js';
import { type BaseHyperparameters, Optimizer, type ParamState } from './optimizer.js';
import type { ParamGroup, ParamsInput } from './params.js';
import { Scratch } from './scratch.js';

export interface AdamHyperparameters extends BaseHyperparameters {
  /** Decay rates of the first and second moment averages, each in [0, 1). */
  betas: [number, number];
  /** Added to the denominator for stability; > 0. */
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay, p *= 1 - lr * weightDecay. */
  weightDecay: number;
  /** Divide by the running maximum of the second moment (AMSGrad). */
  amsgrad: boolean;
}

export interface AdamOptions extends Partial<AdamHyperparameters> {
  /**
   * Whether to use the backend's fused AdamW kernel (`adamwUpdate` of @openeurollm/tensor: one
   * multi-threaded pass in C++ on the native backend) instead of PyTorch's op-by-op order.
   * It applies only when the backend has the kernel, the parameter owns dense storage and
   * amsgrad is off.
   *
   * - `'auto'` (default) and `true`: use it where it applies. The kernel follows PyTorch's
   *   single-tensor order of operations with its scalars (`1 - beta`, the step size) formed in
   *   double, so it agrees with the composed path to float32 rounding.
   * - `false`: never; PyTorch's order of operations, op by op, on any backend.
   */
  fused?: boolean | 'auto';
}

const HYPER = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'] as const;

/** @internal Adam and AdamW: one update, two ways of applying weight decay. */
export abstract class AdamBase extends Optimizer<AdamHyperparameters> {
  /** When the fused kernel is used (see `AdamOptions.fused`). */
  readonly fused: boolean | 'auto';

  protected constructor(
    name: string,
    params: ParamsInput<AdamHyperparameters>,
    options: AdamOptions,
    defaultWeightDecay: number,
    /** AdamW (true): p *= 1 - lr * wd. Adam (false): g += wd * p. */
    private readonly decoupled: boolean,
  ) {
    checkKnownOptions(name, options, [...HYPER, 'fused']);
    super(
      name,
      params,
      {
        lr: options.lr ?? 1e-3,
        betas: options.betas ?? [0.9, 0.999],
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? defaultWeightDecay,
        amsgrad: options.amsgrad ?? false,
      },
      HYPER,
    );
    const fused = options.fused ?? 'auto';
    if (fused !== 'auto' && typeof fused !== 'boolean') {
      throw new Error(`${name}: fused must be true, false or 'auto', got ${JSON.stringify(fused)}`);
    }
    this.fused = fused;
  }

  protected override validateHyper(h: AdamHyperparameters, where: string): void {
    super.validateHyper(h, where);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) {
      throw new Error(
        `${where}: betas must be a pair [beta1, beta2], got ${JSON.stringify(h.betas)}`,
      );
    }
    checkNumber(where, 'betas[0]', h.betas[0], { min: 0, below: 1 });
    checkNumber(where, 'betas[1]', h.betas[1], { min: 0, below: 1 });
    checkNumber(where, 'eps', h.eps, { above: 0 });
    checkNumber(where, 'weightDecay', h.weightDecay, { min: 0 });
    checkBoolean(where, 'amsgrad', h.amsgrad);
  }

  protected bufferNames(h: AdamHyperparameters): readonly string[] {
    return h.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }

  private useFused(p: Tensor, h: AdamHyperparameters): boolean {
    if (this.fused === false || h.amsgrad || !p.backend.fused.adamw || !ownsDenseStorage(p)) {
      return false;
    }
    return true;
  }

  protected updateParam(
    p: Tensor,
    g: Tensor,
    st: ParamState,
    h: ParamGroup<AdamHyperparameters>,
  ): void {
    const { lr, eps, weightDecay: wd, amsgrad } = h;
    const [beta1, beta2] = h.betas;
    const b = st.buffers;
    b.exp_avg ??= zerosLike(p);
    b.exp_avg_sq ??= zerosLike(p);
    if (amsgrad) b.max_exp_avg_sq ??= zerosLike(p);
    const s = new Scratch();
    // Adam's L2 penalty is part of the gradient
    if (wd !== 0 && !this.decoupled) g = s.t(add(g, s.t(mul(p, wd))));

    if (this.useFused(p, h)) {
      adamwUpdate(p, g, b.exp_avg, b.exp_avg_sq, {
        lr,
        beta1,
        beta2,
        eps,
        weightDecay: this.decoupled ? wd : 0,
        step: st.step,
      });
      s.release();
      return;
    }

    // PyTorch's single-tensor order of operations (torch.optim.adam._single_tensor_adam)
    const base = wd !== 0 && this.decoupled ? s.t(mul(p, 1 - lr * wd)) : p;
    const m = add(s.t(mul(b.exp_avg, beta1)), s.t(mul(g, 1 - beta1)));
    const v = add(s.t(mul(b.exp_avg_sq, beta2)), s.t(mul(s.t(mul(g, 1 - beta2)), g)));
    replace(b, 'exp_avg', m);
    replace(b, 'exp_avg_sq', v);
    let second = v;
    if (amsgrad) {
      second = maximum(b.max_exp_avg_sq, v);
      replace(b, 'max_exp_avg_sq', second);
    }
    const biasCorrection1 = 1 - beta1 ** st.step;
    const biasCorrection2 = 1 - beta2 ** st.step;
    const stepSize = lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
    const denom = s.t(add(s.t(div(s.t(sqrt(second)), biasCorrection2Sqrt)), eps));
    // param.addcdiv_(exp_avg, denom, value=-step_size): p + (-step_size * m) / denom
    const next = s.t(add(base, s.t(div(s.t(mul(m, -stepSize)), denom))));
    assignInPlace(p, next, `${this.name}.step`);
    s.release();
  }
}

function replace(buffers: Record<string, Tensor>, name: string, value: Tensor): void {
  buffers[name].dispose();
  buffers[name] = value;
}
