/**
 * The conformance suite: every op's forward against an independent reference (ml-matrix for
 * matmul, float64 loops from the definitions elsewhere) and every gradient against central
 * finite differences, on every backend that loads here. Backends other than `js` are also
 * compared with `js`, forward and gradients. Written once; a new backend gets it by registering.
 */
import { Matrix } from 'ml-matrix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// the gpu backend (gpu.js) joins the suite when it loads here: OELLM_GPU_MODE picks its mode
import '../src/gpu.js';
import * as T from '../src/node.js';
import { type Tensor, tensor } from '../src/node.js';
import { assertGradcheck, type GradcheckOptions } from '../src/testing/index.js';
import { arr, expectClose, type InputSpec, input, values } from './helpers.js';
import type { Arr } from './reference.js';
import * as R from './reference.js';

interface Case {
  name: string;
  inputs: (InputSpec | (() => Tensor))[];
  fn: (...xs: Tensor[]) => Tensor;
  ref?: (...xs: Arr[]) => Arr;
  rtol?: number;
  atol?: number;
  grad?: boolean;
  gradOptions?: GradcheckOptions;
}

const f32 = (x: number) => Math.fround(x);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const geluExact = (x: number) => 0.5 * x * (1 + R.erf(x / Math.SQRT2));
const geluTanh = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const int = (data: number[], shape: number[]) => () => tensor(data, { dtype: 'int32', shape });

const unaryCases: Case[] = [
  { name: 'neg', inputs: [{ shape: [2, 3] }], fn: T.neg, ref: (a) => R.map(a, (x) => -x) },
  { name: 'exp', inputs: [{ shape: [2, 3] }], fn: T.exp, ref: (a) => R.map(a, Math.exp) },
  {
    name: 'log',
    inputs: [{ shape: [2, 3], lo: 0.2, hi: 3 }],
    fn: T.log,
    ref: (a) => R.map(a, Math.log),
  },
  {
    name: 'sqrt',
    inputs: [{ shape: [5], lo: 0.2, hi: 3 }],
    fn: T.sqrt,
    ref: (a) => R.map(a, Math.sqrt),
  },
  {
    name: 'rsqrt',
    inputs: [{ shape: [5], lo: 0.3, hi: 3 }],
    fn: T.rsqrt,
    ref: (a) => R.map(a, (x) => 1 / Math.sqrt(x)),
  },
  { name: 'abs', inputs: [{ shape: [6], away: 0.1 }], fn: T.abs, ref: (a) => R.map(a, Math.abs) },
  { name: 'tanh', inputs: [{ shape: [2, 3] }], fn: T.tanh, ref: (a) => R.map(a, Math.tanh) },
  {
    name: 'sigmoid',
    inputs: [{ shape: [2, 3], lo: -6, hi: 6 }],
    fn: T.sigmoid,
    ref: (a) => R.map(a, sigmoid),
  },
  { name: 'erf', inputs: [{ shape: [7] }], fn: T.erf, ref: (a) => R.map(a, R.erf) },
  { name: 'sin', inputs: [{ shape: [4] }], fn: T.sin, ref: (a) => R.map(a, Math.sin) },
  { name: 'cos', inputs: [{ shape: [4] }], fn: T.cos, ref: (a) => R.map(a, Math.cos) },
  {
    name: 'reciprocal',
    inputs: [{ shape: [5], away: 0.3 }],
    fn: T.reciprocal,
    ref: (a) => R.map(a, (x) => 1 / x),
  },
  {
    name: 'relu',
    inputs: [{ shape: [2, 4], away: 0.05 }],
    fn: T.relu,
    ref: (a) => R.map(a, (x) => Math.max(0, x)),
  },
  {
    name: 'gelu (exact)',
    inputs: [{ shape: [2, 5], lo: -4, hi: 4 }],
    fn: (x) => T.gelu(x),
    ref: (a) => R.map(a, geluExact),
  },
  {
    name: 'gelu (tanh)',
    inputs: [{ shape: [2, 5], lo: -4, hi: 4 }],
    fn: (x) => T.gelu(x, { approximate: 'tanh' }),
    ref: (a) => R.map(a, geluTanh),
  },
  {
    name: 'silu',
    inputs: [{ shape: [2, 5], lo: -5, hi: 5 }],
    fn: T.silu,
    ref: (a) => R.map(a, (x) => x * sigmoid(x)),
  },
  {
    name: 'clamp',
    inputs: [{ shape: [8], lo: -3, hi: 3, distinct: true }],
    fn: (x) => T.clamp(x, -1, 1.2),
    ref: (a) => R.map(a, (x) => Math.min(1.2, Math.max(-1, x))),
  },
  {
    name: 'pow (scalar exponent)',
    inputs: [{ shape: [2, 3], lo: 0.2, hi: 2 }],
    fn: (x) => T.pow(x, 3),
    ref: (a) => R.map(a, (x) => x ** 3),
  },
];

