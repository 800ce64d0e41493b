import type { Tensor } from '@openeurollm/tensor';

/**
 * Writes the values of `src` into the storage of `dst`, keeping `dst` the same object (and
 * every view of its storage, such as a tied weight, in step): PyTorch's `param.copy_(src)`.
 *
 * The tensor package has no public in-place op yet, so this uses the same two calls its own
 * `adamwUpdate` uses: the backend's strided `copyInto` and the tensor's (internal) view.
 * Only optimizers call this, on parameters and on their own state, never on gradients (a
 * gradient's storage may be shared with another parameter's gradient).
 */
export function assignInPlace(dst: Tensor, src: Tensor, op: string): void {
  if (src.backend !== dst.backend) {
    throw new Error(
      `${op}: cannot write a '${src.backend.name}' tensor into a '${dst.backend.name}' parameter`,
    );
  }
  dst.backend.copyInto(src._view(op), dst._view(op));
}

/** Whether `t` owns its whole storage row-major from offset 0 (what fused kernels need). */
export function ownsDenseStorage(t: Tensor): boolean {
  return t._isDense();
}
