import { backendByName } from '../backend.js';
import { promote } from '../dtype.js';
import {
  contiguousStrides,
  normalizeAxes,
  normalizeAxis,
  numel,
  shapesEqual,
  shapeToString,
} from '../shape.js';
import { alias, fromBuffer, fromHost, record, sameBackend, Tensor } from '../tensor.js';
import { castRaw, where } from './elementwise.js';
import { sumTo } from './reduce.js';

function checkTensor(op: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new Error(`${op}: expected a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** @internal A view of x's storage with another shape, strides and offset (not recorded). */
function viewOf(
  x: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Tensor {
  return new Tensor(x.storage('view').retain(), shape, strides, offset);
}

/** Resolves one -1 in a target shape against a number of elements. */
function inferShape(op: string, from: readonly number[], shape: readonly number[]): number[] {
  const n = numel(from);
  let unknown = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (unknown >= 0)
        throw new Error(`${op}: only one dimension can be -1, got ${shapeToString(shape)}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: invalid dimension ${d} in ${shapeToString(shape)}`);
    } else known *= d;
  });
  const out = shape.slice();
  if (unknown >= 0) {
    if (known === 0 || n % known !== 0) {
      throw new Error(
        `${op}: cannot reshape ${shapeToString(from)} (${n} elements) into ${shapeToString(shape)}`,
      );
    }
    out[unknown] = n / known;
  } else if (known !== n) {
    throw new Error(
      `${op}: cannot reshape ${shapeToString(from)} (${n} elements) into ${shapeToString(shape)}`,
    );
  }
  return out;
}

/** Same elements, another shape (one dimension may be -1). A view when the layout allows. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', x);
  const target = inferShape('reshape', x.shape, shape);
  if (shapesEqual(target, x.shape)) return alias(x, 'reshape');
  const base = x.isContiguous() ? x : contiguous(x);
  const y = viewOf(base, target, contiguousStrides(target), base._offset);
  return record(y, 'reshape', [base], (g) => [reshape(g, base.shape)]);
}

/** Like reshape, but only as a view: throws on a non-contiguous tensor (as PyTorch). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('view', x);
  if (!x.isContiguous()) {
    throw new Error(
      `view: tensor of shape ${shapeToString(x.shape)} is not contiguous; use reshape() or contiguous() first`,
    );
  }
  return reshape(x, inferShape('view', x.shape, shape));
}

export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startAxis, x.ndim);
  const e = normalizeAxis('flatten', endAxis, x.ndim);
  if (s > e) throw new Error(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Reorders dimensions (a view). */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  checkTensor('permute', x);
  if (axes.length !== x.ndim) {
    throw new Error(
      `permute: got ${axes.length} axes [${axes.join(',')}] for a tensor of rank ${x.ndim}`,
    );
  }
  const perm = axes.map((a) => normalizeAxis('permute', a, x.ndim));
  if (new Set(perm).size !== perm.length)
    throw new Error(`permute: repeated axis in [${axes.join(',')}]`);
  if (perm.every((p, i) => p === i)) return alias(x, 'permute');
  const y = viewOf(
    x,
    perm.map((p) => x.shape[p]),
    perm.map((p) => x._strides[p]),
    x._offset,
  );
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return record(y, 'permute', [x], (g) => [permute(g, inverse)]);
}

/** Swaps two dimensions (a view). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  checkTensor('transpose', x);
  if (x.ndim < 2 && axis0 === -2 && axis1 === -1) return alias(x, 'transpose');
  const a = normalizeAxis('transpose', axis0, x.ndim);
  const b = normalizeAxis('transpose', axis1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Removes size-1 dimensions (all of them, or those named). */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  checkTensor('squeeze', x);
  const axes =
    axis === undefined
      ? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
      : normalizeAxes('squeeze', axis, x.ndim).filter((a) => x.shape[a] === 1);
  if (axes.length === 0) return alias(x, 'squeeze');
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
}

/** Inserts a size-1 dimension at `axis` (which may be -1 for "last"). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  checkTensor('unsqueeze', x);
  const a = normalizeAxis('unsqueeze', axis, x.ndim + 1);
  const shape = x.shape.slice();
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/** Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a dimension). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', x);
  if (shape.length < x.ndim) {
    throw new Error(
      `expand: cannot expand ${shapeToString(x.shape)} to fewer dimensions ${shapeToString(shape)}`,
    );
  }
  const lead = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  const strides = new Array<number>(target.length).fill(0);
  for (let i = 0; i < target.length; i++) {
    const d = target[i];
    if (!Number.isInteger(d) || d < 0)
      throw new Error(`expand: invalid dimension ${shape[i]} in ${shapeToString(shape)}`);
    if (i < lead) continue;
    const src = x.shape[i - lead];
    if (src === d) strides[i] = x._strides[i - lead];
    else if (src !== 1) {
      throw new Error(
        `expand: cannot expand ${shapeToString(x.shape)} to ${shapeToString(shape)} (dimension ${i}: ${src} is not 1)`,
      );
    }
  }
  if (shapesEqual(target, x.shape)) return alias(x, 'expand');
  const y = viewOf(x, target, strides, x._offset);
  return record(y, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

/** Elements start, start + step, ... before end along `axis` (Python slice rules; a view). */
export function slice(x: Tensor, axis: number, start?: number, end?: number, step = 1): Tensor {
  checkTensor('slice', x);
  const a = normalizeAxis('slice', axis, x.ndim);
  if (!Number.isInteger(step) || step <= 0)
    throw new Error(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[a];
  const clampIndex = (i: number) => {
    if (!Number.isInteger(i)) throw new Error(`slice: indices must be integers, got ${i}`);
    const v = i < 0 ? i + size : i;
    return Math.min(Math.max(v, 0), size);
  };
  const s = start === undefined ? 0 : clampIndex(start);
  const e = end === undefined ? size : clampIndex(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  if (s === 0 && len === size && step === 1) return alias(x, 'slice');
  const shape = x.shape.slice();
  shape[a] = len;
  const strides = x._strides.slice();
  strides[a] *= step;
  const y = viewOf(x, shape, strides, x._offset + s * x._strides[a]);
  return record(y, 'slice', [x], (g) => {
    const b = g.backend;
    const out = b.zeros(x.size, 'float32');
    const ostrides = contiguousStrides(x.shape);
    const dstStrides = ostrides.slice();
    dstStrides[a] *= step;
    b.copyInto(g._view('slice'), {
      buf: out,
      dtype: 'float32',
      shape,
      strides: dstStrides,
      offset: s * ostrides[a],
    });
    return [fromBuffer(b, out, x.shape, 'float32')];
  });
}

/** `length` elements from `start` along `axis` (a view). */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis('narrow', axis, x.ndim);
  const s = start < 0 ? start + x.shape[a] : start;
  if (!Number.isInteger(length) || length < 0 || s < 0 || s + length > x.shape[a]) {
    throw new Error(
      `narrow: [${start}, ${start}+${length}) is out of range for dimension ${axis} of size ${x.shape[a]}`,
    );
  }
  return slice(x, a, s, s + length);
}

/** Splits into pieces of `size` (the last may be smaller) or of the given sizes. */
export function split(x: Tensor, sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  checkTensor('split', x);
  const a = normalizeAxis('split', axis, x.ndim);
  const dim = x.shape[a];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) {
      throw new Error(`split: size must be a positive integer, got ${sizeOrSections}`);
    }
    sizes = [];
    for (let i = 0; i < dim; i += sizeOrSections) sizes.push(Math.min(sizeOrSections, dim - i));
  } else {
    sizes = sizeOrSections.slice();
    const total = sizes.reduce((s, v) => s + v, 0);
    if (total !== dim || sizes.some((v) => !Number.isInteger(v) || v < 0)) {
      throw new Error(
        `split: sizes [${sizes.join(',')}] do not add up to dimension ${axis} of size ${dim}`,
      );
    }
  }
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(slice(x, a, at, at + s));
    at += s;
  }
  return out;
}

/** Splits into `chunks` nearly equal pieces (as torch.chunk). */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  const a = normalizeAxis('chunk', axis, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[a] / chunks)), a);
}

/** The tensor itself when its layout is row-major, else a row-major copy. */
export function contiguous(x: Tensor): Tensor {
  checkTensor('contiguous', x);
  if (x.isContiguous()) return alias(x, 'contiguous');
  return clone(x);
}

/** A row-major copy with its own storage; gradients pass straight through. */
export function clone(x: Tensor): Tensor {
  checkTensor('clone', x);
  const b = x.backend;
  const y = fromBuffer(b, b.contiguous(x._view('clone'), x.dtype), x.shape, x.dtype);
  return record(y, 'clone', [x], (g) => [g]);
}

/** Joins tensors along an existing axis (dtypes promote; all on one backend). */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0)
    throw new Error('cat: expected a non-empty array of tensors');
  for (const t of tensors) checkTensor('cat', t);
  const first = tensors[0];
  const backend = sameBackend('cat', tensors);
  const a = normalizeAxis('cat', axis, first.ndim);
  let total = 0;
  let dtype = first.dtype;
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new Error(
        `cat: tensor ${i} has shape ${shapeToString(t.shape)}, which does not match ${shapeToString(first.shape)} outside dimension ${a}`,
      );
    }
    total += t.shape[a];
    dtype = promote(dtype, t.dtype);
  });
  const shape = first.shape.slice();
  shape[a] = total;
  const out = backend.zeros(numel(shape), dtype);
  const strides = contiguousStrides(shape);
  let at = 0;
  for (const t of tensors) {
    const src = castRaw(t, dtype);
    const part = t.shape.slice();
    backend.copyInto(src._view('cat'), {
      buf: out,
      dtype,
      shape: part,
      strides,
      offset: at * strides[a],
    });
    at += t.shape[a];
  }
  const y = fromBuffer(backend, out, shape, dtype);
  return record(y, 'cat', tensors, (g) => {
    let pos = 0;
    return tensors.map((t) => {
      const piece = slice(g, a, pos, pos + t.shape[a]);
      pos += t.shape[a];
      return t.requiresGrad ? piece : null;
    });
  });
}

/** Joins equally shaped tensors along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0)
    throw new Error('stack: expected a non-empty array of tensors');
  for (const t of tensors) checkTensor('stack', t);
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new Error(
        `stack: tensor ${i} has shape ${shapeToString(t.shape)}, expected ${shapeToString(first.shape)}`,
      );
    }
  });
  const a = normalizeAxis('stack', axis, first.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

function triangle(op: 'triu' | 'tril', x: Tensor, diagonal: number): Tensor {
  checkTensor(op, x);
  if (x.ndim < 2)
    throw new Error(`${op}: expected a tensor of rank >= 2, got shape ${shapeToString(x.shape)}`);
  if (!Number.isInteger(diagonal))
    throw new Error(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  const mask = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const keep = op === 'triu' ? j - i >= diagonal : j - i <= diagonal;
      mask[i * cols + j] = keep ? 1 : 0;
    }
  }
  return where(fromHost(x.backend, mask, [rows, cols]), x, 0);
}

/** Keeps elements on and above the `diagonal`-th diagonal of the last two dims, zeroes the rest. */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle('triu', x, diagonal);
/** Keeps elements on and below the `diagonal`-th diagonal of the last two dims, zeroes the rest. */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle('tril', x, diagonal);

/** @internal Copies a tensor to another backend through the host. */
export function toBackend(x: Tensor, name: string): Tensor {
  checkTensor('to', x);
  const target = backendByName(name);
  if (target === x.backend) return alias(x, 'to');
  const y = fromHost(target, x.data(), x.shape);
  const from = x.backend.name;
  return record(y, 'to', [x], (g) => [toBackend(g, from)]);
}