const binaryCases: Case[] = [
  {
    name: 'add (broadcast)',
    inputs: [{ shape: [2, 3] }, { shape: [3], seed: 9 }],
    fn: T.add,
    ref: (a, b) => R.zip(a, b, (x, y) => x + y),
  },
  {
    name: 'sub (both broadcast)',
    inputs: [{ shape: [2, 1, 3] }, { shape: [4, 1], seed: 9 }],
    fn: T.sub,
    ref: (a, b) => R.zip(a, b, (x, y) => x - y),
  },
  {
    name: 'mul',
    inputs: [{ shape: [3, 2] }, { shape: [3, 2], seed: 3 }],
    fn: T.mul,
    ref: (a, b) => R.zip(a, b, (x, y) => x * y),
  },
  {
    name: 'div',
    inputs: [{ shape: [2, 3] }, { shape: [2, 1], away: 0.5, seed: 5 }],
    fn: T.div,
    ref: (a, b) => R.zip(a, b, (x, y) => x / y),
  },
  {
    name: 'pow (tensor exponent)',
    inputs: [
      { shape: [2, 3], lo: 0.3, hi: 2 },
      { shape: [3], lo: -1.5, hi: 2, seed: 11 },
    ],
    fn: T.pow,
    ref: (a, b) => R.zip(a, b, (x, y) => x ** y),
  },
  {
    name: 'maximum',
    inputs: [
      { shape: [2, 3], distinct: true },
      { shape: [2, 3], distinct: true, seed: 4, lo: -1.9, hi: 2.1 },
    ],
    fn: T.maximum,
    ref: (a, b) => R.zip(a, b, Math.max),
  },
  {
    name: 'minimum',
    inputs: [
      { shape: [2, 3], distinct: true },
      { shape: [3], distinct: true, seed: 4, lo: -1.9, hi: 2.1 },
    ],
    fn: T.minimum,
    ref: (a, b) => R.zip(a, b, Math.min),
  },
  {
    name: 'scalar operand',
    inputs: [{ shape: [2, 2] }],
    fn: (x) => T.sub(2.5, T.mul(x, -3)),
    ref: (a) => R.map(a, (x) => 2.5 - f32(x * -3)),
  },
  {
    name: 'where',
    inputs: [int([1, 0, 0, 1, 1, 0], [2, 3]), { shape: [2, 3] }, { shape: [3], seed: 2 }],
    fn: (c, a, b) => T.where(c, a, b),
    ref: (c, a, b) =>
      R.zip(
        R.zip(c, a, (cc, x) => (cc ? x : Number.NaN)),
        R.zip(c, b, (cc, y) => (cc ? Number.NaN : y)),
        (x, y) => (Number.isNaN(x) ? y : x),
      ),
  },
  {
    name: 'maskedFill',
    inputs: [{ shape: [2, 3] }, int([0, 1, 1], [3])],
    fn: (x, m) => T.maskedFill(x, m, -7),
    ref: (x, m) => R.zip(x, m, (v, mm) => (mm ? -7 : v)),
  },
];

const comparisonOps = { eq: T.eq, ne: T.ne, lt: T.lt, le: T.le, gt: T.gt, ge: T.ge };
const comparisonCases: Case[] = (['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).map((op) => ({
  name: op,
  inputs: [() => tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }), () => tensor([2, 2, 4])],
  fn: (a: Tensor, b: Tensor) => comparisonOps[op](a, b),
  ref: (a: Arr, b: Arr) =>
    R.zip(a, b, (x, y) =>
      Number({ eq: x === y, ne: x !== y, lt: x < y, le: x <= y, gt: x > y, ge: x >= y }[op]),
    ),
  grad: false,
}));

const mlMatmul = (a: Arr, b: Arr): Arr => {
  const A = new Matrix(a.shape[0], a.shape[1]);
  const B = new Matrix(b.shape[0], b.shape[1]);
  a.data.forEach((v, i) => {
    A.set(Math.floor(i / a.shape[1]), i % a.shape[1], v);
  });
  b.data.forEach((v, i) => {
    B.set(Math.floor(i / b.shape[1]), i % b.shape[1], v);
  });
  const C = A.mmul(B);
  return { shape: [C.rows, C.columns], data: C.to1DArray() };
};

