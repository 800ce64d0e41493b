import { createJsBackend } from './backends/js.js';
import type { DType, TypedArray } from './dtype.js';

/**
 * A read of `shape.length` dimensions out of a backend buffer: element `[i0, i1, ...]` is at
 * `offset + sum(ik * strides[k])`. Broadcast dimensions have stride 0.
 */
export interface View<B = unknown> {
  buf: B;
  dtype: DType;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'abs'
  | 'sign'
  | 'tanh'
  | 'sigmoid'
  | 'erf'
  | 'sin'
  | 'cos'
  | 'reciprocal';

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

export const UNARY_OPS: readonly UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'abs',
  'sign',
  'tanh',
  'sigmoid',
  'erf',
  'sin',
  'cos',
  'reciprocal',
];

export const BINARY_OPS: readonly BinaryOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
];

/** Batched matrix product of contiguous buffers: out[b] = op(A[b]) @ op(B[b]). */
export interface MatmulParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored as [k, m] per batch (so op(A) = A^T). */
  transA: boolean;
  /** B is stored as [n, k] per batch. */
  transB: boolean;
  /** Elements between consecutive batches of A; 0 broadcasts one matrix to all batches. */
  aBatchStride: number;
  bBatchStride: number;
}

/** `[outer, axis, inner]`: the axis reduced or indexed sits between two flattened blocks. */
export type Dims3 = readonly [number, number, number];

/**
 * Optional fused kernels. Each has a composed definition in TypeScript that is used when the
 * backend has none; a fused kernel is only ever a faster way to compute the same forward value.
 * All take contiguous float32 buffers laid out as `rows x cols`, normalizing over `cols`.
 */
export interface FusedKernels<B = unknown> {
  softmax?(x: B, rows: number, cols: number): B;
  logSoftmax?(x: B, rows: number, cols: number): B;
  gelu?(x: B, size: number, approximate: 'tanh' | 'none'): B;
  silu?(x: B, size: number): B;
  /** Returns y and the per-row mean and reciprocal standard deviation (for the gradient). */
  layerNorm?(
    x: B,
    weight: B | null,
    bias: B | null,
    rows: number,
    cols: number,
    eps: number,
  ): { y: B; mean: B; rstd: B };
  rmsNorm?(x: B, weight: B | null, rows: number, cols: number, eps: number): { y: B; rstd: B };

  // Backward kernels: faster ways to compute the same gradient rule as the op's tensor-op
  // definition (each used only when present).
  geluBackward?(x: B, g: B, size: number, approximate: 'tanh' | 'none'): B;
  siluBackward?(x: B, g: B, size: number): B;
  layerNormBackward?(
    x: B,
    weight: B | null,
    mean: B,
    rstd: B,
    g: B,
    rows: number,
    cols: number,
    wantWeightGrad: boolean,
    wantBiasGrad: boolean,
  ): { dx: B; dw: B | null; db: B | null };
  rmsNormBackward?(
    x: B,
    weight: B | null,
    rstd: B,
    g: B,
    rows: number,
    cols: number,
    wantWeightGrad: boolean,
  ): { dx: B; dw: B | null };

  /**
   * Cross-entropy per row of logits [rows, cols] against int32 targets: the loss (0 where the
   * target is `ignoreIndex`) and the row's log-sum-exp. Throws on a target out of range.
   * Used only together with `crossEntropyBackward`.
   */
  crossEntropy?(
    logits: B,
    targets: B,
    rows: number,
    cols: number,
    ignoreIndex: number,
  ): { loss: B; lse: B };
  /** d logits = (softmax - onehot(target)) * g[row]; zero rows where the target is ignored. */
  crossEntropyBackward?(
    logits: B,
    targets: B,
    lse: B,
    g: B,
    rows: number,
    cols: number,
    ignoreIndex: number,
  ): B;

  /**
   * Attention for `bh` heads without a T x S score matrix: q [bh, T, d], k [bh, S, d],
   * v [bh, S, dv] -> out [bh, T, dv] and the log-sum-exp of each scaled score row [bh, T].
   * Used only together with `attentionBackward`.
   */
  attention?(
    q: B,
    k: B,
    v: B,
    dims: { bh: number; T: number; S: number; d: number; dv: number },
    scale: number,
    causal: boolean,
  ): { out: B; lse: B };
  attentionBackward?(
    q: B,
    k: B,
    v: B,
    out: B,
    lse: B,
    g: B,
    dims: { bh: number; T: number; S: number; d: number; dv: number },
    scale: number,
    causal: boolean,
  ): { dq: B; dk: B; dv: B };

