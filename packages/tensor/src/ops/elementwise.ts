import type { BinaryOp, UnaryOp } from '../backend.js';
import { type DType, promote } from '../dtype.js';
import { broadcastShapes, numel, shapeToString } from '../shape.js';
import { alias, fromBuffer, record, sameBackend, scalarLike, Tensor } from '../tensor.js';
import { sumTo } from './reduce.js';

/** A tensor operand: a Tensor, or a JS number broadcast as a 0-d tensor. */
export type Operand = Tensor | number;

function asTensor(op: string, x: Operand, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number')
    throw new Error(`${op}: expected a Tensor or a number, got ${typeof x}`);
  return scalarLike(x, like);
}

function checkTensor(op: string, x: unknown, name = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new Error(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
}

/** @internal Casts without recording (callers record their own gradient). */
export function castRaw(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const b = x.backend;
  return fromBuffer(b, b.contiguous(x._view('cast'), dtype), x.shape, dtype);
}

/** Casts a tensor to another dtype. Gradients flow back through float -> float only. */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkTensor('cast', x);
  if (dtype !== 'float32' && dtype !== 'int32')
    throw new Error(`cast: unknown dtype '${String(dtype)}'`);
  if (x.dtype === dtype) return alias(x, 'cast');
  return castRaw(x, dtype);
}

// ------------------------------------------------------------------ unary

const FLOAT_ONLY: ReadonlySet<UnaryOp> = new Set<UnaryOp>([
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'tanh',
  'sigmoid',
  'erf',
  'sin',
  'cos',
  'reciprocal',
]);

/** @internal Applies a backend unary primitive, no recording. */
export function unaryRaw(op: UnaryOp, x: Tensor): Tensor {
  const input = FLOAT_ONLY.has(op) ? castRaw(x, 'float32') : x;
  const b = input.backend;
  const buf = input._denseBuf(op);
  const out = b.unary(op, buf, input.size);
  if (buf !== input._storage?.buf) b.dispose(buf);
  return fromBuffer(b, out, input.shape, input.dtype);
}

function unary(op: UnaryOp, x: Tensor, grad: (g: Tensor, x: Tensor, y: Tensor) => Tensor): Tensor {
  checkTensor(op, x);
  const y = unaryRaw(op, x);
  return record(y, op, [x], (g) => [grad(g, x, y)]);
}

export const neg = (x: Tensor): Tensor => unary('neg', x, (g) => neg(g));
export const exp = (x: Tensor): Tensor => unary('exp', x, (g, _x, y) => mul(g, y));
export const log = (x: Tensor): Tensor => unary('log', x, (g, x) => div(g, x));
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, (g, _x, y) => div(mul(g, 0.5), y));
export const rsqrt = (x: Tensor): Tensor =>
  unary('rsqrt', x, (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)));
export const abs = (x: Tensor): Tensor => unary('abs', x, (g, x) => mul(g, sign(x)));
export const sign = (x: Tensor): Tensor => unary('sign', x, () => zerosLikeRaw(x));
export const tanh = (x: Tensor): Tensor =>
  unary('tanh', x, (g, _x, y) => mul(g, sub(1, mul(y, y))));
export const sigmoid = (x: Tensor): Tensor =>
  unary('sigmoid', x, (g, _x, y) => mul(g, mul(y, sub(1, y))));