const matmulCases: Case[] = [
  {
    name: 'matmul 2-D (ml-matrix)',
    inputs: [{ shape: [3, 4] }, { shape: [4, 5], seed: 3 }],
    fn: T.matmul,
    ref: mlMatmul,
  },
  {
    name: 'matmul odd sizes (ml-matrix)',
    inputs: [{ shape: [7, 9] }, { shape: [9, 6], seed: 3 }],
    fn: T.matmul,
    ref: mlMatmul,
    gradOptions: { maxElements: 20 },
  },
  {
    name: 'matmul across cache blocks and row groups (ml-matrix)',
    inputs: [{ shape: [9, 300] }, { shape: [300, 520], seed: 3 }],
    fn: T.matmul,
    ref: mlMatmul,
    rtol: 1e-4,
    atol: 1e-4,
    grad: false,
  },
  {
    name: 'matmul transposed operands',
    inputs: [{ shape: [4, 3] }, { shape: [5, 4], seed: 3 }],
    fn: (a, b) => T.matmul(a.mT, b.mT),
    ref: (a, b) => mlMatmul(R.permute(a, [1, 0]), R.permute(b, [1, 0])),
  },
  {
    name: 'matmul batched with broadcast batch dims',
    inputs: [{ shape: [2, 1, 2, 3] }, { shape: [3, 3, 4], seed: 3 }],
    fn: T.matmul,
    ref: R.bmm,
    gradOptions: { maxElements: 24 },
  },
  {
    name: 'matmul batched @ 2-D weight',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4, 2], seed: 3 }],
    fn: T.matmul,
    ref: R.bmm,
  },
  {
    name: 'matmul vector @ matrix',
    inputs: [{ shape: [3] }, { shape: [3, 2], seed: 3 }],
    fn: T.matmul,
    ref: (a, b) => {
      const r = mlMatmul({ shape: [1, 3], data: a.data }, b);
      return { shape: [2], data: r.data };
    },
  },
  {
    name: 'matmul matrix @ vector',
    inputs: [{ shape: [2, 3] }, { shape: [3], seed: 3 }],
    fn: T.matmul,
    ref: (a, b) => ({ shape: [2], data: mlMatmul(a, { shape: [3, 1], data: b.data }).data }),
  },
  {
    name: 'matmul of a sliced (strided) view',
    inputs: [{ shape: [4, 6] }, { shape: [3, 2], seed: 3 }],
    fn: (a, b) => T.matmul(a.slice(1, 0, 6, 2), b),
    ref: (a, b) => {
      const s: Arr = { shape: [4, 3], data: a.data.filter((_, i) => i % 2 === 0) };
      return mlMatmul(s, b);
    },
  },
];

const reduceCases: Case[] = [
  {
    name: 'sum all',
    inputs: [{ shape: [2, 3, 2] }],
    fn: (x) => T.sum(x),
    ref: (a) => R.reduce(a, [0, 1, 2], sum),
  },
  {
    name: 'sum axis 1',
    inputs: [{ shape: [2, 3, 2] }],
    fn: (x) => T.sum(x, 1),
    ref: (a) => R.reduce(a, [1], sum),
  },
  {
    name: 'sum axes [0,2] keepdim',
    inputs: [{ shape: [2, 3, 2] }],
    fn: (x) => T.sum(x, [0, -1], true),
    ref: (a) => R.reduce(a, [0, 2], sum, true),
  },
  {
    name: 'mean axis -1',
    inputs: [{ shape: [3, 4] }],
    fn: (x) => T.mean(x, -1),
    ref: (a) => R.reduce(a, [1], (v) => sum(v) / v.length),
  },
  {
    name: 'max axis 0',
    inputs: [{ shape: [3, 4], distinct: true }],
    fn: (x) => T.max(x, 0),
    ref: (a) => R.reduce(a, [0], (v) => Math.max(...v)),
  },
  {
    name: 'max all (ties split the gradient)',
    inputs: [() => tensor([1, 3, 3, -2], { requiresGrad: true })],
    fn: (x) => T.max(x),
    ref: () => ({ shape: [], data: [3] }),
  },
  {
    name: 'min axes [0,2]',
    inputs: [{ shape: [2, 3, 2], distinct: true }],
    fn: (x) => T.min(x, [0, 2]),
    ref: (a) => R.reduce(a, [0, 2], (v) => Math.min(...v)),
  },
  {
    name: 'var (unbiased)',
    inputs: [{ shape: [3, 5] }],
    fn: (x) => T.variance(x, 1),
    ref: (a) =>
      R.reduce(a, [1], (v) => {
        const m = sum(v) / v.length;
        return sum(v.map((x) => (x - m) ** 2)) / (v.length - 1);
      }),
  },
  {
    name: 'var (population, keepdim)',
    inputs: [{ shape: [4, 3] }],
    fn: (x) => T.variance(x, 0, { correction: 0, keepdim: true }),
    ref: (a) =>
      R.reduce(
        a,
        [0],
        (v) => {
          const m = sum(v) / v.length;
          return sum(v.map((x) => (x - m) ** 2)) / v.length;
        },
        true,
      ),
  },
  {
    name: 'logsumexp',
    inputs: [{ shape: [3, 4], lo: -20, hi: 20 }],
    fn: (x) => T.logsumexp(x, -1),
    ref: (a) =>
      R.reduce(a, [1], (v) => {
        const m = Math.max(...v);
        return m + Math.log(sum(v.map((x) => Math.exp(x - m))));
      }),
  },
  {
    name: 'argmax axis 1',
    inputs: [
      () =>
        tensor([
          [1, 5, 5],
          [7, -1, 2],
        ]),
    ],
    fn: (x) => T.argmax(x, 1),
    ref: () => ({ shape: [2], data: [1, 0] }),
    grad: false,
  },
  {
    name: 'argmin flattened',
    inputs: [
      () =>
        tensor([
          [1, 5, -5],
          [7, -5, 2],
        ]),
    ],
    fn: (x) => T.argmin(x),
    ref: () => ({ shape: [], data: [2] }),
    grad: false,
  },
];