  /** AdamW in place on param, m and v (all `size` float32 elements). */
  adamw?(param: B, grad: B, m: B, v: B, size: number, hyper: AdamWStep): void;
}

/** One AdamW step's numbers; `step` counts from 1 (for the bias corrections). */
export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
}

export type FusedName = keyof FusedKernels;

/**
 * The closed set of primitives a backend implements. Buffers are opaque to the engine; views,
 * broadcasting, autograd and every composite op live above this interface.
 */
export interface Backend<B = unknown> {
  readonly name: string;
  /** Human-readable details for `getBackend()` / `oellm info` (mode, threads, SIMD...). */
  info(): Record<string, unknown>;

  // storage
  fromArray(data: TypedArray): B;
  /** A host copy of the first `size` elements, in the buffer's dtype. */
  read(buf: B, dtype: DType, size: number): TypedArray;
  zeros(size: number, dtype: DType): B;
  fill(size: number, value: number, dtype: DType): B;
  dispose(buf: B): void;
  /**
   * Number of device buffers allocated and not yet disposed, for leak tests. Backends whose
   * memory the garbage collector owns (`js`) leave it out.
   */
  liveBuffers?(): number;

  // movement
  /** Copies a strided view into a new contiguous buffer (also casts when `dtype` differs). */
  contiguous(src: View<B>, dtype: DType): B;
  /** Writes the elements of `src` (logical order) into the positions of view `dst` (in place). */
  copyInto(src: View<B>, dst: View<B>): void;

  // elementwise
  unary(op: UnaryOp, x: B, size: number): B;
  binary(op: BinaryOp, a: View<B>, b: View<B>, outShape: readonly number[], outDtype: DType): B;
  where(cond: View<B>, a: View<B>, b: View<B>, outShape: readonly number[], outDtype: DType): B;

  // reductions over the middle axis of [outer, r, inner]; argmax/argmin return int32
  reduce(op: ReduceOp, x: B, dtype: DType, dims: Dims3): B;

  matmul(a: B, b: B, p: MatmulParams): B;

  // indexing (index buffers are contiguous int32; kernels check every index)
  /** out[o, j, i] = x[o, idx[j], i], out shape [outer, idx.length, inner]. */
  indexSelect(x: B, dtype: DType, dims: Dims3, idx: B, count: number): B;
  /** out = zeros([outer, axisSize, inner]); out[o, idx[j], i] += src[o, j, i]. */
  indexAdd(src: B, dims: Dims3, idx: B, count: number, axisSize: number): B;
  /** torch.gather along `axis`, index of the same rank, out has the index's shape. */
  gather(
    x: B,
    dtype: DType,
    shape: readonly number[],
    axis: number,
    idx: B,
    idxShape: readonly number[],
  ): B;
  /** out = zeros(shape); out[..., idx[p], ...] += src[p] along axis (the gradient of gather). */
  scatterAdd(
    src: B,
    idx: B,
    idxShape: readonly number[],
    axis: number,
    shape: readonly number[],
  ): B;

  fused: FusedKernels<B>;
}

export interface BackendEntry {
  name: string;
  /** Higher wins when no backend is asked for. */
  priority: number;
  /** Returns the backend, or throws with the reason it cannot run here. */
  load(): Backend;
  /** Say so once (console.warn) when the default choice passes over this backend. */
  warnWhenSkipped?: boolean;
}

interface RegistryState {
  entries: Map<string, BackendEntry>;
  loaded: Map<string, Backend>;
  failures: Map<string, string>;
  current: Backend | null;
  reason: string;
  fusedDisabled: boolean;
  warned: Set<string>;
}

const state: RegistryState = {
  // the js reference backend is always registered; others register themselves when imported
  entries: new Map([['js', { name: 'js', priority: 0, load: () => createJsBackend() }]]),
  loaded: new Map(),
  failures: new Map(),
  current: null,
  reason: '',
  fusedDisabled: false,
  warned: new Set(),
};

/** Registers a backend under a name; the engine picks the highest priority one that loads. */
export function registerBackend(entry: BackendEntry): void {
  state.entries.set(entry.name, entry);
  state.failures.delete(entry.name);
  state.loaded.delete(entry.name);
}

