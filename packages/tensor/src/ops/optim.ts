import type { AdamWStep } from '../backend.js';
import { fusedKernel } from '../backend.js';
import { shapesEqual, shapeToString } from '../shape.js';
import { noGrad, type Tensor } from '../tensor.js';
import { add, div, mul, sqrt, sub } from './elementwise.js';

function checkState(name: string, t: Tensor, param: Tensor): void {
  if (t.dtype !== 'float32' || !shapesEqual(t.shape, param.shape)) {
    throw new Error(
      `adamwUpdate: ${name} must be float32 of shape ${shapeToString(param.shape)}, got ${t.dtype} ${shapeToString(t.shape)}`,
    );
  }
  if (t.backend !== param.backend)
    throw new Error(`adamwUpdate: ${name} is on another backend than the parameter`);
  if (name !== 'grad' && !t._isDense()) {
    throw new Error(`adamwUpdate: ${name} must own dense storage (not a view); use clone()`);
  }
}

/** Writes `value` into the storage of dense tensor `t` (an in-place update). */
function assign(t: Tensor, value: Tensor): void {
  const b = t.backend;
  b.copyInto(value._view('adamwUpdate'), t._view('adamwUpdate'));
}

/**
 * One AdamW step, in place on `param`, `m` and `v`, in the order of PyTorch's single-tensor
 * AdamW: param *= 1 - lr * weightDecay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * param -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * Uses the backend's fused kernel when it has one, tensor ops otherwise.
 */
export function adamwUpdate(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  hyper: AdamWStep,
): void {
  if (param.dtype !== 'float32' || !param._isDense()) {
    throw new Error('adamwUpdate: param must be a float32 tensor that owns dense storage');
  }
  checkState('grad', grad, param);
  checkState('m', m, param);
  checkState('v', v, param);
  const { lr, beta1, beta2, eps, weightDecay, step } = hyper;
  if (!(step >= 1) || !Number.isInteger(step))
    throw new Error(`adamwUpdate: step must be an integer >= 1, got ${step}`);
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
    throw new Error(`adamwUpdate: betas must be in [0, 1), got ${beta1}, ${beta2}`);
  }
  const b = param.backend;
  const k = fusedKernel(b, 'adamw');
  if (k) {
    const gb = grad._denseBuf('adamwUpdate');
    k(
      param.storage('adamwUpdate').buf,
      gb,
      m.storage('adamwUpdate').buf,
      v.storage('adamwUpdate').buf,
      param.size,
      hyper,
    );
    if (gb !== grad._storage?.buf) b.dispose(gb);
    return;
  }
  noGrad(() => {
    const decayed = mul(param, 1 - lr * weightDecay);
    const m2 = add(mul(m, beta1), mul(grad, 1 - beta1));
    const v2 = add(mul(v, beta2), mul(mul(grad, grad), 1 - beta2));
    const denom = add(div(sqrt(v2), Math.sqrt(1 - beta2 ** step)), eps);
    const p2 = sub(decayed, mul(div(m2, denom), lr / (1 - beta1 ** step)));
    assign(m, m2);
    assign(v, v2);
    assign(param, p2);
  });
}