export const erf = (x: Tensor): Tensor =>
  unary('erf', x, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
export const sin = (x: Tensor): Tensor => unary('sin', x, (g, x) => mul(g, cos(x)));
export const cos = (x: Tensor): Tensor => unary('cos', x, (g, x) => neg(mul(g, sin(x))));
export const reciprocal = (x: Tensor): Tensor =>
  unary('reciprocal', x, (g, _x, y) => neg(mul(g, mul(y, y))));

/** max(x, 0); the gradient is 1 where x > 0 and 0 elsewhere (0 at x = 0, as PyTorch). */
export function relu(x: Tensor): Tensor {
  checkTensor('relu', x);
  const y = binaryRaw('maximum', x, scalarLike(0, x));
  return record(y, 'relu', [x], (g) => [mul(g, gt(x, 0))]);
}

// ------------------------------------------------------------------ binary

const COMPARISONS: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

/** @internal Broadcasting binary primitive without recording. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const backend = sameBackend(op, [a, b]);
  const shape = broadcastShapes(op, a.shape, b.shape);
  // both operands are cast to one compute dtype so a backend never sees mixed inputs
  const compute: DType = op === 'div' ? 'float32' : promote(a.dtype, b.dtype);
  const ca = castRaw(a, compute);
  const cb = castRaw(b, compute);
  const outDtype: DType = COMPARISONS.has(op) ? 'int32' : compute;
  const buf = backend.binary(op, ca._view(op, shape), cb._view(op, shape), shape, outDtype);
  return fromBuffer(backend, buf, shape, outDtype);
}

function binary(
  op: BinaryOp,
  a: Operand,
  b: Operand,
  grad?: (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null],
): Tensor {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    throw new Error(`${op}: at least one operand must be a Tensor`);
  }
  const ta = a instanceof Tensor ? a : asTensor(op, a, b as Tensor);
  const tb = b instanceof Tensor ? b : asTensor(op, b, ta);
  const y = binaryRaw(op, ta, tb);
  if (!grad) return y;
  return record(y, op, [ta, tb], (g) => {
    const [ga, gb] = grad(g, ta, tb, y);
    return [
      ga && ta.requiresGrad ? sumTo(ga, ta.shape) : null,
      gb && tb.requiresGrad ? sumTo(gb, tb.shape) : null,
    ];
  });
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b, (g) => [g, g]);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b, (g) => [g, neg(g)]);
export const mul = (a: Operand, b: Operand): Tensor =>
  binary('mul', a, b, (g, a, b) => [
    a.requiresGrad ? mul(g, b) : null,
    b.requiresGrad ? mul(g, a) : null,
  ]);
export const div = (a: Operand, b: Operand): Tensor =>
  binary('div', a, b, (g, a, b, y) => [
    a.requiresGrad ? div(g, b) : null,
    b.requiresGrad ? neg(div(mul(g, y), b)) : null,
  ]);
export const pow = (a: Operand, b: Operand): Tensor =>
  binary('pow', a, b, (g, a, b, y) => [
    // b a^(b-1), taken as 0 where b = 0 (so 0^0 has gradient 0, as in PyTorch)
    a.requiresGrad ? where(eq(b, 0), 0, mul(g, mul(b, pow(a, sub(b, 1))))) : null,
    // d/db a^b = a^b ln a, taken as 0 where a = 0 (as PyTorch does)
    b.requiresGrad ? where(eq(a, 0), 0, mul(g, mul(y, log(a)))) : null,
  ]);
/** Elementwise maximum; at ties the gradient is split evenly, as in PyTorch. */
export const maximum = (a: Operand, b: Operand): Tensor =>
  binary('maximum', a, b, (g, a, b) => {
    const share = add(gt(a, b), mul(eq(a, b), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  });
export const minimum = (a: Operand, b: Operand): Tensor =>
  binary('minimum', a, b, (g, a, b) => {
    const share = add(lt(a, b), mul(eq(a, b), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  });

/** Comparisons return int32 masks of 0 and 1 and carry no gradient. */
export const eq = (a: Operand, b: Operand): Tensor => binary('eq', a, b);
export const ne = (a: Operand, b: Operand): Tensor => binary('ne', a, b);
export const lt = (a: Operand, b: Operand): Tensor => binary('lt', a, b);
export const le = (a: Operand, b: Operand): Tensor => binary('le', a, b);
export const gt = (a: Operand, b: Operand): Tensor => binary('gt', a, b);
export const ge = (a: Operand, b: Operand): Tensor => binary('ge', a, b);

// ------------------------------------------------------------------ where and friends

/** Picks `a` where `cond` is non-zero and `b` elsewhere, broadcasting all three. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  checkTensor('where', cond, 'cond');
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : cond;
  const ta0 = asTensor('where', a, like);
  const tb0 = asTensor('where', b, ta0);
  const backend = sameBackend('where', [cond, ta0, tb0]);
  const shape = broadcastShapes(
    'where',
    broadcastShapes('where', cond.shape, ta0.shape),
    tb0.shape,
  );
  const dtype = promote(ta0.dtype, tb0.dtype);
  const ta = castRaw(ta0, dtype);
  const tb = castRaw(tb0, dtype);
  const buf = backend.where(
    cond._view('where', shape),
    ta._view('where', shape),
    tb._view('where', shape),
    shape,
    dtype,
  );
  const y = fromBuffer(backend, buf, shape, dtype);
  return record(y, 'where', [ta0, tb0], (g) => [
    ta0.requiresGrad ? sumTo(where(cond, g, 0), ta0.shape) : null,
    tb0.requiresGrad ? sumTo(where(cond, 0, g), tb0.shape) : null,
  ]);
}

/** `x` with `value` written where `mask` is non-zero (mask broadcasts to x). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkTensor('maskedFill', x);
  checkTensor('maskedFill', mask, 'mask');
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (shape.length !== x.shape.length || shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `maskedFill: mask of shape ${shapeToString(mask.shape)} must broadcast to the input's shape ${shapeToString(x.shape)}`,
    );
  }
  return where(mask, value, x);
}

/**
 * Clamps into [min, max] (either may be omitted). The gradient passes where
 * min <= x <= max, as in PyTorch.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor('clamp', x);
  const lo = min ?? null;
  const hi = max ?? null;
  if (lo === null && hi === null) throw new Error('clamp: give at least one of min and max');
  if (lo !== null && hi !== null && lo > hi)
    throw new Error(`clamp: min ${lo} is greater than max ${hi}`);
  let y = x;
  if (lo !== null) y = binaryRaw('maximum', y, scalarLike(lo, x));
  if (hi !== null) y = binaryRaw('minimum', y, scalarLike(hi, x));
  return record(y, 'clamp', [x], (g) => {
    let m: Tensor | null = null;
    if (lo !== null) m = ge(x, lo);
    if (hi !== null) m = m ? mul(m, le(x, hi)) : le(x, hi);
    return [mul(g, m!)];
  });
}

// ------------------------------------------------------------------ helpers used by the engine

/** @internal Ones of the same shape, dtype and backend (not recorded). */
export function onesLike(x: Tensor): Tensor {
  const b = x.backend;
  return fromBuffer(b, b.fill(x.size, 1, x.dtype), x.shape, x.dtype);
}

function zerosLikeRaw(x: Tensor): Tensor {
  const b = x.backend;
  return fromBuffer(b, b.zeros(numel(x.shape), x.dtype), x.shape, x.dtype);
}
