import type {
  Backend,
  BinaryOp,
  Dims3,
  MatmulParams,
  ReduceOp,
  UnaryOp,
  View,
} from '../backend.js';
import { arrayFor, type DType, type TypedArray } from '../dtype.js';
import { isContiguous, numel } from '../shape.js';

/**
 * The reference backend: plain loops over typed arrays. Always available, browser-safe, and the
 * oracle every other backend is tested against. Float32 storage, float64 accumulation in
 * reductions and norms.
 */

type Buf = TypedArray;

/** Copies a strided view into `out` in row-major logical order. */
function gatherInto(v: View<Buf>, out: TypedArray): void {
  const { shape, strides } = v;
  const src = v.buf;
  const n = numel(shape);
  if (n === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    out[0] = src[v.offset];
    return;
  }
  const last = rank - 1;
  const len = shape[last];
  const st = strides[last];
  const idx = new Array<number>(rank).fill(0);
  let base = v.offset;
  let o = 0;
  for (;;) {
    for (let j = 0, p = base; j < len; j++, p += st) out[o++] = src[p];
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Writes contiguous `src` into the positions of view `dst`, in row-major logical order. */
function scatterInto(src: TypedArray, dst: View<Buf>): void {
  const { shape, strides } = dst;
  const out = dst.buf;
  const n = numel(shape);
  if (n === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    out[dst.offset] = src[0];
    return;
  }
  const last = rank - 1;
  const len = shape[last];
  const st = strides[last];
  const idx = new Array<number>(rank).fill(0);
  let base = dst.offset;
  let o = 0;
  for (;;) {
    for (let j = 0, p = base; j < len; j++, p += st) out[p] = src[o++];
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** The view's elements as a contiguous array (the buffer itself when already contiguous). */
function dense(v: View<Buf>): TypedArray {
  const n = numel(v.shape);
  if (v.offset === 0 && v.buf.length === n && isContiguous(v.shape, v.strides)) return v.buf;
  const out = arrayFor(v.dtype, n);
  gatherInto(v, out);
  return out;
}

function unaryLoop(op: UnaryOp, x: TypedArray, out: TypedArray, n: number): void {
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return;
    case 'rsqrt':
      for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : x[i] === 0 ? 0 : x[i];
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        // two branches keep exp from overflowing for large |v|
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          out[i] = e / (1 + e);
        }
      }
      return;
    case 'erf':
      for (let i = 0; i < n; i++) out[i] = erf(x[i]);
      return;
    case 'sin':
      for (let i = 0; i < n; i++) out[i] = Math.sin(x[i]);
      return;
    case 'cos':
      for (let i = 0; i < n; i++) out[i] = Math.cos(x[i]);
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) out[i] = 1 / x[i];
      return;
    default: {
      const never: never = op;
      throw new Error(`js backend: unknown unary op ${String(never)}`);
    }
  }
}

