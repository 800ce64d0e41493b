import { type Backend, backendByName, getBackend, type View } from './backend.js';
import { arrayFor, type DType, type TypedArray } from './dtype.js';
import * as ew from './ops/elementwise.js';
import * as idx from './ops/indexing.js';
import * as la from './ops/linalg.js';
import * as mv from './ops/movement.js';
import * as nnops from './ops/nn.js';
import * as red from './ops/reduce.js';
import { contiguousStrides, isContiguous, numel, type Shape, shapeToString } from './shape.js';

/** A backend buffer shared by a tensor and its views; released when the last one is disposed. */
export class Storage {
  refs = 1;
  constructor(
    readonly backend: Backend,
    public buf: unknown,
    readonly size: number,
    readonly dtype: DType,
  ) {
    if (backend.liveBuffers) safetyNet.register(this, { backend, buf }, this);
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (this.refs <= 0) return;
    this.refs--;
    if (this.refs === 0) {
      safetyNet.unregister(this);
      this.backend.dispose(this.buf);
      this.buf = null;
    }
  }
}

/** Frees device buffers whose tensors were collected without `dispose()`. */
const safetyNet = new FinalizationRegistry<{ backend: Backend; buf: unknown }>(
  ({ backend, buf }) => {
    backend.dispose(buf);
  },
);

/** One recorded operation of the autograd graph. */
export interface GradNode {
  op: string;
  inputs: readonly Tensor[];
  /** Gradients for each input (null where an input needs none), written with tensor ops. */
  backward(grad: Tensor): readonly (Tensor | null | undefined)[];
}

let gradEnabled = true;

/** Runs `fn` without recording operations for autograd (like `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether operations are being recorded for autograd right now. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

export type NestedArray = number | NestedArray[];

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * An n-dimensional array on a backend, with reverse-mode autograd. Operations return new
 * tensors; views (reshape, transpose, slice, expand...) share storage with their base.
 */
export class Tensor {
  /** @internal */ _storage: Storage | null;
  readonly shape: readonly number[];
  /** @internal */ readonly _strides: readonly number[];
  /** @internal */ readonly _offset: number;
  readonly dtype: DType;
  /** Gradient accumulated by `backward()` (leaf tensors, or any tensor after `retainGrad()`). */
  grad: Tensor | null = null;
  /** @internal */ _node: GradNode | null = null;
  /** @internal */ _retainGrad = false;
  private _requiresGrad = false;

  /** @internal Use `tensor()`, `zeros()` and friends instead. */
  constructor(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this._storage = storage;
    this.shape = Object.freeze(shape.slice());
    this._strides = Object.freeze((strides ?? contiguousStrides(shape)).slice());
    this._offset = offset;
    this.dtype = storage.dtype;
  }