const softmaxRef = (a: Arr) => R.rows(a, R.softmaxRow);
const nnCases: Case[] = [
  {
    name: 'softmax',
    inputs: [{ shape: [3, 5], lo: -4, hi: 4 }],
    fn: (x) => T.softmax(x),
    ref: softmaxRef,
  },
  {
    name: 'softmax axis 0',
    inputs: [{ shape: [4, 3], lo: -4, hi: 4 }],
    fn: (x) => T.softmax(x, 0),
    ref: (a) => R.permute(softmaxRef(R.permute(a, [1, 0])), [1, 0]),
  },
  {
    name: 'softmax of large logits',
    inputs: [
      () =>
        tensor(
          [
            [1000, 1001, 999],
            [-1000, -1001, -999],
          ],
          { requiresGrad: true },
        ),
    ],
    fn: (x) => T.softmax(x),
    ref: softmaxRef,
    grad: false,
  },
  {
    name: 'logSoftmax',
    inputs: [{ shape: [3, 5], lo: -4, hi: 4 }],
    fn: (x) => T.logSoftmax(x),
    ref: (a) => R.rows(a, (r) => R.softmaxRow(r).map(Math.log)),
  },
  {
    name: 'crossEntropy mean with ignoreIndex',
    inputs: [{ shape: [4, 5] }, int([1, -100, 4, 0], [4])],
    fn: (l, t) => T.crossEntropy(l, t),
    ref: (l) => {
      const t = [1, -100, 4, 0];
      const losses = t.map((c, i) =>
        c < 0 ? 0 : -Math.log(R.softmaxRow(l.data.slice(i * 5, i * 5 + 5))[c]),
      );
      return { shape: [], data: [sum(losses) / 3] };
    },
  },
  {
    name: 'crossEntropy none over [B,T,C]',
    inputs: [{ shape: [2, 2, 3] }, int([2, 0, 1, 1], [2, 2])],
    fn: (l, t) => T.crossEntropy(l, t, { reduction: 'none' }),
    ref: (l) => {
      const t = [2, 0, 1, 1];
      return {
        shape: [2, 2],
        data: t.map((c, i) => -Math.log(R.softmaxRow(l.data.slice(i * 3, i * 3 + 3))[c])),
      };
    },
  },
  {
    name: 'crossEntropy sum',
    inputs: [{ shape: [3, 4] }, int([3, 3, 0], [3])],
    fn: (l, t) => T.crossEntropy(l, t, { reduction: 'sum' }),
    ref: (l) => {
      const t = [3, 3, 0];
      return {
        shape: [],
        data: [sum(t.map((c, i) => -Math.log(R.softmaxRow(l.data.slice(i * 4, i * 4 + 4))[c])))],
      };
    },
  },
  {
    name: 'layerNorm with weight and bias',
    inputs: [{ shape: [3, 6] }, { shape: [6], seed: 3 }, { shape: [6], seed: 4 }],
    fn: (x, w, b) => T.layerNorm(x, { weight: w, bias: b }),
    ref: (x, w, b) => {
      const y = R.rows(x, (r) => {
        const m = sum(r) / r.length;
        const v = sum(r.map((a) => (a - m) ** 2)) / r.length;
        return r.map((a) => (a - m) / Math.sqrt(v + 1e-5));
      });
      return R.zip(
        R.zip(y, w, (a, c) => a * c),
        b,
        (a, c) => a + c,
      );
    },
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: 'layerNorm without affine',
    inputs: [{ shape: [2, 2, 4] }],
    fn: (x) => T.layerNorm(x, { eps: 1e-3 }),
    ref: (x) =>
      R.rows(x, (r) => {
        const m = sum(r) / r.length;
        const v = sum(r.map((a) => (a - m) ** 2)) / r.length;
        return r.map((a) => (a - m) / Math.sqrt(v + 1e-3));
      }),
    rtol: 1e-4,
    atol: 1e-5,
  },
  {
    name: 'rmsNorm with weight',
    inputs: [{ shape: [3, 5] }, { shape: [5], seed: 3 }],
    fn: (x, w) => T.rmsNorm(x, { weight: w, eps: 1e-5 }),
    ref: (x, w) =>
      R.zip(
        R.rows(x, (r) => {
          const ms = sum(r.map((a) => a * a)) / r.length;
          return r.map((a) => a / Math.sqrt(ms + 1e-5));
        }),
        w,
        (a, c) => a * c,
      ),
    rtol: 1e-4,
    atol: 1e-5,
  },
];

