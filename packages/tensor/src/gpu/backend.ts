/**
 * The gpu backend: every primitive of the Backend interface as a gpu.js kernel generated for
 * its shapes (see codegen.ts), over buffers that stay on the device between ops. Only `read`
 * brings data back; index checks use the host copy that int32 buffers made from host data keep.
 */
import type {
  Backend,
  BinaryOp,
  Dims3,
  MatmulParams,
  ReduceOp,
  UnaryOp,
  View,
} from '../backend.js';
import { arrayFor, type DType, dtypeOfArray, type TypedArray } from '../dtype.js';
import { numel } from '../shape.js';
import {
  coords,
  denseStrides,
  divmod,
  erfOf,
  KernelSource,
  linear,
  lit,
  powOf,
  type StridedRead,
  sigmoidOf,
  stridedIndices,
  tanhOf,
  truncExpr,
} from './codegen.js';
import type { GpuBuf, GpuDevice } from './device.js';
import { createFusedKernels } from './fused.js';
import { matmulSource, sumLoop } from './loops.js';
import type { GpuMode } from './modes.js';

/** The gpu backend: a Backend whose `mode` says which gpu.js mode runs its kernels. */
export interface GpuBackend extends Backend<GpuBuf> {
  readonly mode: GpuMode;
  /** @internal */ readonly device: GpuDevice;
}

const read = (v: View<GpuBuf>): StridedRead => ({ strides: v.strides, offset: v.offset });

function unaryExpr(src: KernelSource, op: UnaryOp, x: string): string {
  switch (op) {
    case 'neg':
      return `-${x}`;
    case 'exp':
      return `Math.exp(${x})`;
    case 'log':
      return `Math.log(${x})`;
    case 'sqrt':
      return `Math.sqrt(${x})`;
    case 'rsqrt':
      return `1.0 / Math.sqrt(${x})`;
    case 'abs':
      return `Math.abs(${x})`;
    case 'sign':
      return `(${x} > 0.0 ? 1.0 : (${x} < 0.0 ? -1.0 : ${x}))`;
    case 'tanh':
      return tanhOf(src, x);
    case 'sigmoid':
      return sigmoidOf(src, x);
    case 'erf':
      return erfOf(src, x);
    case 'sin':
      return `Math.sin(${x})`;
    case 'cos':
      return `Math.cos(${x})`;
    case 'reciprocal':
      return `1.0 / ${x}`;
    default: {
      const never: never = op;
      throw new Error(`gpu backend: unknown unary op ${String(never)}`);
    }
  }
}

/** Reductions at least this long, and few, are split in two passes (see `reduce`). */
const SPLIT_REDUCE = 4096;

const COMPARISON = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function binaryExpr(src: KernelSource, op: BinaryOp, a: string, b: string): string {
  switch (op) {
    case 'add':
      return `${a} + ${b}`;
    case 'sub':
      return `${a} - ${b}`;
    case 'mul':
      return `${a} * ${b}`;
    case 'div':
      return `${a} / ${b}`;
    case 'pow':
      return powOf(src, a, b);
    case 'maximum':
      return `(${a} != ${a} || ${b} != ${b} ? ${a} + ${b} : Math.max(${a}, ${b}))`;
    case 'minimum':
      return `(${a} != ${a} || ${b} != ${b} ? ${a} + ${b} : Math.min(${a}, ${b}))`;
    case 'eq':
      return `(${a} == ${b} ? 1.0 : 0.0)`;
    case 'ne':
      return `(${a} != ${b} ? 1.0 : 0.0)`;
    case 'lt':
      return `(${a} < ${b} ? 1.0 : 0.0)`;
    case 'le':
      return `(${a} <= ${b} ? 1.0 : 0.0)`;
    case 'gt':
      return `(${a} > ${b} ? 1.0 : 0.0)`;
    case 'ge':
      return `(${a} >= ${b} ? 1.0 : 0.0)`;
    default: {
      const never: never = op;
      throw new Error(`gpu backend: unknown binary op ${String(never)}`);
    }
  }
}

function outOfRange(op: string, v: number, pos: number, size: number): Error {
  return new Error(
    `${op}: index ${v} at position ${pos} is out of range for a dimension of size ${size}`,
  );
}