/**
 * erf to float64 accuracy (|error| < 1.2e-7 relative is what float32 needs; this uses the
 * Numerical Recipes erfc Chebyshev fit, accurate to about 1.2e-7 everywhere).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

function binaryLoop(op: BinaryOp, a: TypedArray, b: TypedArray, out: TypedArray, n: number): void {
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      return;
    case 'sub':
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      return;
    case 'mul':
      if (out instanceof Int32Array) for (let i = 0; i < n; i++) out[i] = Math.imul(a[i], b[i]);
      else for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      return;
    case 'div':
      for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      return;
    case 'pow':
      for (let i = 0; i < n; i++) out[i] = a[i] ** b[i];
      return;
    case 'maximum':
      for (let i = 0; i < n; i++) out[i] = Math.max(a[i], b[i]); // NaN propagates
      return;
    case 'minimum':
      for (let i = 0; i < n; i++) out[i] = Math.min(a[i], b[i]); // NaN propagates
      return;
    case 'eq':
      for (let i = 0; i < n; i++) out[i] = a[i] === b[i] ? 1 : 0;
      return;
    case 'ne':
      for (let i = 0; i < n; i++) out[i] = a[i] !== b[i] ? 1 : 0;
      return;
    case 'lt':
      for (let i = 0; i < n; i++) out[i] = a[i] < b[i] ? 1 : 0;
      return;
    case 'le':
      for (let i = 0; i < n; i++) out[i] = a[i] <= b[i] ? 1 : 0;
      return;
    case 'gt':
      for (let i = 0; i < n; i++) out[i] = a[i] > b[i] ? 1 : 0;
      return;
    case 'ge':
      for (let i = 0; i < n; i++) out[i] = a[i] >= b[i] ? 1 : 0;
      return;
    default: {
      const never: never = op;
      throw new Error(`js backend: unknown binary op ${String(never)}`);
    }
  }
}

function reduceLoop(op: ReduceOp, x: TypedArray, dtype: DType, dims: Dims3): TypedArray {
  const [outer, r, inner] = dims;
  const isArg = op === 'argmax' || op === 'argmin';
  const out = arrayFor(isArg ? 'int32' : dtype, outer * inner);
  if (op === 'sum') {
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(0);
      const base = o * r * inner;
      for (let j = 0; j < r; j++) {
        const row = base + j * inner;
        for (let i = 0; i < inner; i++) acc[i] += x[row + i];
      }
      for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i];
    }
    return out;
  }
  const wantMax = op === 'max' || op === 'argmax';
  for (let o = 0; o < outer; o++) {
    const base = o * r * inner;
    for (let i = 0; i < inner; i++) {
      let best = x[base + i];
      let bestJ = 0;
      for (let j = 1; j < r; j++) {
        const v = x[base + j * inner + i];
        if (Number.isNaN(best)) break; // NaN wins and stays
        if (Number.isNaN(v) || (wantMax ? v > best : v < best)) {
          best = v;
          bestJ = j;
        }
      }
      out[o * inner + i] = isArg ? bestJ : best;
    }
  }
  return out;
}

/** Transposes a rows x cols block of `src` at `off` into a new cols x rows array. */
function transposeBlock(src: TypedArray, off: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const r = off + i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = src[r + j];
  }
  return out;
}

const KB = 256; // depth of a block of B kept hot in cache
const JB = 512; // width of that block

/** C[m x n] += A[m x k] @ B[k x n], all row-major; four rows of A share each load of B. */
function gemm(
  A: TypedArray,
  aOff: number,
  B: TypedArray,
  bOff: number,
  C: Float32Array,
  cOff: number,
  m: number,
  n: number,
  k: number,
): void {
  for (let p0 = 0; p0 < k; p0 += KB) {
    const p1 = Math.min(k, p0 + KB);
    for (let j0 = 0; j0 < n; j0 += JB) {
      const j1 = Math.min(n, j0 + JB);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const c0 = cOff + i * n;
        const c1 = c0 + n;
        const c2 = c1 + n;
        const c3 = c2 + n;
        const a0r = aOff + i * k;
        for (let p = p0; p < p1; p++) {
          const a0 = A[a0r + p];
          const a1 = A[a0r + k + p];
          const a2 = A[a0r + 2 * k + p];
          const a3 = A[a0r + 3 * k + p];
          const bp = bOff + p * n;
          for (let j = j0; j < j1; j++) {
            const b = B[bp + j];
            C[c0 + j] += a0 * b;
            C[c1 + j] += a1 * b;
            C[c2 + j] += a2 * b;
            C[c3 + j] += a3 * b;
          }
        }
      }
      for (; i < m; i++) {
        const c0 = cOff + i * n;
        const ar = aOff + i * k;
        for (let p = p0; p < p1; p++) {
          const a0 = A[ar + p];
          const bp = bOff + p * n;
          for (let j = j0; j < j1; j++) C[c0 + j] += a0 * B[bp + j];
        }
      }
    }
  }
}

