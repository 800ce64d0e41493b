import {
  type Backend,
  BINARY_OPS,
  type BinaryOp,
  type ReduceOp,
  UNARY_OPS,
  type UnaryOp,
  type View,
} from '../backend.js';
import { createJsBackend } from '../backends/js.js';
import { arrayFor, type TypedArray } from '../dtype.js';
import { contiguousStrides, numel } from '../shape.js';

/** The functions of the compiled addon (native/binding.cc). Every one checks its arguments. */
export interface NativeAddon {
  info(): { gemmKernel: string; threads: number; arch: string; avx2?: boolean; fma?: boolean };
  setNumThreads(n: number): void;
  copy(
    src: TypedArray,
    srcStrides: readonly number[],
    srcOffset: number,
    dst: TypedArray,
    dstStrides: readonly number[],
    dstOffset: number,
    shape: readonly number[],
  ): void;
  unary(op: number, x: TypedArray, out: TypedArray, n: number): void;
  binary(
    op: number,
    a: TypedArray,
    aStrides: readonly number[],
    aOffset: number,
    b: TypedArray,
    bStrides: readonly number[],
    bOffset: number,
    out: TypedArray,
    shape: readonly number[],
  ): void;
  where(...args: unknown[]): void;
  reduce(op: number, x: TypedArray, outer: number, r: number, inner: number, out: TypedArray): void;
  matmul(...args: unknown[]): void;
  indexSelect(...args: unknown[]): number;
  indexAdd(...args: unknown[]): number;
  gather(...args: unknown[]): number;
  scatterAdd(...args: unknown[]): number;
  softmax(x: TypedArray, rows: number, cols: number, out: TypedArray): void;
  logSoftmax(x: TypedArray, rows: number, cols: number, out: TypedArray): void;
  gelu(x: TypedArray, n: number, tanh: boolean, out: TypedArray): void;
  geluBackward(x: TypedArray, g: TypedArray, n: number, tanh: boolean, dx: TypedArray): void;
  silu(x: TypedArray, n: number, out: TypedArray): void;
  siluBackward(x: TypedArray, g: TypedArray, n: number, dx: TypedArray): void;
  layerNorm(...args: unknown[]): void;
  layerNormBackward(...args: unknown[]): void;
  rmsNorm(...args: unknown[]): void;
  rmsNormBackward(...args: unknown[]): void;
  crossEntropy(...args: unknown[]): number;
  crossEntropyBackward(...args: unknown[]): void;
  attention(...args: unknown[]): void;
  attentionBackward(...args: unknown[]): void;
  adamw(...args: unknown[]): void;
}

const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'argmax', 'argmin'];

function outOfRange(op: string, idx: Int32Array, pos: number, size: number): Error {
  return new Error(
    `${op}: index ${idx[pos]} at position ${pos} is out of range for a dimension of size ${size}`,
  );
}

/**
 * The native backend over a loaded addon. Buffers are ordinary Float32Array / Int32Array
 * (owned by the garbage collector), which the C++ kernels read and write in place: no copies
 * between JS and C++, and nothing to leak.
 */
