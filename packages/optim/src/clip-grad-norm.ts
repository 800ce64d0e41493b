import { abs, max, mul, noGrad, pow, sum, type Tensor } from '@openeurollm/tensor';
import { checkBoolean, checkKnownOptions, checkNumber } from './check.js';
import { readGroups, readParamSource } from './params.js';

export interface ClipGradNormOptions {
  /** The p of the p-norm: a number > 0, or `Infinity` for the largest absolute value. Default 2. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (default false: scale anyway, as PyTorch). */
  errorIfNonfinite?: boolean;
}

/** Tensors from any accepted parameter form: a list, named pairs, a module, or groups. */
export type GradSource = Iterable<Tensor> | Iterable<readonly [string, Tensor]> | object;

/**
 * Scales gradients in place so that their total norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`, and returns the total norm before clipping (a number).
 *
 * The total norm is the p-norm of all gradients taken together (parameters without a gradient
 * do not count). Gradients are multiplied by `maxNorm / (total + 1e-6)` when that is below 1.
 * Each parameter gets a new `.grad` tensor (gradients are never written in place, as their
 * storage may be shared).
 */
export function clipGradNorm(
  params: GradSource,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): number {
  const where = 'clipGradNorm';
  checkKnownOptions(where, options, ['normType', 'errorIfNonfinite']);
  checkNumber(where, 'maxNorm', maxNorm, { min: 0 });
  const normType = options.normType ?? 2;
  if (normType !== Infinity) checkNumber(where, 'normType', normType, { above: 0 });
  const errorIfNonfinite = checkBoolean(
    where,
    'errorIfNonfinite',
    options.errorIfNonfinite ?? false,
  );
  const tensors = readGroups(params, where).flatMap((g) =>
    readParamSource(g.source, `${where}: params`).map((n) => n.tensor),
  );
  const withGrad = tensors.filter((p) => p.grad !== null);
  if (withGrad.length === 0) return 0;

  const total = noGrad(() => {
    let acc = 0;
    for (const p of withGrad) {
      const g = p.grad as Tensor;
      // per tensor on its backend in float32, across tensors in double
      if (normType === Infinity) acc = Math.max(acc, max(abs(g)).item());
      else if (normType === 2) acc += sum(mul(g, g)).item();
      else if (normType === 1) acc += sum(abs(g)).item();
      else acc += sum(pow(abs(g), normType)).item();
    }
    if (normType === 2) return Math.sqrt(acc);
    return normType === Infinity || normType === 1 ? acc : acc ** (1 / normType);
  });
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(
      `clipGradNorm: the total norm of order ${normType} of the gradients is ${total}; pass errorIfNonfinite: false to scale anyway`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  // !(coef >= 1) also scales by NaN when the norm is NaN, as PyTorch does
  if (!(coef >= 1)) {
    noGrad(() => {
      for (const p of withGrad) {
        const old = p.grad as Tensor;
        p.grad = mul(old, coef);
        old.dispose();
      }
    });
  }
  return total;
}
