import { type DType, isDType, type TypedArray } from '../dtype.js';
import { defaultGenerator, type Generator } from '../random.js';
import { checkShape, numel, shapeToString } from '../shape.js';
import { backendFor, fromBuffer, fromHost, type NestedArray, type Tensor } from '../tensor.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Backend name; default the active backend (`getBackend()`). */
  backend?: string;
}

export interface TensorOptions extends CreateOptions {
  /** Shape for flat input (a typed array or a flat number array). */
  shape?: readonly number[];
}

export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float32';
  if (!isDType(dtype))
    throw new Error(`${op}: unknown dtype '${String(dtype)}' (expected 'float32' or 'int32')`);
  return dtype;
}

function finish(t: Tensor, op: string, options: CreateOptions): Tensor {
  if (options.requiresGrad) {
    if (t.dtype !== 'float32')
      throw new Error(`${op}: only float32 tensors can require gradients, got ${t.dtype}`);
    t.requiresGrad = true;
  }
  return t;
}

function inferNested(data: NestedArray): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const flat: number[] = [];
  const walk = (x: NestedArray, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof x !== 'number') {
        throw new Error(
          `tensor: expected a number at ${path || 'the top level'}, got ${Array.isArray(x) ? 'an array' : typeof x}`,
        );
      }
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw new Error(
        `tensor: ragged nested array: expected ${shape[depth]} elements at ${path || 'the top level'}, got ${Array.isArray(x) ? x.length : typeof x}`,
      );
    }
    for (let i = 0; i < x.length; i++) walk(x[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { shape, flat };
}

function toTyped(op: string, values: ArrayLike<number>, dtype: DType): TypedArray {
  if (dtype === 'float32')
    return values instanceof Float32Array ? values : Float32Array.from(values);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new Error(`${op}: cannot store ${v} as int32 (element ${i})`);
    }
    out[i] = v;
  }
  return out;
}

type TensorInput =
  | NestedArray
  | ArrayLike<number>
  | TypedArray
  | Float64Array
  | Uint8Array
  | Uint16Array;

/**
 * Creates a tensor from a number, nested arrays, or a typed array (with `shape` for flat data).
 * Numbers default to float32; Int32Array input defaults to int32. Data is copied.
 */
export function tensor(data: TensorInput, options: TensorOptions = {}): Tensor {
  const backend = backendFor(options.backend);
  let shape: number[];
  let values: ArrayLike<number>;
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    const arr = data as unknown as ArrayLike<number>;
    dtype = checkDType(
      'tensor',
      options.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32'),
    );
    values = arr;
    shape = options.shape ? checkShape('tensor', options.shape) : [arr.length];
  } else if (typeof data === 'number' || Array.isArray(data)) {
    dtype = checkDType('tensor', options.dtype);
    const nested = inferNested(data as NestedArray);
    values = nested.flat;
    shape = nested.shape;
    if (options.shape) {
      const s = checkShape('tensor', options.shape);
      if (numel(s) !== nested.flat.length) {
        throw new Error(
          `tensor: shape ${shapeToString(s)} needs ${numel(s)} elements, got ${nested.flat.length}`,
        );
      }
      shape = s;
    }
  } else {
    throw new Error(
      `tensor: expected a number, an array or a typed array, got ${data === null ? 'null' : typeof data}`,
    );
  }
  if (numel(shape) !== values.length) {
    throw new Error(
      `tensor: shape ${shapeToString(shape)} needs ${numel(shape)} elements, got ${values.length}`,
    );
  }
  const typed = toTyped('tensor', values, dtype);
  return finish(fromHost(backend, typed, shape), 'tensor', options);
}

/** A tensor of `value` everywhere. */
export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  const s = checkShape('full', shape);
  const dtype = checkDType('full', options.dtype);
  if (dtype === 'int32' && !Number.isInteger(value))
    throw new Error(`full: cannot fill int32 with ${value}`);
  const backend = backendFor(options.backend);
  const n = numel(s);
  const buf = value === 0 ? backend.zeros(n, dtype) : backend.fill(n, value, dtype);
  return finish(fromBuffer(backend, buf, s, dtype), 'full', options);
}

export const zeros = (shape: readonly number[], options: CreateOptions = {}): Tensor =>
  full(shape, 0, options);
export const ones = (shape: readonly number[], options: CreateOptions = {}): Tensor =>
  full(shape, 1, options);

function likeOptions(x: Tensor, options: CreateOptions): CreateOptions {
  return { dtype: x.dtype, backend: x.backend.name, ...options };
}

export const zerosLike = (x: Tensor, options: CreateOptions = {}): Tensor =>
  full(x.shape, 0, likeOptions(x, options));
export const onesLike = (x: Tensor, options: CreateOptions = {}): Tensor =>
  full(x.shape, 1, likeOptions(x, options));
export const fullLike = (x: Tensor, value: number, options: CreateOptions = {}): Tensor =>
  full(x.shape, value, likeOptions(x, options));

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`; `arange(n)` is 0..n-1.
 * Integer arguments give int32 (as PyTorch gives integers), others float32.
 */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  let s = start;
  let e = end;
  if (e === undefined) {
    e = s;
    s = 0;
  }
  if (![s, e, step].every(Number.isFinite) || step === 0) {
    throw new Error(
      `arange: need finite start, end and a non-zero step, got (${start}, ${end}, ${step})`,
    );
  }
  const n = Math.max(0, Math.ceil((e - s) / step));
  const dtype = checkDType(
    'arange',
    options.dtype ?? ([s, e, step].every(Number.isInteger) ? 'int32' : 'float32'),
  );
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = s + i * step;
  return tensor(values, { ...options, dtype, shape: [n] });
}

/** Identity matrix [n, m] (m defaults to n). */
export function eye(n: number, m = n, options: CreateOptions = {}): Tensor {
  const dtype = checkDType('eye', options.dtype);
  const data = dtype === 'int32' ? new Int32Array(n * m) : new Float32Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return tensor(data, { ...options, dtype, shape: [n, m] });
}

function randomTensor(
  op: string,
  shape: readonly number[],
  options: RandomOptions,
  draw: (g: Generator) => number,
): Tensor {
  const s = checkShape(op, shape);
  const dtype = checkDType(op, options.dtype);
  if (dtype !== 'float32') throw new Error(`${op}: only float32 is supported, got ${dtype}`);
  const g = options.generator ?? defaultGenerator;
  const data = new Float32Array(numel(s));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return finish(fromHost(backendFor(options.backend), data, s), op, options);
}

/** Uniform samples in [0, 1) from the seeded generator (see `manualSeed`). */
export const rand = (shape: readonly number[], options: RandomOptions = {}): Tensor =>
  randomTensor('rand', shape, options, (g) => g.uniform());

/** Standard normal samples from the seeded generator. */
export const randn = (shape: readonly number[], options: RandomOptions = {}): Tensor =>
  randomTensor('randn', shape, options, (g) => g.normal());

/** Uniform int32 samples in [low, high). */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  const s = checkShape('randint', shape);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high) {
    throw new Error(`randint: need integers low < high, got [${low}, ${high})`);
  }
  const g = options.generator ?? defaultGenerator;
  const data = new Int32Array(numel(s));
  for (let i = 0; i < data.length; i++) data[i] = g.int(low, high);
  return fromHost(backendFor(options.backend), data, s);
}