export function createNativeBackend(addon: NativeAddon): Backend<TypedArray> {
  const js = createJsBackend();
  const f32 = (n: number) => new Float32Array(n);
  const unaryCode = (op: UnaryOp) => UNARY_OPS.indexOf(op);
  const binaryCode = (op: BinaryOp) => BINARY_OPS.indexOf(op);
  const view = (v: View<TypedArray>) => [v.buf, v.strides, v.offset] as const;
  return {
    name: 'native',
    info: () => ({ name: 'native', description: 'C++17 N-API addon', ...addon.info() }),
    fromArray: js.fromArray,
    read: js.read,
    zeros: js.zeros,
    fill: js.fill,
    dispose: () => {},

    contiguous(src, dtype) {
      const out = arrayFor(dtype, numel(src.shape));
      addon.copy(src.buf, src.strides, src.offset, out, contiguousStrides(src.shape), 0, src.shape);
      return out;
    },
    copyInto(src, dst) {
      addon.copy(src.buf, src.strides, src.offset, dst.buf, dst.strides, dst.offset, dst.shape);
    },
    unary(op, x, size) {
      const out = x instanceof Int32Array ? new Int32Array(size) : f32(size);
      addon.unary(unaryCode(op), x, out, size);
      return out;
    },
    binary(op, a, b, outShape, outDtype) {
      const out = arrayFor(outDtype, numel(outShape));
      addon.binary(binaryCode(op), ...view(a), ...view(b), out, outShape);
      return out;
    },
    where(cond, a, b, outShape, outDtype) {
      const out = arrayFor(outDtype, numel(outShape));
      addon.where(...view(cond), ...view(a), ...view(b), out, outShape);
      return out;
    },
    reduce(op, x, dtype, dims) {
      const [outer, r, inner] = dims;
      const arg = op === 'argmax' || op === 'argmin';
      const out = arrayFor(arg ? 'int32' : dtype, outer * inner);
      addon.reduce(REDUCE_OPS.indexOf(op), x, outer, r, inner, out);
      return out;
    },
    matmul(a, b, p) {
      const out = f32(p.batch * p.m * p.n);
      addon.matmul(
        a,
        b,
        out,
        p.batch,
        p.m,
        p.n,
        p.k,
        p.transA,
        p.transB,
        p.aBatchStride,
        p.bBatchStride,
      );
      return out;
    },
    indexSelect(x, dtype, dims, idx, count) {
      const [outer, size, inner] = dims;
      const out = arrayFor(dtype, outer * count * inner);
      const bad = addon.indexSelect(x, outer, size, inner, idx, count, out);
      if (bad >= 0) throw outOfRange('indexSelect', idx as Int32Array, bad, size);
      return out;
    },
    indexAdd(src, dims, idx, count, axisSize) {
      const [outer, , inner] = dims;
      const out = f32(outer * axisSize * inner);
      const bad = addon.indexAdd(src, outer, count, inner, idx, axisSize, out);
      if (bad >= 0) throw outOfRange('indexAdd', idx as Int32Array, bad, axisSize);
      return out;
    },
    gather(x, dtype, shape, axis, idx, idxShape) {
      const out = arrayFor(dtype, numel(idxShape));
      const bad = addon.gather(x, shape, axis, idx, idxShape, out);
      if (bad >= 0) throw outOfRange('gather', idx as Int32Array, bad, shape[axis]);
      return out;
    },
    scatterAdd(src, idx, idxShape, axis, shape) {
      const out = f32(numel(shape));
      const bad = addon.scatterAdd(src, idx, idxShape, axis, shape, out);
      if (bad >= 0) throw outOfRange('scatterAdd', idx as Int32Array, bad, shape[axis]);
      return out;
    },

    fused: {
      softmax(x, rows, cols) {
        const out = f32(rows * cols);
        addon.softmax(x, rows, cols, out);
        return out;
      },
      logSoftmax(x, rows, cols) {
        const out = f32(rows * cols);
        addon.logSoftmax(x, rows, cols, out);
        return out;
      },
      gelu(x, size, approximate) {
        const out = f32(size);
        addon.gelu(x, size, approximate === 'tanh', out);
        return out;
      },
      geluBackward(x, g, size, approximate) {
        const out = f32(size);
        addon.geluBackward(x, g, size, approximate === 'tanh', out);
        return out;
      },
      silu(x, size) {
        const out = f32(size);
        addon.silu(x, size, out);
        return out;
      },
      siluBackward(x, g, size) {
        const out = f32(size);
        addon.siluBackward(x, g, size, out);
        return out;
      },
      layerNorm(x, weight, bias, rows, cols, eps) {
        const y = f32(rows * cols);
        const mean = f32(rows);
        const rstd = f32(rows);
        addon.layerNorm(x, weight, bias, rows, cols, eps, y, mean, rstd);
        return { y, mean, rstd };
      },
      layerNormBackward(x, weight, mean, rstd, g, rows, cols, wantW, wantB) {
        const dx = f32(rows * cols);
        const dw = wantW ? f32(cols) : null;
        const db = wantB ? f32(cols) : null;
        addon.layerNormBackward(x, weight, mean, rstd, g, rows, cols, dx, dw, db);
        return { dx, dw, db };
      },
      rmsNorm(x, weight, rows, cols, eps) {
        const y = f32(rows * cols);
        const rstd = f32(rows);
        addon.rmsNorm(x, weight, rows, cols, eps, y, rstd);
        return { y, rstd };
      },
      rmsNormBackward(x, weight, rstd, g, rows, cols, wantW) {
        const dx = f32(rows * cols);
        const dw = wantW ? f32(cols) : null;
        addon.rmsNormBackward(x, weight, rstd, g, rows, cols, dx, dw);
        return { dx, dw };
      },
      crossEntropy(logits, targets, rows, cols, ignoreIndex) {
        const loss = f32(rows);
        const lse = f32(rows);
        const bad = addon.crossEntropy(logits, targets, rows, cols, ignoreIndex, loss, lse);
        if (bad >= 0) {
          throw new Error(
            `crossEntropy: target ${targets[bad]} at position ${bad} is out of range for ${cols} classes (ignoreIndex is ${ignoreIndex})`,
          );
        }
        return { loss, lse };
      },
      crossEntropyBackward(logits, targets, lse, g, rows, cols, ignoreIndex) {
        const out = f32(rows * cols);
        addon.crossEntropyBackward(logits, targets, lse, g, rows, cols, ignoreIndex, out);
        return out;
      },
      attention(q, k, v, dims, scale, causal) {
        const out = f32(dims.bh * dims.T * dims.dv);
        const lse = f32(dims.bh * dims.T);
        addon.attention(q, k, v, dims.bh, dims.T, dims.S, dims.d, dims.dv, scale, causal, out, lse);
        return { out, lse };
      },
      attentionBackward(q, k, v, out, lse, g, dims, scale, causal) {
        const dq = f32(dims.bh * dims.T * dims.d);
        const dk = f32(dims.bh * dims.S * dims.d);
        const dv = f32(dims.bh * dims.S * dims.dv);
        addon.attentionBackward(
          q,
          k,
          v,
          out,
          lse,
          g,
          dims.bh,
          dims.T,
          dims.S,
          dims.d,
          dims.dv,
          scale,
          causal,
          dq,
          dk,
          dv,
        );
        return { dq, dk, dv };
      },
      adamw(param, grad, m, v, size, h) {
        const bc1 = 1 - h.beta1 ** h.step;
        const bc2 = 1 - h.beta2 ** h.step;
        addon.adamw(
          param,
          grad,
          m,
          v,
          size,
          h.lr,
          h.beta1,
          h.beta2,
          h.eps,
          h.weightDecay,
          bc1,
          bc2,
        );
      },
    },
  };
}