  get backend(): Backend {
    return this.storage('backend').backend;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(v: boolean) {
    if (v && this.dtype !== 'float32') {
      throw new Error(
        `requiresGrad: only float32 tensors can require gradients, got ${this.dtype}`,
      );
    }
    if (!v && this._node) {
      throw new Error(
        'requiresGrad: cannot switch off gradients of a non-leaf tensor; use detach()',
      );
    }
    this._requiresGrad = v;
  }

  /** True for tensors created by the user rather than by an operation. */
  get isLeaf(): boolean {
    return this._node === null;
  }

  /** Name of the operation that produced this tensor, if it is recorded for autograd. */
  get gradFn(): string | null {
    return this._node?.op ?? null;
  }

  get disposed(): boolean {
    return this._storage === null;
  }

  /** @internal The storage, or a clear error when the tensor was disposed. */
  storage(op: string): Storage {
    const s = this._storage;
    if (!s || s.buf === null)
      throw new Error(`${op}: tensor of shape ${shapeToString(this.shape)} was disposed`);
    return s;
  }

  /** @internal A strided view for backend primitives, broadcast to `target` when given. */
  _view(op: string, target?: readonly number[]): View {
    const s = this.storage(op);
    if (!target) {
      return {
        buf: s.buf,
        dtype: this.dtype,
        shape: this.shape,
        strides: this._strides,
        offset: this._offset,
      };
    }
    const strides = new Array<number>(target.length).fill(0);
    const off = target.length - this.shape.length;
    for (let i = 0; i < this.shape.length; i++) {
      strides[i + off] = this.shape[i] === 1 && target[i + off] !== 1 ? 0 : this._strides[i];
    }
    return { buf: s.buf, dtype: this.dtype, shape: target, strides, offset: this._offset };
  }

  /** @internal True when elements sit row-major from offset 0 with nothing else in the buffer. */
  _isDense(): boolean {
    const s = this._storage;
    return (
      s !== null &&
      this._offset === 0 &&
      s.size === this.size &&
      isContiguous(this.shape, this._strides)
    );
  }

  /** @internal The backend buffer holding exactly this tensor's elements, row-major. */
  _denseBuf(op: string): unknown {
    const s = this.storage(op);
    if (this._isDense()) return s.buf;
    return s.backend.contiguous(this._view(op), this.dtype);
  }

  /** True when the elements are laid out row-major without gaps (views may not be). */
  isContiguous(): boolean {
    return isContiguous(this.shape, this._strides);
  }

  // ---------------------------------------------------------------- reading

  /** A host copy of the elements in row-major order. */
  data(): TypedArray {
    const s = this.storage('data');
    const buf = this._denseBuf('data');
    const out = s.backend.read(buf, this.dtype, this.size);
    if (buf !== s.buf) s.backend.dispose(buf);
    return out;
  }

  /** The elements as nested JavaScript arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const flat = this.data();
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = flat[offset + i];
        return out;
      }
      let step = 1;
      for (let d = dim + 1; d < this.shape.length; d++) step *= this.shape[d];
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * step);
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(
        `item: only one-element tensors can be converted to a number, got shape ${shapeToString(this.shape)}`,
      );
    }
    return this.data()[0];
  }

  // ---------------------------------------------------------------- autograd

  /**
   * Accumulates gradients of this tensor into the `.grad` of every leaf that requires them.
   * A non-scalar tensor needs the gradient of the final result with respect to it.
   */
  backward(grad?: Tensor): void {
    backward(this, grad);
  }

  /** A tensor sharing this one's data, cut from the autograd graph. */
  detach(): Tensor {
    return new Tensor(this.storage('detach').retain(), this.shape, this._strides, this._offset);
  }

  /** Keeps `.grad` on this non-leaf tensor after `backward()`. */
  retainGrad(): this {
    this._retainGrad = true;
    return this;
  }

  /** Sets `.grad` to null. */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /** Sets `requiresGrad` and returns the tensor, for chaining. */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  /** Releases the storage (when no view still uses it). Using the tensor afterwards throws. */
  dispose(): void {
    const s = this._storage;
    if (!s) return;
    // the autograd node stays: a backward that needs this tensor's values then says it was disposed
    this._storage = null;
    s.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Moves the tensor to another backend (a copy through the host); gradients flow back. */
  to(backendName: string): Tensor {
    return mv.toBackend(this, backendName);
  }

  toString(): string {
    const body = this.size <= 100 ? JSON.stringify(this.toArray()) : `<${this.size} elements>`;
    const extra = this.requiresGrad ? ', requiresGrad=true' : '';
    return `tensor(${body}, shape=${shapeToString(this.shape)}, dtype=${this.dtype}, backend=${this.backend.name}${extra})`;
  }

  [inspectSymbol](): string {
    return this.disposed
      ? `tensor(<disposed>, shape=${shapeToString(this.shape)})`
      : this.toString();
  }

  // ---------------------------------------------------------------- methods (see ops/*)

  add(other: Tensor | number): Tensor {
    return ew.add(this, other);
  }
  sub(other: Tensor | number): Tensor {
    return ew.sub(this, other);
  }
  mul(other: Tensor | number): Tensor {
    return ew.mul(this, other);
  }
  div(other: Tensor | number): Tensor {
    return ew.div(this, other);
  }
  pow(exponent: Tensor | number): Tensor {
    return ew.pow(this, exponent);
  }
  maximum(other: Tensor | number): Tensor {
    return ew.maximum(this, other);
  }
  minimum(other: Tensor | number): Tensor {
    return ew.minimum(this, other);
  }
  eq(other: Tensor | number): Tensor {
    return ew.eq(this, other);
  }
  ne(other: Tensor | number): Tensor {
    return ew.ne(this, other);
  }
  lt(other: Tensor | number): Tensor {
    return ew.lt(this, other);
  }
  le(other: Tensor | number): Tensor {
    return ew.le(this, other);
  }
  gt(other: Tensor | number): Tensor {
    return ew.gt(this, other);
  }
  ge(other: Tensor | number): Tensor {
    return ew.ge(this, other);
  }
  neg(): Tensor {
    return ew.neg(this);
  }
  exp(): Tensor {
    return ew.exp(this);
  }
  log(): Tensor {
    return ew.log(this);
  }
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  rsqrt(): Tensor {
    return ew.rsqrt(this);
  }
  abs(): Tensor {
    return ew.abs(this);
  }
  sign(): Tensor {
    return ew.sign(this);
  }
  tanh(): Tensor {
    return ew.tanh(this);
  }
  sigmoid(): Tensor {
    return ew.sigmoid(this);
  }
  sin(): Tensor {
    return ew.sin(this);
  }
  cos(): Tensor {
    return ew.cos(this);
  }
  erf(): Tensor {
    return ew.erf(this);
  }
  reciprocal(): Tensor {
    return ew.reciprocal(this);
  }
  relu(): Tensor {
    return ew.relu(this);
  }
  gelu(options?: nnops.GeluOptions): Tensor {
    return nnops.gelu(this, options);
  }
  silu(): Tensor {
    return nnops.silu(this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ew.maskedFill(this, mask, value);
  }
  /** Casts to another dtype (float -> int truncates toward zero). */
  cast(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }
  float(): Tensor {
    return ew.cast(this, 'float32');
  }
  int(): Tensor {
    return ew.cast(this, 'int32');
  }

  matmul(other: Tensor): Tensor {
    return la.matmul(this, other);
  }

  sum(axis?: number | readonly number[], keepdim = false): Tensor {
    return red.sum(this, axis, keepdim);
  }
  mean(axis?: number | readonly number[], keepdim = false): Tensor {
    return red.mean(this, axis, keepdim);
  }
  max(axis?: number | readonly number[], keepdim = false): Tensor {
    return red.max(this, axis, keepdim);
  }
  min(axis?: number | readonly number[], keepdim = false): Tensor {
    return red.min(this, axis, keepdim);
  }
  argmax(axis?: number, keepdim = false): Tensor {
    return red.argmax(this, axis, keepdim);
  }
  argmin(axis?: number, keepdim = false): Tensor {
    return red.argmin(this, axis, keepdim);
  }
  var(axis?: number | readonly number[], options?: red.VarOptions): Tensor {
    return red.variance(this, axis, options);
  }
  logsumexp(axis: number | readonly number[], keepdim = false): Tensor {
    return red.logsumexp(this, axis, keepdim);
  }
  softmax(axis = -1): Tensor {
    return nnops.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return nnops.logSoftmax(this, axis);
  }

  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return mv.reshape(this, flatArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return mv.view(this, flatArgs(shape));
  }
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return mv.flatten(this, startAxis, endAxis);
  }
  transpose(axis0 = -2, axis1 = -1): Tensor {
    return mv.transpose(this, axis0, axis1);
  }
  /** Transpose of the last two dimensions. */
  get mT(): Tensor {
    return mv.transpose(this, -2, -1);
  }
  permute(...axes: number[] | [readonly number[]]): Tensor {
    return mv.permute(this, flatArgs(axes));
  }
  squeeze(axis?: number | readonly number[]): Tensor {
    return mv.squeeze(this, axis);
  }
  unsqueeze(axis: number): Tensor {
    return mv.unsqueeze(this, axis);
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return mv.expand(this, flatArgs(shape));
  }
  slice(axis: number, start?: number, end?: number, step = 1): Tensor {
    return mv.slice(this, axis, start, end, step);
  }
  narrow(axis: number, start: number, length: number): Tensor {
    return mv.narrow(this, axis, start, length);
  }
  split(sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
    return mv.split(this, sizeOrSections, axis);
  }
  chunk(chunks: number, axis = 0): Tensor[] {
    return mv.chunk(this, chunks, axis);
  }
  contiguous(): Tensor {
    return mv.contiguous(this);
  }
  /**
   * Copies `src` into this tensor's storage, in place and not recorded (PyTorch's `copy_` under
   * no_grad): same shape required; `src` is cast to this dtype and moved to this backend. Loads
   * weights into existing parameters, so optimizers holding them stay valid.
   */
  copy_(src: Tensor): this {
    if (!(src instanceof Tensor)) throw new Error('copy_: src must be a Tensor');
    if (src.shape.length !== this.shape.length || src.shape.some((n, i) => n !== this.shape[i])) {
      throw new Error(
        `copy_: source shape ${shapeToString(src.shape)} does not match ${shapeToString(this.shape)}`,
      );
    }
    if (this.gradFn !== null) {
      throw new Error(`copy_: the target is the result of ${this.gradFn}; copy into a leaf`);
    }
    let s = src;
    if (s.dtype !== this.dtype) s = ew.cast(s.detach(), this.dtype);
    if (s.backend !== this.backend) s = s.detach().to(this.backend.name);
    this.backend.copyInto(s._view('copy_'), this._view('copy_'));
    return this;
  }
  /** A copy with its own storage (recorded for autograd). */
  clone(): Tensor {
    return mv.clone(this);
  }
  triu(diagonal = 0): Tensor {
    return mv.triu(this, diagonal);
  }
  tril(diagonal = 0): Tensor {
    return mv.tril(this, diagonal);
  }
  gather(axis: number, index: Tensor): Tensor {
    return idx.gather(this, axis, index);
  }
  indexSelect(axis: number, index: Tensor): Tensor {
    return idx.indexSelect(this, axis, index);
  }
}

function flatArgs(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return (args[0] as readonly number[]).slice();
  return args as number[];
}

// ------------------------------------------------------------------ construction helpers

/** @internal Wraps a fresh backend buffer (ownership passes to the tensor). */
export function fromBuffer(backend: Backend, buf: unknown, shape: Shape, dtype: DType): Tensor {
  return new Tensor(new Storage(backend, buf, numel(shape), dtype), shape.slice());
}

/** @internal A tensor holding host data on a backend. */
export function fromHost(backend: Backend, data: TypedArray, shape: Shape): Tensor {
  const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
  return fromBuffer(backend, backend.fromArray(data), shape, dtype);
}

/** @internal A 0-d tensor for a JS number used in an op with `like`. */
export function scalarLike(value: number, like: Tensor): Tensor {
  const dtype: DType = like.dtype === 'int32' && Number.isInteger(value) ? 'int32' : 'float32';
  const arr = arrayFor(dtype, 1);
  arr[0] = value;
  return fromHost(like.backend, arr, []);
}

/**
 * @internal Records `out` as produced by `op` from `inputs` when autograd is on and any input
 * requires a gradient. Returns `out`.
 */
export function record(
  out: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backwardFn: (grad: Tensor) => readonly (Tensor | null | undefined)[],
): Tensor {
  if (!gradEnabled) return out;
  let needs = false;
  for (const t of inputs) if (t.requiresGrad) needs = true;
  if (!needs) return out;
  if (out.dtype !== 'float32') return out;
  out._node = { op, inputs, backward: backwardFn };
  (out as unknown as { _requiresGrad: boolean })._requiresGrad = true;
  return out;
}

/**
 * @internal A new handle on x's data (shared storage) that records an identity gradient: what
 * an op returns when it has nothing to change, so that disposing the result never disposes x.
 */
export function alias(x: Tensor, op: string): Tensor {
  const y = new Tensor(x.storage(op).retain(), x.shape, x._strides, x._offset);
  return record(y, op, [x], (g) => [g]);
}

/** @internal Checks that every tensor lives on the same backend; returns it. */
export function sameBackend(op: string, tensors: readonly Tensor[]): Backend {
  const b = tensors[0].backend;
  for (const t of tensors) {
    const tb = t.backend;
    if (tb !== b) {
      throw new Error(
        `${op}: tensors are on different backends ('${b.name}' and '${tb.name}'); move one with .to('${b.name}')`,
      );
    }
  }
  return b;
}

export function backendFor(name?: string): Backend {
  return name ? backendByName(name) : getBackend();
}

// ------------------------------------------------------------------ the autograd engine

function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error(
      'backward: tensor does not require grad (no input had requiresGrad = true, or it was made under noGrad)',
    );
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new Error(
        `backward: a gradient can be implied only for a one-element output, got shape ${shapeToString(root.shape)}; pass backward(grad) with that shape`,
      );
    }
    seed = noGrad(() => ew.onesLike(root));
  } else {
    if (!(grad instanceof Tensor)) throw new Error('backward: grad must be a Tensor');
    if (grad.backend !== root.backend) {
      throw new Error(
        `backward: grad is on the '${grad.backend.name}' backend but the tensor is on '${root.backend.name}'; move it with .to('${root.backend.name}')`,
      );
    }
    if (grad.shape.length !== root.shape.length || grad.shape.some((d, i) => d !== root.shape[i])) {
      throw new Error(
        `backward: grad has shape ${shapeToString(grad.shape)} but the tensor has shape ${shapeToString(root.shape)}`,
      );
    }
    seed = grad.dtype === 'float32' ? grad.detach() : noGrad(() => grad.cast('float32'));
  }

  // reverse topological order by an iterative depth-first search (deep graphs must not overflow)
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const node = top[0]._node;
    if (node && top[1] < node.inputs.length) {
      const child = node.inputs[top[1]++];
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(top[0]);
    }
  }

  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (t._node === null || t._retainGrad) {
        // a handle of its own: the same gradient tensor may flow to several inputs
        t.grad = t.grad ? ew.add(t.grad, g) : g.detach();
      }
      const node = t._node;
      if (!node) continue;
      const inGrads = node.backward(g);
      node.inputs.forEach((inp, k) => {
        const gi = inGrads[k];
        if (!inp.requiresGrad || !gi) return;
        if (gi.shape.length !== inp.shape.length || gi.shape.some((d, j) => d !== inp.shape[j])) {
          throw new Error(
            `backward: internal error in '${node.op}': gradient of shape ${shapeToString(gi.shape)} for an input of shape ${shapeToString(inp.shape)}`,
          );
        }
        const prev = grads.get(inp);
        grads.set(inp, prev ? ew.add(prev, gi) : gi);
      });
    }
  });
}