function matmul(a: TypedArray, b: TypedArray, p: MatmulParams): Float32Array {
  const { batch, m, n, k } = p;
  const out = new Float32Array(batch * m * n);
  const aMat = m * k;
  const bMat = k * n;
  // transposed operands are repacked once per distinct matrix (O(n^2) against O(n^3) work)
  let lastA = -1;
  let lastB = -1;
  let aBuf: TypedArray = a;
  let bBuf: TypedArray = b;
  let aOff = 0;
  let bOff = 0;
  for (let t = 0; t < batch; t++) {
    const aStart = t * p.aBatchStride;
    const bStart = t * p.bBatchStride;
    if (p.transA) {
      if (aStart !== lastA) {
        aBuf = transposeBlock(a, aStart, k, m);
        lastA = aStart;
      }
      aOff = 0;
    } else aOff = aStart;
    if (p.transB) {
      if (bStart !== lastB) {
        bBuf = transposeBlock(b, bStart, n, k);
        lastB = bStart;
      }
      bOff = 0;
    } else bOff = bStart;
    if (aOff + aMat > aBuf.length || bOff + bMat > bBuf.length) {
      throw new Error('js backend: matmul buffers are smaller than their shapes');
    }
    gemm(aBuf, aOff, bBuf, bOff, out, t * m * n, m, n, k);
  }
  return out;
}

function checkIndex(op: string, v: number, size: number, where: number): void {
  if (!(v >= 0 && v < size)) {
    throw new Error(
      `${op}: index ${v} at position ${where} is out of range for a dimension of size ${size}`,
    );
  }
}

function outerInner(shape: readonly number[], axis: number): [number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, inner];
}

/** Calls fn(outPos, srcPos) for torch.gather-style indexing along `axis`. */
function gatherPositions(
  op: string,
  shape: readonly number[],
  axis: number,
  idx: Int32Array,
  idxShape: readonly number[],
  fn: (p: number, q: number) => void,
): void {
  const rank = shape.length;
  const n = numel(idxShape);
  const coord = new Array<number>(rank).fill(0);
  const srcStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    srcStrides[d] = s;
    s *= shape[d];
  }
  for (let p = 0; p < n; p++) {
    const v = idx[p];
    checkIndex(op, v, shape[axis], p);
    let q = 0;
    for (let d = 0; d < rank; d++) q += (d === axis ? v : coord[d]) * srcStrides[d];
    fn(p, q);
    for (let d = rank - 1; d >= 0; d--) {
      coord[d]++;
      if (coord[d] < idxShape[d]) break;
      coord[d] = 0;
    }
  }
}

