import { broadcastShapes, isContiguous, numel, shapesEqual, shapeToString } from '../shape.js';
import { fromBuffer, record, sameBackend, Tensor } from '../tensor.js';
import { expand, reshape, squeeze, transpose, unsqueeze } from './movement.js';
import { sumTo } from './reduce.js';

/** How one operand reaches the GEMM primitive: a dense buffer, maybe stored transposed. */
interface Operand {
  buf: unknown;
  trans: boolean;
  batchStride: number;
  temp: boolean;
}

/**
 * Prepares x (shape [...batch, r, c]) for the primitive: no copy when it is row-major, or a
 * transposed row-major view (then `trans`), with its batch dims either full or all 1.
 */
function prepare(x: Tensor, batchShape: readonly number[]): Operand {
  const r = x.shape[x.ndim - 2];
  const c = x.shape[x.ndim - 1];
  const xb = x.shape.slice(0, -2);
  const batchOnes = xb.every((d) => d === 1);
  const full = shapesEqual(
    [...new Array(batchShape.length - xb.length).fill(1), ...xb],
    batchShape,
  );
  let src = x;
  if (!batchOnes && !full) src = expand(x, [...batchShape, r, c]);
  const storage = src.storage('matmul');
  const batchStride = batchOnes ? 0 : r * c;
  const own = (t: Tensor) => t._offset === 0 && storage.size === t.size;
  if (own(src) && isContiguous(src.shape, src._strides)) {
    return { buf: storage.buf, trans: false, batchStride, temp: false };
  }
  // a transposed view of a row-major buffer: strides [..., 1, r]
  const sw = src.shape.slice();
  sw[sw.length - 2] = c;
  sw[sw.length - 1] = r;
  const st = src._strides.slice();
  [st[st.length - 2], st[st.length - 1]] = [st[st.length - 1], st[st.length - 2]];
  if (own(src) && isContiguous(sw, st) && (r > 1 || c > 1)) {
    return { buf: storage.buf, trans: true, batchStride, temp: false };
  }
  const b = src.backend;
  const v = src._view('matmul');
  const shape = batchOnes ? [r, c] : src.shape;
  const strides = batchOnes ? src._strides.slice(-2) : src._strides;
  return {
    buf: b.contiguous({ ...v, shape, strides }, src.dtype),
    trans: false,
    batchStride,
    temp: true,
  };
}

/**
 * Matrix product with PyTorch's rules: 1-D operands are promoted to a row / column and the
 * added dimension removed again; leading (batch) dimensions broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor))
    throw new Error('matmul: both operands must be Tensors');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(
      `matmul: both operands need at least one dimension, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`,
    );
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(
      `matmul: expected float32 operands, got ${a.dtype} and ${b.dtype} (use .float())`,
    );
  }
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.shape[0] !== b.shape[0]) {
      throw new Error(
        `matmul: cannot multiply ${shapeToString(a.shape)} by ${shapeToString(b.shape)}`,
      );
    }
    return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), []); // dot product
  }
  if (a.ndim === 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.ndim === 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  const m = a.shape[a.ndim - 2];
  const k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2];
  const n = b.shape[b.ndim - 1];
  if (k !== k2)
    throw new Error(
      `matmul: cannot multiply ${shapeToString(a.shape)} by ${shapeToString(b.shape)}`,
    );
  const backend = sameBackend('matmul', [a, b]);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new Error(
      `matmul: cannot multiply ${shapeToString(a.shape)} by ${shapeToString(b.shape)} (batch dimensions do not broadcast)`,
    );
  }

  // [..., m, k] @ [k, n]: fold a's batch into its rows when a is row-major
  if (b.ndim === 2 && a.ndim > 2 && a.isContiguous()) {
    const flat = reshape(a, [-1, k]);
    return reshape(matmul(flat, b), [...a.shape.slice(0, -1), n]);
  }

  const batch = numel(batchShape);
  const pa = prepare(a, batchShape);
  const pb = prepare(b, batchShape);
  const out = backend.matmul(pa.buf, pb.buf, {
    batch,
    m,
    n,
    k,
    transA: pa.trans,
    transB: pb.trans,
    aBatchStride: pa.batchStride,
    bBatchStride: pb.batchStride,
  });
  if (pa.temp) backend.dispose(pa.buf);
  if (pb.temp) backend.dispose(pb.buf);
  const shape = [...batchShape, m, n];
  const y = fromBuffer(backend, out, shape, 'float32');
  return record(y, 'matmul', [a, b], (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) ga = sumTo(matmul(g, transpose(b, -1, -2)), a.shape);
    if (b.requiresGrad) {
      if (b.ndim === 2 && a.ndim > 2) {
        // weight gradient of a batched input: one GEMM over all rows instead of a batch + sum
        gb = matmul(transpose(reshape(a, [-1, k]), 0, 1), reshape(g, [-1, n]));
      } else gb = sumTo(matmul(transpose(a, -1, -2), g), b.shape);
    }
    return [ga, gb];
  });
}
