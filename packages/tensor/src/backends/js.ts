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

const KC = 256; // depth of the packed k-block (A and B panels stay in cache)
const MR = 4; // rows of the register tile
const NR = 4; // columns of the register tile

/**
 * out[m x n] (+)= op(A)[m x k] @ op(B)[k x n] for one batch. Both operands are packed per
 * k-block (transposes handled while packing, no extra copy), then a 4x4 tile of C is
 * accumulated in locals (float64) over the block: 8 loads per 16 multiply-adds.
 */
// biome-ignore format: the register tile reads best as a 4x4 grid
function gemmPacked(
  A: TypedArray,
  aOff: number,
  transA: boolean,
  B: TypedArray,
  bOff: number,
  transB: boolean,
  C: Float32Array,
  cOff: number,
  m: number,
  n: number,
  k: number,
  bp: Float64Array,
  ap: Float64Array,
): void {
  const panels = Math.ceil(n / NR);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    // pack B[p0:p0+kc, :] into panels of NR columns, p-major inside a panel
    for (let jp = 0; jp < panels; jp++) {
      const j0 = jp * NR;
      const base = jp * kc * NR;
      for (let p = 0; p < kc; p++) {
        const pp = p0 + p;
        for (let jj = 0; jj < NR; jj++) {
          const j = j0 + jj;
          bp[base + p * NR + jj] = j < n ? (transB ? B[bOff + j * k + pp] : B[bOff + pp * n + j]) : 0;
        }
      }
    }
    for (let i0 = 0; i0 < m; i0 += MR) {
      const mr = Math.min(MR, m - i0);
      for (let p = 0; p < kc; p++) {
        const pp = p0 + p;
        for (let ii = 0; ii < MR; ii++) {
          const i = i0 + ii;
          ap[p * MR + ii] = ii < mr ? (transA ? A[aOff + pp * m + i] : A[aOff + i * k + pp]) : 0;
        }
      }
      for (let jp = 0; jp < panels; jp++) {
        const j0 = jp * NR;
        const base = jp * kc * NR;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0; p < kc; p++) {
          const o = base + p * NR;
          const q = p * MR;
          const b0 = bp[o], b1 = bp[o + 1], b2 = bp[o + 2], b3 = bp[o + 3];
          const a0 = ap[q], a1 = ap[q + 1], a2 = ap[q + 2], a3 = ap[q + 3];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        const r0 = cOff + i0 * n + j0;
        if (mr === MR && j0 + NR <= n) {
          const r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
          C[r0] += c00; C[r0 + 1] += c01; C[r0 + 2] += c02; C[r0 + 3] += c03;
          C[r1] += c10; C[r1 + 1] += c11; C[r1 + 2] += c12; C[r1 + 3] += c13;
          C[r2] += c20; C[r2 + 1] += c21; C[r2 + 2] += c22; C[r2 + 3] += c23;
          C[r3] += c30; C[r3 + 1] += c31; C[r3 + 2] += c32; C[r3 + 3] += c33;
        } else {
          const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
          const nr = Math.min(NR, n - j0);
          for (let ii = 0; ii < mr; ii++) {
            for (let jj = 0; jj < nr; jj++) C[r0 + ii * n + jj] += tile[ii * NR + jj];
          }
        }
      }
    }
  }
}

function matmul(a: TypedArray, b: TypedArray, p: MatmulParams): Float32Array {
  const { batch, m, n, k } = p;
  const out = new Float32Array(batch * m * n);
  if (m === 0 || n === 0 || k === 0) return out;
  const last = (stride: number, size: number) => (batch - 1) * stride + size;
  if (last(p.aBatchStride, m * k) > a.length || last(p.bBatchStride, k * n) > b.length) {
    throw new Error('js backend: matmul buffers are smaller than their shapes');
  }
  const kc = Math.min(KC, k);
  const bp = new Float64Array(kc * Math.ceil(n / NR) * NR);
  const ap = new Float64Array(kc * MR);
  for (let t = 0; t < batch; t++) {
    gemmPacked(
      a,
      t * p.aBatchStride,
      p.transA,
      b,
      t * p.bBatchStride,
      p.transB,
      out,
      t * m * n,
      m,
      n,
      k,
      bp,
      ap,
    );
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
      adamw(param, grad, m, v, size, h) {
        // PyTorch's single-tensor AdamW order: decay, moments, then the scaled step
        const decay = 1 - h.lr * h.weightDecay;
        const stepSize = h.lr / (1 - h.beta1 ** h.step);
        const sqrtBc2 = Math.sqrt(1 - h.beta2 ** h.step);
        for (let i = 0; i < size; i++) {
          const g = grad[i];
          const mi = h.beta1 * m[i] + (1 - h.beta1) * g;
          const vi = h.beta2 * v[i] + (1 - h.beta2) * g * g;
          m[i] = mi;
          v[i] = vi;
          param[i] = param[i] * decay - stepSize * (mi / (Math.sqrt(vi) / sqrtBc2 + h.eps));
        }
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