/**
 * Whether a view's positions decompose uniquely by dividing by its strides from the largest
 * down (true for views made of permutes, slices and steps of a dense buffer).
 */
function nestedStrides(shape: readonly number[], strides: readonly number[]): boolean {
  const dims = shape.map((d, k) => [d, strides[k]] as const).filter(([d]) => d > 1);
  dims.sort((x, y) => y[1] - x[1]);
  let span = 0; // largest offset reachable by the smaller strides
  for (let k = dims.length - 1; k >= 0; k--) {
    const [d, s] = dims[k];
    if (s <= span) return false;
    span += (d - 1) * s;
  }
  return true;
}

export function createGpuBackend(device: GpuDevice): GpuBackend {
  const run = device.run.bind(device);

  /** The host values of an int32 index buffer (its kept host copy, else a read-back). */
  const hostInts = (b: GpuBuf, count: number): Int32Array => {
    if (b.host && b.host.length >= count) return b.host;
    return Int32Array.from(device.download(b, count));
  };

  const contiguous = (src: View<GpuBuf>, dtype: DType): GpuBuf => {
    const n = numel(src.shape);
    const k = new KernelSource(['x']);
    const [ix] = stridedIndices(k, src.shape, [read(src)]);
    let e = `x[${ix}]`;
    if (dtype === 'int32' && src.dtype === 'float32') e = truncExpr(k.let(e));
    return run('contiguous', k.build(e), n, [src.buf], dtype);
  };

  const isWhole = (v: View<GpuBuf>): boolean =>
    v.offset === 0 &&
    numel(v.shape) === v.buf.size &&
    denseStrides(v.shape).every((s, k) => v.shape[k] === 1 || s === v.strides[k]);

  const copyInto = (src: View<GpuBuf>, dst: View<GpuBuf>): void => {
    const n = numel(dst.shape);
    if (n === 0) return;
    if (isWhole(dst)) {
      device.assign(dst.buf, contiguous(src, dst.dtype));
      return;
    }
    const dense = isWhole(src) ? src.buf : contiguous(src, src.dtype);
    try {
      if (!nestedStrides(dst.shape, dst.strides)) {
        // overlapping or unusual strides: scatter on the host, as the js backend does
        const old = device.download(dst.buf, dst.buf.size);
        const vals = device.download(dense, n);
        const logical = denseStrides(dst.shape);
        for (let L = 0; L < n; L++) {
          let pos = dst.offset;
          for (let d = 0; d < dst.shape.length; d++) {
            pos += (Math.floor(L / logical[d]) % dst.shape[d]) * dst.strides[d];
          }
          old[pos] = dst.dtype === 'int32' ? Math.trunc(vals[L]) : vals[L];
        }
        device.assign(dst.buf, device.upload(old, dst.dtype));
        return;
      }
      // each element of dst's buffer finds the logical position (if any) that writes it
      const k = new KernelSource(['old', 'vals']);
      const order = dst.shape
        .map((d, axis) => ({ d, s: dst.strides[axis], axis }))
        .filter((x) => x.d > 1)
        .sort((x, y) => y.s - x.s);
      const e = k.let(`i - ${lit(dst.offset)}`);
      const inside = k.let(`${e} >= 0.0 ? 1.0 : 0.0`);
      let rem = k.let(`Math.max(${e}, 0.0)`);
      const logical = denseStrides(dst.shape);
      const terms: string[] = [];
      for (const { d, s, axis } of order) {
        const [q, r] = divmod(k, rem, s);
        k.line(`if (${q} >= ${lit(d)}) { ${inside} = 0.0; }`);
        terms.push(`${q} * ${lit(logical[axis])}`);
        rem = r;
      }
      k.line(`if (${rem} != 0.0) { ${inside} = 0.0; }`);
      const L = k.let(terms.length > 0 ? terms.join(' + ') : '0.0');
      const at = k.let(`${inside} > 0.5 ? ${L} : 0.0`);
      let v = `vals[${at}]`;
      if (dst.dtype === 'int32' && src.dtype === 'float32') v = truncExpr(k.let(v));
      const out = run(
        'copyInto',
        k.build(`(${inside} > 0.5 ? ${v} : old[i])`),
        dst.buf.size,
        [dst.buf, dense],
        dst.dtype,
      );
      device.assign(dst.buf, out);
    } finally {
      if (dense !== src.buf) device.dispose(dense);
    }
  };

  const fill = (size: number, value: number, dtype: DType): GpuBuf => {
    const v = dtype === 'int32' ? Int32Array.of(value)[0] : Math.fround(value);
    if (!Number.isFinite(v) || size === 0) {
      const host = arrayFor(dtype, size).fill(v);
      return device.upload(host, dtype);
    }
    // the value as a uniform: one compiled kernel per size, whatever the value
    const k = new KernelSource(['v']);
    return run('fill', k.build('v'), size, [v], dtype);
  };

  const reduce = (op: ReduceOp, x: GpuBuf, dtype: DType, dims: Dims3): GpuBuf => {
    const [outer, r, inner] = dims;
    const isArg = op === 'argmax' || op === 'argmin';
    const outDtype: DType = isArg ? 'int32' : dtype;
    const n = outer * inner;
    if (r === 0) return fill(n, 0, outDtype);
    if (!isArg && r >= SPLIT_REDUCE && n <= 256) {
      // few long reductions would each run in one thread: reduce chunks first, then those
      const chunk = Math.ceil(Math.sqrt(r));
      const parts = Math.ceil(r / chunk);
      const k = new KernelSource(['x']);
      const [q, ii] = divmod(k, 'i', inner);
      const [o, part] = divmod(k, q, parts);
      const start = k.let(`${part} * ${lit(chunk)}`);
      const base = k.let(`${o} * ${lit(r * inner)} + ${ii}`);
      const at = (j: string) => `${base} + (${start} + ${j}) * ${lit(inner)}`;
      let result: string;
      if (op === 'sum') {
        result = sumLoop(k, chunk, (j) => `(${start} + ${j} < ${lit(r)} ? x[${at(j)}] : 0.0)`);
      } else {
        result = k.let(`x[${at('0.0')}]`);
        const j = k.fresh('j');
        const v = k.fresh('v');
        k.line(`for (let ${j} = 1; ${j} < ${chunk}; ${j}++) {`);
        k.line(`if (${start} + ${j} >= ${lit(r)}) { break; }`);
        k.line(`let ${v} = x[${at(j)}];`);
        const cmp = op === 'max' ? '>' : '<';
        k.line(
          `if (${result} == ${result}) { if (${v} != ${v} || ${v} ${cmp} ${result}) { ${result} = ${v}; } }`,
        );
        k.line('}');
      }
      const partial = run(`${op} (chunks)`, k.build(result), outer * parts * inner, [x], dtype);
      try {
        return reduce(op, partial, dtype, [outer, parts, inner]);
      } finally {
        device.dispose(partial);
      }
    }
    const k = new KernelSource(['x']);
    const [o, ii] = divmod(k, 'i', inner);
    const base = k.let(`${o} * ${lit(r * inner)} + ${ii}`);
    const at = (j: string) => (inner === 1 ? `${base} + ${j}` : `${base} + ${j} * ${lit(inner)}`);
    if (op === 'sum') {
      return run('sum', k.build(sumLoop(k, r, (j) => `x[${at(j)}]`)), n, [x], outDtype);
    }
    const best = k.let(`x[${base}]`);
    const bestJ = k.let('0.0');
    if (r > 1) {
      const j = k.fresh('j');
      const v = k.fresh('v');
      const cmp = op === 'max' || op === 'argmax' ? '>' : '<';
      // NaN wins and stays, as in the js backend
      k.line(`for (let ${j} = 1; ${j} < ${r}; ${j}++) {`);
      k.line(`let ${v} = x[${at(j)}];`);
      k.line(
        `if (${best} == ${best}) { if (${v} != ${v} || ${v} ${cmp} ${best}) { ${best} = ${v}; ${bestJ} = ${j}; } }`,
      );
      k.line('}');
    }
    return run(op, k.build(isArg ? bestJ : best), n, [x], outDtype);
  };

  const matmul = (a: GpuBuf, b: GpuBuf, p: MatmulParams): GpuBuf => {
    const n = p.batch * p.m * p.n;
    if (p.k === 0) return fill(n, 0, 'float32');
    const last = (stride: number, size: number) => (p.batch - 1) * stride + size;
    if (last(p.aBatchStride, p.m * p.k) > a.size || last(p.bBatchStride, p.k * p.n) > b.size) {
      throw new Error('gpu backend: matmul buffers are smaller than their shapes');
    }
    const k = new KernelSource(['a', 'b']);
    return run('matmul', k.build(matmulSource(k, p)), n, [a, b], 'float32');
  };

  const backend: GpuBackend = {
    name: 'gpu',
    mode: device.mode,
    device,
    info() {
      const o = device.opened;
      return {
        name: 'gpu',
        description: `gpu.js kernels in ${device.mode} mode`,
        mode: device.mode,
        modeReason: o.reason,
        dataOnDevice: device.onGpu,
        float32: o.precision.full ? 'full' : 'reduced',
        precision: o.precision.detail,
        storage: o.precision.storage,
        ...(o.renderer ? { renderer: o.renderer } : {}),
        ...(o.features?.maxTextureSize ? { maxTextureSize: o.features.maxTextureSize } : {}),
        ...device.stats(),
      };
    },

    fromArray: (data) => device.upload(data, dtypeOfArray(data)),
    read(buf, dtype, size): TypedArray {
      if (dtype === 'int32' && buf.host && buf.host.length >= size) return buf.host.slice(0, size);
      const f = device.download(buf, size);
      return dtype === 'int32' ? Int32Array.from(f) : f;
    },
    zeros: (size, dtype) => fill(size, 0, dtype),
    fill,
    dispose: (buf) => device.dispose(buf),
    liveBuffers: () => device.liveBuffers(),

    contiguous,
    copyInto,

    unary(op, x, size) {
      const k = new KernelSource(['x']);
      const v = k.let('x[i]');
      let e = unaryExpr(k, op, v);
      if (x.dtype === 'int32') e = truncExpr(k.let(e));
      return run(op, k.build(e), size, [x], x.dtype);
    },
    binary(op, a, b, outShape, outDtype) {
      const k = new KernelSource(['a', 'b']);
      const [ia, ib] = stridedIndices(k, outShape, [read(a), read(b)]);
      const x = k.let(`a[${ia}]`);
      const y = k.let(`b[${ib}]`);
      let e = binaryExpr(k, op, x, y);
      if (outDtype === 'int32' && !COMPARISON.has(op)) e = truncExpr(k.let(e));
      return run(op, k.build(e), numel(outShape), [a.buf, b.buf], outDtype);
    },
    where(cond, a, b, outShape, outDtype) {
      const k = new KernelSource(['c', 'a', 'b']);
      const [ic, ia, ib] = stridedIndices(k, outShape, [read(cond), read(a), read(b)]);
      const e = `(c[${ic}] != 0.0 ? a[${ia}] : b[${ib}])`;
      return run('where', k.build(e), numel(outShape), [cond.buf, a.buf, b.buf], outDtype);
    },

    reduce,
    matmul,

    indexSelect(x, dtype, dims, idx, count) {
      const [outer, size, inner] = dims;
      const ids = hostInts(idx, count);
      for (let j = 0; j < count; j++) {
        if (!(ids[j] >= 0 && ids[j] < size)) throw outOfRange('indexSelect', ids[j], j, size);
      }
      const k = new KernelSource(['x', 'idx']);
      const [q, ii] = divmod(k, 'i', inner);
      const [o, j] = divmod(k, q, count);
      const e = `x[(${o} * ${lit(size)} + idx[${j}]) * ${lit(inner)} + ${ii}]`;
      return run('indexSelect', k.build(e), outer * count * inner, [x, idx], dtype);
    },
    indexAdd(src, dims, idx, count, axisSize) {
      const [outer, , inner] = dims;
      const n = outer * axisSize * inner;
      const ids = hostInts(idx, count);
      for (let j = 0; j < count; j++) {
        if (!(ids[j] >= 0 && ids[j] < axisSize)) throw outOfRange('indexAdd', ids[j], j, axisSize);
      }
      if (count === 0 || n === 0) return fill(n, 0, 'float32');
      // the positions that add into each row a, grouped by a (a counting sort on the host)
      const { starts, perm } = groupBy(ids, count, axisSize);
      const s = device.upload(starts, 'float32');
      const pm = device.upload(perm, 'float32');
      try {
        const k = new KernelSource(['src', 'starts', 'perm']);
        const [q, ii] = divmod(k, 'i', inner);
        const [o, a] = divmod(k, q, axisSize);
        const acc = gatherSum(
          k,
          a,
          count,
          (j) => `src[(${o} * ${lit(count)} + ${j}) * ${lit(inner)} + ${ii}]`,
        );
        return run('indexAdd', k.build(acc), n, [src, s, pm], 'float32');
      } finally {
        device.dispose(s);
        device.dispose(pm);
      }
    },
    gather(x, dtype, shape, axis, idx, idxShape) {
      const n = numel(idxShape);
      const ids = hostInts(idx, n);
      for (let p = 0; p < n; p++) {
        if (!(ids[p] >= 0 && ids[p] < shape[axis]))
          throw outOfRange('gather', ids[p], p, shape[axis]);
      }
      const k = new KernelSource(['x', 'idx']);
      const c = coords(k, 'i', idxShape);
      c[axis] = k.let('idx[i]');
      const e = `x[${linear(c, denseStrides(shape), 0)}]`;
      return run('gather', k.build(e), n, [x, idx], dtype);
    },
    scatterAdd(src, idx, idxShape, axis, shape) {
      const n = numel(shape);
      const count = numel(idxShape);
      const ids = hostInts(idx, count);
      // where each source position lands (torch.gather's inverse), checked on the host
      const target = new Int32Array(count);
      const srcStrides = denseStrides(shape);
      const coord = new Array<number>(shape.length).fill(0);
      for (let p = 0; p < count; p++) {
        const v = ids[p];
        if (!(v >= 0 && v < shape[axis])) throw outOfRange('scatterAdd', v, p, shape[axis]);
        let q = 0;
        for (let d = 0; d < shape.length; d++) q += (d === axis ? v : coord[d]) * srcStrides[d];
        target[p] = q;
        for (let d = shape.length - 1; d >= 0; d--) {
          coord[d]++;
          if (coord[d] < idxShape[d]) break;
          coord[d] = 0;
        }
      }
      if (count === 0 || n === 0) return fill(n, 0, 'float32');
      const { starts, perm } = groupBy(target, count, n);
      const s = device.upload(starts, 'float32');
      const pm = device.upload(perm, 'float32');
      try {
        const k = new KernelSource(['src', 'starts', 'perm']);
        const acc = gatherSum(k, 'i', count, (j) => `src[${j}]`);
        return run('scatterAdd', k.build(acc), n, [src, s, pm], 'float32');
      } finally {
        device.dispose(s);
        device.dispose(pm);
      }
    },

    fused: {},
  };
  backend.fused = createFusedKernels(device, backend);
  return backend;
}