function attentionRef(
  q: Arr,
  k: Arr,
  v: Arr,
  scale: number,
  allow: (i: number, j: number) => boolean,
): Arr {
  const [B, Tq, D] = q.shape;
  const S = k.shape[1];
  const Dv = v.shape[2];
  const data: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < Tq; i++) {
      const s: number[] = [];
      for (let j = 0; j < S; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++)
          dot += q.data[(b * Tq + i) * D + d] * k.data[(b * S + j) * D + d];
        s.push(allow(i, j) ? dot * scale : Number.NEGATIVE_INFINITY);
      }
      const p = R.softmaxRow(s);
      for (let e = 0; e < Dv; e++) {
        let acc = 0;
        for (let j = 0; j < S; j++) acc += p[j] * v.data[(b * S + j) * Dv + e];
        data.push(acc);
      }
    }
  }
  return { shape: [B, Tq, Dv], data };
}

const attentionCases: Case[] = [
  {
    name: 'attention causal',
    inputs: [{ shape: [2, 4, 3] }, { shape: [2, 4, 3], seed: 2 }, { shape: [2, 4, 2], seed: 3 }],
    fn: (q, k, v) => T.scaledDotProductAttention(q, k, v, { causal: true }),
    ref: (q, k, v) => attentionRef(q, k, v, 1 / Math.sqrt(3), (i, j) => j <= i),
    rtol: 1e-4,
    atol: 1e-5,
    gradOptions: { maxElements: 12 },
  },
  {
    name: 'attention with int32 mask and scale',
    inputs: [
      { shape: [1, 3, 2] },
      { shape: [1, 4, 2], seed: 2 },
      { shape: [1, 4, 3], seed: 3 },
      int([1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1], [3, 4]),
    ],
    fn: (q, k, v, m) => T.scaledDotProductAttention(q, k, v, { mask: m, scale: 0.7 }),
    ref: (q, k, v) => {
      const m = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1];
      return attentionRef(q, k, v, 0.7, (i, j) => m[i * 4 + j] === 1);
    },
    rtol: 1e-4,
    atol: 1e-5,
  },
];

const attentionNonCausal: Case = {
  name: 'attention non-causal, 4-D heads, T != S',
  inputs: [
    { shape: [2, 2, 3, 4] },
    { shape: [2, 2, 5, 4], seed: 2 },
    { shape: [2, 2, 5, 3], seed: 3 },
  ],
  fn: (q, k, v) => T.scaledDotProductAttention(q, k, v),
  ref: (q, k, v) => {
    const r = attentionRef(
      { shape: [4, 3, 4], data: q.data },
      { shape: [4, 5, 4], data: k.data },
      { shape: [4, 5, 3], data: v.data },
      0.5,
      () => true,
    );
    return { shape: [2, 2, 3, 3], data: r.data };
  },
  rtol: 1e-4,
  atol: 1e-5,
  gradOptions: { maxElements: 12 },
};
attentionCases.push(attentionNonCausal);