function tryLoad(name: string): Backend | null {
  const done = state.loaded.get(name);
  if (done) return done;
  const entry = state.entries.get(name);
  if (!entry) return null;
  try {
    const backend = entry.load();
    state.loaded.set(name, backend);
    return backend;
  } catch (e) {
    state.failures.set(name, e instanceof Error ? e.message : String(e));
    return null;
  }
}

export interface BackendListing {
  name: string;
  priority: number;
  available: boolean;
  /** Why the backend cannot run here, when it cannot. */
  error?: string;
  active: boolean;
}

/** Every registered backend, whether it loads here, and which one is active. */
export function listBackends(): BackendListing[] {
  return [...state.entries.values()]
    .sort((a, b) => b.priority - a.priority)
    .map((e) => {
      const b = tryLoad(e.name);
      const out: BackendListing = {
        name: e.name,
        priority: e.priority,
        available: b !== null,
        active: state.current?.name === e.name,
      };
      const err = state.failures.get(e.name);
      if (!b && err) out.error = err;
      return out;
    });
}

function envBackend(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const v = env?.OELLM_BACKEND;
  return v && v.length > 0 ? v : undefined;
}

/** Makes `name` the backend for new tensors. Throws, listing the choices, when it cannot load. */
export function setBackend(name: string): Backend {
  if (!state.entries.has(name)) {
    throw new Error(
      `setBackend: unknown backend '${name}'; registered: ${[...state.entries.keys()].join(', ')}`,
    );
  }
  const b = tryLoad(name);
  if (!b)
    throw new Error(`setBackend: backend '${name}' cannot run here: ${state.failures.get(name)}`);
  state.current = b;
  state.reason = `set by setBackend('${name}')`;
  return b;
}

function chooseDefault(): Backend {
  const asked = envBackend();
  if (asked) {
    if (!state.entries.has(asked)) {
      throw new Error(
        `OELLM_BACKEND=${asked} names no registered backend; registered: ${[...state.entries.keys()].join(', ')}`,
      );
    }
    const b = tryLoad(asked);
    if (!b) throw new Error(`OELLM_BACKEND=${asked} cannot run here: ${state.failures.get(asked)}`);
    state.reason = `chosen by OELLM_BACKEND=${asked}`;
    return b;
  }
  const skipped: string[] = [];
  for (const e of [...state.entries.values()].sort((a, b) => b.priority - a.priority)) {
    const b = tryLoad(e.name);
    if (!b && e.warnWhenSkipped && !state.warned.has(e.name)) {
      state.warned.add(e.name);
      console.warn(
        `@openeurollm/tensor: the ${e.name} backend is not available (${state.failures.get(e.name)})`,
      );
    }
    if (b) {
      state.reason =
        skipped.length === 0
          ? `highest-priority backend that loads`
          : `highest-priority backend that loads (skipped ${skipped.join('; ')})`;
      return b;
    }
    skipped.push(`${e.name}: ${state.failures.get(e.name)}`);
  }
  throw new Error('no tensor backend could be loaded');
}

/** The backend new tensors are created on. */
export function getBackend(): Backend {
  if (!state.current) state.current = chooseDefault();
  return state.current;
}

/** Why the active backend was chosen (for `oellm info` and logs). */
export function backendReason(): string {
  getBackend();
  return state.reason;
}

/** A loaded backend by name (tensors carry their own backend; `.to(name)` uses this). */
export function backendByName(name: string): Backend {
  const b = tryLoad(name);
  if (!b) {
    const why =
      state.failures.get(name) ??
      `not registered (registered: ${[...state.entries.keys()].join(', ')})`;
    throw new Error(`backend '${name}' is not available: ${why}`);
  }
  return b;
}

/** Runs `fn` with `name` as the active backend, restoring the previous one afterwards. */
export function withBackend<T>(name: string, fn: () => T): T {
  const prev = state.current;
  const prevReason = state.reason;
  setBackend(name);
  try {
    return fn();
  } finally {
    state.current = prev;
    state.reason = prevReason;
  }
}

/** The fused kernel `name` of backend `b`, unless fused kernels are switched off. */
export function fusedKernel<K extends FusedName>(b: Backend, name: K): FusedKernels[K] | undefined {
  if (state.fusedDisabled) return undefined;
  const k = b.fused[name];
  return k ? (k.bind(b.fused) as FusedKernels[K]) : undefined;
}

/** Switches fused kernels off (composed definitions only) or back on; returns the old setting. */
export function setFusedKernelsEnabled(enabled: boolean): boolean {
  const old = !state.fusedDisabled;
  state.fusedDisabled = !enabled;
  return old;
}