/** Positions 0..count-1 grouped by `keys` (in [0, groups)): CSR starts and the permutation. */
function groupBy(
  keys: Int32Array,
  count: number,
  groups: number,
): { starts: Float32Array; perm: Float32Array } {
  const starts = new Float32Array(groups + 1);
  for (let j = 0; j < count; j++) starts[keys[j] + 1]++;
  for (let g = 0; g < groups; g++) starts[g + 1] += starts[g];
  const next = starts.slice(0, groups);
  const perm = new Float32Array(count);
  for (let j = 0; j < count; j++) perm[next[keys[j]]++] = j;
  return { starts, perm };
}

/**
 * Emits the sum of term(j) over the positions j listed for group `g` in `starts` / `perm`.
 * The loop bound is the total count (a constant), left early at the end of the group.
 */
function gatherSum(k: KernelSource, g: string, count: number, term: (j: string) => string): string {
  const s0 = k.let(`starts[${g}]`);
  const len = k.let(`starts[${g} + 1.0] - ${s0}`);
  const acc = k.let('0.0');
  const t = k.fresh('t');
  k.line(`for (let ${t} = 0; ${t} < ${count}; ${t}++) {`);
  k.line(`if (${t} >= ${len}) { break; }`);
  k.line(`${acc} += ${term(`perm[${s0} + ${t}]`)};`);
  k.line('}');
  return acc;
}