const movementCases: Case[] = [
  {
    name: 'reshape',
    inputs: [{ shape: [2, 6] }],
    fn: (x) => x.reshape(3, -1).mul(2),
    ref: (a) => ({ shape: [3, 4], data: a.data.map((v) => 2 * v) }),
  },
  {
    name: 'reshape of a transposed view',
    inputs: [{ shape: [2, 3] }],
    fn: (x) => x.transpose(0, 1).reshape([6]),
    ref: (a) => ({ shape: [6], data: R.permute(a, [1, 0]).data }),
  },
  {
    name: 'permute',
    inputs: [{ shape: [2, 3, 4] }],
    fn: (x) => x.permute(2, 0, 1).mul(1),
    ref: (a) => R.permute(a, [2, 0, 1]),
  },
  {
    name: 'transpose',
    inputs: [{ shape: [2, 3, 4] }],
    fn: (x) => T.transpose(x, 0, 2).mul(1),
    ref: (a) => R.permute(a, [2, 1, 0]),
  },
  {
    name: 'squeeze / unsqueeze',
    inputs: [{ shape: [2, 1, 3] }],
    fn: (x) => x.squeeze(1).unsqueeze(0).mul(1),
    ref: (a) => ({ shape: [1, 2, 3], data: a.data }),
  },
  {
    name: 'expand',
    inputs: [{ shape: [3, 1] }],
    fn: (x) => x.expand(2, 3, 4).mul(1),
    ref: (a) => R.zip(a, { shape: [2, 3, 4], data: new Array(24).fill(1) }, (x) => x),
  },
  {
    name: 'slice with step',
    inputs: [{ shape: [3, 7] }],
    fn: (x) => x.slice(1, 1, -1, 2).mul(1),
    ref: (a) => ({
      shape: [3, 3],
      data: [0, 1, 2].flatMap((r) => [1, 3, 5].map((c) => a.data[r * 7 + c])),
    }),
  },
  {
    name: 'narrow',
    inputs: [{ shape: [4, 3] }],
    fn: (x) => x.narrow(0, 1, 2).mul(1),
    ref: (a) => ({ shape: [2, 3], data: a.data.slice(3, 9) }),
  },
  {
    name: 'cat',
    inputs: [{ shape: [2, 3] }, { shape: [2, 2], seed: 3 }],
    fn: (a, b) => T.cat([a, b], 1),
    ref: (a, b) => ({
      shape: [2, 5],
      data: [0, 1].flatMap((r) => [
        ...a.data.slice(r * 3, r * 3 + 3),
        ...b.data.slice(r * 2, r * 2 + 2),
      ]),
    }),
  },
  {
    name: 'stack',
    inputs: [{ shape: [2, 2] }, { shape: [2, 2], seed: 3 }],
    fn: (a, b) => T.stack([a, b], 1),
    ref: (a, b) => ({
      shape: [2, 2, 2],
      data: [...a.data.slice(0, 2), ...b.data.slice(0, 2), ...a.data.slice(2), ...b.data.slice(2)],
    }),
  },
  {
    name: 'split (last piece smaller), recombined',
    inputs: [{ shape: [5, 2] }],
    fn: (x) => {
      const [a, b, c] = x.split(2);
      return T.cat([c, a.mul(2), b.mul(3)], 0);
    },
    ref: (a) => ({
      shape: [5, 2],
      data: [
        ...a.data.slice(8),
        ...a.data.slice(0, 4).map((v) => 2 * v),
        ...a.data.slice(4, 8).map((v) => 3 * v),
      ],
    }),
  },
  {
    name: 'triu',
    inputs: [{ shape: [2, 3, 3] }],
    fn: (x) => x.triu(),
    ref: (a) => ({
      shape: [2, 3, 3],
      data: a.data.map((v, i) => (i % 3 >= Math.floor(i / 3) % 3 ? v : 0)),
    }),
  },
  {
    name: 'tril with diagonal -1',
    inputs: [{ shape: [3, 4] }],
    fn: (x) => x.tril(-1),
    ref: (a) => ({
      shape: [3, 4],
      data: a.data.map((v, i) => (i % 4 <= Math.floor(i / 4) - 1 ? v : 0)),
    }),
  },
];

const indexCases: Case[] = [
  {
    name: 'gather axis 1',
    inputs: [{ shape: [3, 4] }, int([3, 0, 1, 1, 2, 2], [3, 2])],
    fn: (x, i) => T.gather(x, 1, i),
    ref: (x) => {
      const idx = [3, 0, 1, 1, 2, 2];
      return { shape: [3, 2], data: idx.map((c, p) => x.data[Math.floor(p / 2) * 4 + c]) };
    },
  },
  {
    name: 'gather axis 0',
    inputs: [{ shape: [3, 2] }, int([2, 0, 0, 0], [2, 2])],
    fn: (x, i) => T.gather(x, 0, i),
    ref: (x) => ({ shape: [2, 2], data: [x.data[4], x.data[1], x.data[0], x.data[1]] }),
  },
  {
    name: 'embedding with repeated ids',
    inputs: [{ shape: [5, 3] }, int([4, 1, 4, 0, 4, 2], [2, 3])],
    fn: (w, ids) => T.embedding(ids, w),
    ref: (w) => ({
      shape: [2, 3, 3],
      data: [4, 1, 4, 0, 4, 2].flatMap((r) => w.data.slice(r * 3, r * 3 + 3)),
    }),
  },
  {
    name: 'indexSelect axis 1',
    inputs: [{ shape: [2, 4] }, int([3, 3, 1], [3])],
    fn: (x, i) => T.indexSelect(x, 1, i),
    ref: (x) => ({
      shape: [2, 3],
      data: [0, 1].flatMap((r) => [3, 3, 1].map((c) => x.data[r * 4 + c])),
    }),
  },
];