export function createJsBackend(): Backend<Buf> {
  return {
    name: 'js',
    info: () => ({
      name: 'js',
      description: 'TypedArray reference implementation',
      memory: 'garbage-collected',
    }),

    fromArray: (data) => data.slice(),
    read: (buf, dtype, size) => {
      const out = arrayFor(dtype, size);
      out.set(buf.subarray(0, size));
      return out;
    },
    zeros: (size, dtype) => arrayFor(dtype, size),
    fill: (size, value, dtype) => arrayFor(dtype, size).fill(value),
    dispose: () => {},

    contiguous(src, dtype) {
      const out = arrayFor(dtype, numel(src.shape));
      gatherInto(src, out);
      return out;
    },
    copyInto(src, dst) {
      scatterInto(dense(src), dst);
    },

    unary(op, x, size) {
      const out = x instanceof Int32Array ? new Int32Array(size) : new Float32Array(size);
      unaryLoop(op, x, out, size);
      return out;
    },
    binary(op, a, b, outShape, outDtype) {
      const n = numel(outShape);
      const out = arrayFor(outDtype, n);
      binaryLoop(op, dense(a), dense(b), out, n);
      return out;
    },
    where(cond, a, b, outShape, outDtype) {
      const n = numel(outShape);
      const out = arrayFor(outDtype, n);
      const c = dense(cond);
      const x = dense(a);
      const y = dense(b);
      for (let i = 0; i < n; i++) out[i] = c[i] !== 0 ? x[i] : y[i];
      return out;
    },

    reduce: (op, x, dtype, dims) => reduceLoop(op, x, dtype, dims),
    matmul,

    indexSelect(x, dtype, dims, idxBuf, count) {
      const [outer, size, inner] = dims;
      const idx = idxBuf as Int32Array;
      const out = arrayFor(dtype, outer * count * inner);
      for (let j = 0; j < count; j++) checkIndex('indexSelect', idx[j], size, j);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < count; j++) {
          const src = (o * size + idx[j]) * inner;
          const dst = (o * count + j) * inner;
          if (inner === 1) out[dst] = x[src];
          else out.set(x.subarray(src, src + inner), dst);
        }
      }
      return out;
    },
    indexAdd(src, dims, idxBuf, count, axisSize) {
      const [outer, , inner] = dims;
      const idx = idxBuf as Int32Array;
      for (let j = 0; j < count; j++) checkIndex('indexAdd', idx[j], axisSize, j);
      const out = new Float32Array(outer * axisSize * inner);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < count; j++) {
          const s = (o * count + j) * inner;
          const d = (o * axisSize + idx[j]) * inner;
          for (let i = 0; i < inner; i++) out[d + i] += src[s + i];
        }
      }
      return out;
    },
    gather(x, dtype, shape, axis, idxBuf, idxShape) {
      const out = arrayFor(dtype, numel(idxShape));
      gatherPositions('gather', shape, axis, idxBuf as Int32Array, idxShape, (p, q) => {
        out[p] = x[q];
      });
      return out;
    },
    scatterAdd(src, idxBuf, idxShape, axis, shape) {
      const out = new Float32Array(numel(shape));
      gatherPositions('scatterAdd', shape, axis, idxBuf as Int32Array, idxShape, (p, q) => {
        out[q] += src[p];
      });
      return out;
    },

    fused: {
      softmax(x, rows, cols) {
        const out = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          let mx = Number.NEGATIVE_INFINITY;
          for (let j = 0; j < cols; j++) if (x[o + j] > mx) mx = x[o + j];
          if (mx === Number.NEGATIVE_INFINITY) mx = 0;
          let s = 0;
          for (let j = 0; j < cols; j++) {
            const e = Math.exp(x[o + j] - mx);
            out[o + j] = e;
            s += e;
          }
          const inv = 1 / s;
          for (let j = 0; j < cols; j++) out[o + j] *= inv;
        }
        return out;
      },
      logSoftmax(x, rows, cols) {
        const out = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          let mx = Number.NEGATIVE_INFINITY;
          for (let j = 0; j < cols; j++) if (x[o + j] > mx) mx = x[o + j];
          if (mx === Number.NEGATIVE_INFINITY) mx = 0;
          let s = 0;
          for (let j = 0; j < cols; j++) s += Math.exp(x[o + j] - mx);
          const lse = mx + Math.log(s);
          for (let j = 0; j < cols; j++) out[o + j] = x[o + j] - lse;
        }
        return out;
      },
      gelu(x, size, approximate) {
        const out = new Float32Array(size);
        if (approximate === 'tanh') {
          const c = Math.sqrt(2 / Math.PI);
          for (let i = 0; i < size; i++) {
            const v = x[i];
            out[i] = 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)));
          }
        } else {
          for (let i = 0; i < size; i++) out[i] = 0.5 * x[i] * (1 + erf(x[i] * Math.SQRT1_2));
        }
        return out;
      },
      silu(x, size) {
        const out = new Float32Array(size);
        for (let i = 0; i < size; i++) out[i] = x[i] / (1 + Math.exp(-x[i]));
        return out;
      },
      layerNorm(x, weight, bias, rows, cols, eps) {
        const y = new Float32Array(rows * cols);
        const mean = new Float32Array(rows);
        const rstd = new Float32Array(rows);
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          let s = 0;
          for (let j = 0; j < cols; j++) s += x[o + j];
          const mu = s / cols;
          let v = 0;
          for (let j = 0; j < cols; j++) v += (x[o + j] - mu) ** 2;
          const rs = 1 / Math.sqrt(v / cols + eps);
          mean[r] = mu;
          rstd[r] = rs;
          for (let j = 0; j < cols; j++) {
            let h = (x[o + j] - mu) * rs;
            if (weight) h *= weight[j];
            if (bias) h += bias[j];
            y[o + j] = h;
          }
        }
        return { y, mean, rstd };
      },
      rmsNorm(x, weight, rows, cols, eps) {
        const y = new Float32Array(rows * cols);
        const rstd = new Float32Array(rows);
        for (let r = 0; r < rows; r++) {
          const o = r * cols;
          let s = 0;
          for (let j = 0; j < cols; j++) s += x[o + j] * x[o + j];
          const rs = 1 / Math.sqrt(s / cols + eps);
          rstd[r] = rs;
          for (let j = 0; j < cols; j++)
            y[o + j] = weight ? x[o + j] * rs * weight[j] : x[o + j] * rs;
        }
        return { y, rstd };
      },
    },
  };
}

export { outerInner };
