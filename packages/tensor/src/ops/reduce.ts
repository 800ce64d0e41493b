import type { Dims3, ReduceOp } from '../backend.js';
import {
  normalizeAxes,
  normalizeAxis,
  numel,
  type Shape,
  shapesEqual,
  shapeToString,
} from '../shape.js';
import { alias, fromBuffer, noGrad, record, type Tensor } from '../tensor.js';
import {
  abs,
  add,
  castRaw,
  div,
  eq,
  exp,
  log,
  maximum,
  mul,
  ne,
  sub,
  where,
} from './elementwise.js';
import { expand, reshape } from './movement.js';

function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function droppedShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

/** @internal Reduces `axes` of x with a backend primitive, no recording. */
export function reduceRaw(
  op: ReduceOp,
  x: Tensor,
  axes: readonly number[],
  keepdim: boolean,
): Tensor {
  const backend = x.backend;
  const shape = x.shape;
  const outShape = keepdim ? keptShape(shape, axes) : droppedShape(shape, axes);
  let dims: Dims3;
  let buf: unknown;
  let temp = false;
  const run = axes.length > 0 && axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (run || axes.length === 0) {
    const a0 = axes.length ? axes[0] : shape.length;
    const a1 = axes.length ? axes[axes.length - 1] : shape.length - 1;
    dims = [numel(shape.slice(0, a0)), numel(shape.slice(a0, a1 + 1)), numel(shape.slice(a1 + 1))];
    buf = x._denseBuf(op);
    temp = buf !== x._storage?.buf;
  } else {
    // move the reduced axes last, then reduce [kept, reduced, 1]
    const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const perm = [...kept, ...axes];
    const v = x._view(op);
    buf = backend.contiguous(
      { ...v, shape: perm.map((p) => shape[p]), strides: perm.map((p) => v.strides[p]) },
      x.dtype,
    );
    temp = true;
    dims = [numel(kept.map((k) => shape[k])), numel(axes.map((a) => shape[a])), 1];
  }
  if (dims[1] === 0 && op !== 'sum') {
    throw new Error(`${op}: cannot reduce over an empty dimension (shape ${shapeToString(shape)})`);
  }
  const out = backend.reduce(op, buf, x.dtype, dims);
  if (temp) backend.dispose(buf);
  return fromBuffer(backend, out, outShape, op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype);
}

export type Axes = number | readonly number[] | undefined;

/** Sum over `axis` (all axes when omitted). */
export function sum(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const axes = normalizeAxes('sum', axis, x.ndim);
  if (axes.length === 0) return alias(x, 'sum');
  const y = reduceRaw('sum', x, axes, keepdim);
  return record(y, 'sum', [x], (g) => [expand(reshape(g, keptShape(x.shape, axes)), x.shape)]);
}

/** Mean over `axis` (all axes when omitted); int32 input gives a float32 mean. */
export function mean(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const axes = normalizeAxes('mean', axis, x.ndim);
  const n = numel(axes.map((a) => x.shape[a]));
  const xf = x.dtype === 'float32' ? x : castRaw(x, 'float32');
  return div(sum(xf, axes, keepdim), n);
}

function extremum(op: 'max' | 'min', x: Tensor, axis: Axes, keepdim: boolean): Tensor {
  const axes = normalizeAxes(op, axis, x.ndim);
  if (axes.length === 0) return alias(x, op);
  const y = reduceRaw(op, x, axes, keepdim);
  return record(y, op, [x], (g) => {
    // the gradient goes to the positions holding the extremum, split evenly between ties
    const kept = keptShape(x.shape, axes);
    const yk = reshape(y, kept);
    // positions equal to the result; where the result is NaN, the NaN positions (as PyTorch)
    const hit = castRaw(maximum(eq(x, yk), mul(ne(x, x), ne(yk, yk))), 'float32');
    const count = sum(hit, axes, true);
    return [mul(expand(reshape(g, kept), x.shape), div(hit, count))];
  });
}

/** Maximum over `axis` (all axes when omitted); NaN propagates. */
export const max = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  extremum('max', x, axis, keepdim);
/** Minimum over `axis` (all axes when omitted); NaN propagates. */
export const min = (x: Tensor, axis?: Axes, keepdim = false): Tensor =>
  extremum('min', x, axis, keepdim);

function argExtremum(
  op: 'argmax' | 'argmin',
  x: Tensor,
  axis: number | undefined,
  keepdim: boolean,
): Tensor {
  if (axis === undefined) {
    const flat = reshape(x, [x.size]);
    const y = reduceRaw(op, flat, [0], false);
    return keepdim
      ? reshape(
          y,
          x.shape.map(() => 1),
        )
      : y;
  }
  return reduceRaw(op, x, [normalizeAxis(op, axis, x.ndim)], keepdim);
}

/** Index (int32) of the first maximum along `axis`, or of the flattened tensor. */
export const argmax = (x: Tensor, axis?: number, keepdim = false): Tensor =>
  argExtremum('argmax', x, axis, keepdim);
export const argmin = (x: Tensor, axis?: number, keepdim = false): Tensor =>
  argExtremum('argmin', x, axis, keepdim);

export interface VarOptions {
  /** Subtracted from the count in the denominator: 1 (default) is unbiased, 0 the population variance. */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over `axis` (all axes when omitted), `sum((x - mean)^2) / (n - correction)`. */
export function variance(x: Tensor, axis?: Axes, options: VarOptions = {}): Tensor {
  const { correction = 1, keepdim = false } = options;
  const axes = normalizeAxes('var', axis, x.ndim);
  const n = numel(axes.map((a) => x.shape[a]));
  const mu = mean(x, axes, true);
  const d = sub(x, mu);
  return div(sum(mul(d, d), axes, keepdim), Math.max(0, n - correction));
}

/** log(sum(exp(x))) over `axis`, computed stably. */
export function logsumexp(x: Tensor, axis: Axes, keepdim = false): Tensor {
  const axes = normalizeAxes('logsumexp', axis, x.ndim);
  // the shift carries no gradient: d/dx of the result does not depend on it
  const m = noGrad(() => {
    const mx = reduceRaw('max', x, axes, true);
    // an infinite maximum shifts by 0, so +inf gives +inf (not inf - inf = NaN)
    return where(eq(abs(mx), Number.POSITIVE_INFINITY), 0, mx);
  });
  const s = log(sum(exp(sub(x, m)), axes, true));
  const y = add(s, m);
  return keepdim ? y : reshape(y, droppedShape(x.shape, axes));
}

/** Sums a broadcast gradient back to `shape` (leading dims and stretched size-1 dims). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0)
    throw new Error(`sumTo: cannot sum ${shapeToString(g.shape)} to ${shapeToString(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  const s = axes.length ? sum(g, axes, true) : g;
  return reshape(s, shape);
}