const allCases: [string, Case[]][] = [
  ['unary', unaryCases],
  ['binary', binaryCases],
  ['comparison', comparisonCases],
  ['matmul', matmulCases],
  ['reduction', reduceCases],
  ['nn', nnCases],
  ['attention', attentionCases],
  ['movement', movementCases],
  ['indexing', indexCases],
];

function build(c: Case): Tensor[] {
  return c.inputs.map((s) => (typeof s === 'function' ? s() : input(s)));
}

/** Runs forward and backward with a fixed output gradient; returns host copies. */
function runOnce(c: Case): { out: Arr; grads: (Arr | null)[] } {
  const xs = build(c);
  const y = c.fn(...xs);
  const grads: (Arr | null)[] = xs.map(() => null);
  if (y.requiresGrad) {
    const g = tensor(values({ shape: [...y.shape], seed: 99 }), { shape: [...y.shape] });
    y.backward(g);
    xs.forEach((x, i) => {
      if (x.requiresGrad) grads[i] = x.grad ? arr(x.grad) : null;
    });
  }
  return { out: arr(y), grads };
}

const backends = T.listBackends()
  .filter((b) => b.available)
  .map((b) => b.name);

it('the native backend loads where CI requires it (OELLM_REQUIRE_NATIVE=1)', () => {
  const native = T.listBackends().find((b) => b.name === 'native');
  expect(native, 'the Node entry registers the native backend').toBeDefined();
  if (process.env.OELLM_REQUIRE_NATIVE === '1') expect(native?.error ?? 'ok').toBe('ok');
});

it('the gpu backend loads where CI requires it (OELLM_REQUIRE_GPU=1), else says why not', () => {
  const gpu = T.listBackends().find((b) => b.name === 'gpu');
  expect(gpu, 'importing @openeurollm/tensor/gpu registers the gpu backend').toBeDefined();
  if (process.env.OELLM_REQUIRE_GPU === '1') expect(gpu?.error ?? 'ok').toBe('ok');
  if (!gpu?.available) {
    console.warn(`conformance: the gpu backend is skipped here: ${gpu?.error}`);
    return;
  }
  const info = T.withBackend('gpu', () => T.getBackend().info());
  console.info(
    `conformance: gpu backend in ${info.mode} mode (${info.modeReason}); ${info.precision}`,
  );
  if (process.env.OELLM_GPU_MODE) expect(info.mode).toBe(process.env.OELLM_GPU_MODE);
});

