import { noGrad, record, Tensor } from '../tensor.js';

export interface CustomOpDefinition {
  /** Shown in errors and as `gradFn`. */
  name: string;
  /** Computes the output; runs without recording, so it may use any tensor ops. */
  forward(...inputs: Tensor[]): Tensor;
  /**
   * Returns one gradient per input (null where none), each with that input's shape, given the
   * gradient of the output. Written with tensor ops.
   */
  backward(grad: Tensor, inputs: readonly Tensor[], output: Tensor): readonly (Tensor | null)[];
}

/**
 * Defines an operation with a hand-written gradient (like `torch.autograd.Function`), e.g. a
 * fused kernel of your own or a straight-through estimator.
 */
export function customOp(def: CustomOpDefinition): (...inputs: Tensor[]) => Tensor {
  if (!def || typeof def.forward !== 'function' || typeof def.backward !== 'function') {
    throw new Error('customOp: definition needs name, forward and backward');
  }
  return (...inputs: Tensor[]) => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${def.name}: input ${i} must be a Tensor`);
    });
    const out = noGrad(() => def.forward(...inputs));
    if (!(out instanceof Tensor)) throw new Error(`${def.name}: forward must return a Tensor`);
    // a fresh handle so the recorded node never lands on a tensor forward returned as-is
    const y = out.isLeaf && !inputs.includes(out) ? out : out.detach();
    return record(y, def.name, inputs, (g) => {
      const grads = def.backward(g, inputs, y);
      if (!Array.isArray(grads) || grads.length !== inputs.length) {
        throw new Error(
          `${def.name}: backward must return ${inputs.length} gradient(s) (null for none)`,
        );
      }
      grads.forEach((gi, i) => {
        if (gi === null || gi === undefined) {
          if (inputs[i].requiresGrad) {
            throw new Error(
              `${def.name}: backward returned no gradient for input ${i}, which requires one`,
            );
          }
          return;
        }
        if (!(gi instanceof Tensor) || gi.dtype !== 'float32') {
          throw new Error(`${def.name}: gradient ${i} must be a float32 Tensor`);
        }
        if (
          gi.shape.length !== inputs[i].shape.length ||
          gi.shape.some((d, j) => d !== inputs[i].shape[j])
        ) {
          throw new Error(
            `${def.name}: gradient ${i} has shape [${gi.shape.join(',')}] but input ${i} has shape [${inputs[i].shape.join(',')}]`,
          );
        }
      });
      return grads;
    });
  };
}
