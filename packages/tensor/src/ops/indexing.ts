import { normalizeAxis, shapeToString } from '../shape.js';
import { fromBuffer, record, sameBackend, Tensor } from '../tensor.js';
import { reshape } from './movement.js';

function checkIndex(op: string, index: unknown): asserts index is Tensor {
  if (!(index instanceof Tensor))
    throw new Error(`${op}: index must be a Tensor of int32, got ${typeof index}`);
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${index.dtype}`);
}

function dims3(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

/** Frees a temporary dense copy made for a primitive call. */
function dense(t: Tensor, op: string): { buf: unknown; free(): void } {
  const buf = t._denseBuf(op);
  return {
    buf,
    free: () => {
      if (buf !== t._storage?.buf) t.backend.dispose(buf);
    },
  };
}

/**
 * torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for axis 1 (likewise for others).
 * `index` has x's rank and no dimension larger than x's outside `axis`; out has its shape.
 * Every index is range-checked. The gradient scatters back with a scatter-add.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new Error('gather: input must be a Tensor');
  checkIndex('gather', index);
  const backend = sameBackend('gather', [x, index]);
  const a = normalizeAxis('gather', axis, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== a && d > x.shape[i])) {
    throw new Error(
      `gather: index of shape ${shapeToString(index.shape)} does not fit input of shape ${shapeToString(x.shape)} along axis ${a}`,
    );
  }
  const xs = dense(x, 'gather');
  const is = dense(index, 'gather');
  let out: unknown;
  try {
    out = backend.gather(xs.buf, x.dtype, x.shape, a, is.buf, index.shape);
  } finally {
    xs.free();
    is.free();
  }
  const y = fromBuffer(backend, out, index.shape, x.dtype);
  return record(y, 'gather', [x], (g) => {
    const gs = dense(g, 'gather');
    const ib = index._denseBuf('gather');
    try {
      return [
        fromBuffer(
          backend,
          backend.scatterAdd(gs.buf, ib, index.shape, a, x.shape),
          x.shape,
          'float32',
        ),
      ];
    } finally {
      gs.free();
      if (ib !== index._storage?.buf) backend.dispose(ib);
    }
  });
}

/** Picks slices of x along `axis` at the positions of a 1-D int32 index (torch.index_select). */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new Error('indexSelect: input must be a Tensor');
  checkIndex('indexSelect', index);
  if (index.ndim !== 1)
    throw new Error(`indexSelect: index must be 1-D, got shape ${shapeToString(index.shape)}`);
  const backend = sameBackend('indexSelect', [x, index]);
  const a = normalizeAxis('indexSelect', axis, x.ndim);
  const d = dims3(x.shape, a);
  const count = index.size;
  const xs = dense(x, 'indexSelect');
  const is = dense(index, 'indexSelect');
  let out: unknown;
  try {
    out = backend.indexSelect(xs.buf, x.dtype, d, is.buf, count);
  } finally {
    xs.free();
    is.free();
  }
  const shape = x.shape.slice();
  shape[a] = count;
  const y = fromBuffer(backend, out, shape, x.dtype);
  return record(y, 'indexSelect', [x], (g) => {
    const gs = dense(g, 'indexSelect');
    const ib = index._denseBuf('indexSelect');
    try {
      const buf = backend.indexAdd(gs.buf, [d[0], count, d[2]], ib, count, d[1]);
      return [fromBuffer(backend, buf, x.shape, 'float32')];
    } finally {
      gs.free();
      if (ib !== index._storage?.buf) backend.dispose(ib);
    }
  });
}

/**
 * Embedding lookup: rows of `weight` ([vocab, dim]) at int32 `ids` of any shape; the result
 * has shape [...ids.shape, dim]. The gradient adds each row's gradient into its vocabulary row.
 */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  checkIndex('embedding', ids);
  if (!(weight instanceof Tensor) || weight.ndim !== 2) {
    throw new Error(
      `embedding: weight must be a 2-D Tensor [vocab, dim], got ${weight instanceof Tensor ? shapeToString(weight.shape) : typeof weight}`,
    );
  }
  const rows = indexSelect(weight, 0, reshape(ids, [ids.size]));
  return reshape(rows, [...ids.shape, weight.shape[1]]);
}