describe.each(backends)('conformance on the %s backend', (backendName) => {
  let previous: string;
  beforeAll(() => {
    previous = T.getBackend().name;
    T.setBackend(backendName);
  });
  afterAll(() => {
    T.setBackend(previous);
  });

  for (const [group, cases] of allCases) {
    describe(group, () => {
      for (const c of cases) {
        it(`${c.name}: forward matches the reference`, () => {
          const xs = build(c);
          const y = c.fn(...xs);
          expect(y.backend.name).toBe(backendName);
          if (c.ref) expectClose(y, c.ref(...xs.map(arr)), c.rtol ?? 1e-5, c.atol ?? 1e-6);
        });
        if (c.grad !== false) {
          it(`${c.name}: gradient matches finite differences`, () => {
            assertGradcheck(c.fn, build(c), c.gradOptions);
          });
        }
        if (backendName !== 'js') {
          it(`${c.name}: forward and gradients match the js backend`, () => {
            const here = runOnce(c);
            const js = T.withBackend('js', () => runOnce(c));
            expectClose(here.out, js.out, 1e-4, 1e-5);
            here.grads.forEach((g, i) => {
              if (g && js.grads[i]) expectClose(g, js.grads[i]!, 1e-4, 1e-5);
            });
          });
        }
      }
    });
  }

  describe('adamwUpdate', () => {
    const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 };
    const reference = () => {
      const p = values({ shape: [7], seed: 1 });
      const g = values({ shape: [7], seed: 2 });
      const m = values({ shape: [7], seed: 3 });
      const v = values({ shape: [7], seed: 4, lo: 0.01, hi: 1 });
      const bc1 = 1 - 0.9 ** 3;
      const bc2 = 1 - 0.95 ** 3;
      const out = p.map((pi, i) => {
        const mi = 0.9 * m[i] + 0.1 * g[i];
        const vi = 0.95 * v[i] + 0.05 * g[i] * g[i];
        return {
          p: pi - 0.01 * (mi / bc1 / (Math.sqrt(vi / bc2) + 1e-8) + 0.1 * pi),
          m: mi,
          v: vi,
        };
      });
      return { p, g, m, v, out };
    };
    for (const fused of [true, false]) {
      it(`updates param, m and v in place (${fused ? 'fused' : 'composed'})`, () => {
        const r = reference();
        const p = tensor(r.p);
        const m = tensor(r.m);
        const v = tensor(r.v);
        const old = T.setFusedKernelsEnabled(fused);
        try {
          T.adamwUpdate(p, tensor(r.g), m, v, hyper);
        } finally {
          T.setFusedKernelsEnabled(old);
        }
        expectClose(p, { shape: [7], data: r.out.map((o) => o.p) }, 1e-5, 1e-6);
        expectClose(m, { shape: [7], data: r.out.map((o) => o.m) }, 1e-5, 1e-6);
        expectClose(v, { shape: [7], data: r.out.map((o) => o.v) }, 1e-5, 1e-6);
      });
    }
    it('first step from zero state with beta2 = 0.999: v = (1 - b2) g^2 to float32 precision (PyTorch computes 1 - b2 in double)', () => {
      for (const fused of [true, false]) {
        const g = values({ shape: [9], seed: 5 });
        const p = tensor(g.map(() => 0.5));
        const m = T.zeros([9]);
        const v = T.zeros([9]);
        const old = T.setFusedKernelsEnabled(fused);
        try {
          T.adamwUpdate(p, tensor(g), m, v, { ...hyper, beta2: 0.999, step: 1 });
        } finally {
          T.setFusedKernelsEnabled(old);
        }
        expectClose(v, { shape: [9], data: g.map((x) => 0.001 * x * x) }, 1e-6, 0);
        expectClose(m, { shape: [9], data: g.map((x) => 0.1 * x) }, 1e-6, 0);
      }
    });
    it('rejects views and mismatched state', () => {
      const p = T.zeros([4]);
      expect(() => T.adamwUpdate(p, T.zeros([4]), T.zeros([5]), T.zeros([4]), hyper)).toThrow(
        /m must be float32 of shape \[4\]/,
      );
      expect(() =>
        T.adamwUpdate(T.zeros([8]).slice(0, 0, 4), T.zeros([4]), T.zeros([4]), T.zeros([4]), hyper),
      ).toThrow(/param must be a float32 tensor that owns dense storage/);
      expect(() =>
        T.adamwUpdate(p, T.zeros([4]), T.zeros([4]), T.zeros([4]), { ...hyper, step: 0 }),
      ).toThrow(/step/);
    });
  });

  describe('fused kernels agree with their composed definitions', () => {
    const fusedCases: [string, Case][] = [
      ['softmax', nnCases[0]],
      ['logSoftmax', nnCases[3]],
      ['gelu', unaryCases.find((c) => c.name === 'gelu (exact)')!],
      ['gelu', unaryCases.find((c) => c.name === 'gelu (tanh)')!],
      ['silu', unaryCases.find((c) => c.name === 'silu')!],
      ['layerNorm', nnCases.find((c) => c.name === 'layerNorm with weight and bias')!],
      ['rmsNorm', nnCases.find((c) => c.name === 'rmsNorm with weight')!],
      ['crossEntropy', nnCases.find((c) => c.name === 'crossEntropy mean with ignoreIndex')!],
      ['crossEntropy', nnCases.find((c) => c.name === 'crossEntropy none over [B,T,C]')!],
      ['attention', attentionCases.find((c) => c.name === 'attention causal')!],
      ['attention', attentionNonCausal],
    ];
    for (const [kernel, c] of fusedCases) {
      it(`${c.name}: fused (${kernel}) and composed give the same values and gradients`, () => {
        const fused = runOnce(c);
        const old = T.setFusedKernelsEnabled(false);
        try {
          const composed = runOnce(c);
          expectClose(fused.out, composed.out, 1e-5, 1e-6);
          fused.grads.forEach((g, i) => {
            if (g) expectClose(g, composed.grads[i]!, 1e-4, 1e-6);
          });
          assertGradcheck(c.fn, build(c), c.gradOptions);
        } finally {
          T.setFusedKernelsEnabled(old);
        }
      });
    }
  });
});
