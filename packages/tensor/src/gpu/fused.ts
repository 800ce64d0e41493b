/**
 * The gpu backend's fused kernels: softmax and log-softmax, cross-entropy, GELU / SiLU, layer
 * and RMS norm (forward and backward), attention and AdamW. Each is a few gpu.js kernels (per-row
 * statistics first, then one elementwise pass) computing what the composed definition computes.
 * Attention materialises the [T, S] probabilities: a fragment shader has no shared memory to
 * stream keys through, and the two matmuls around it are the same kernels as `matmul`.
 */
import type { Backend, FusedKernels, MatmulParams } from '../backend.js';
import { divmod, erfOf, KernelSource, lit, sigmoidOf, tanhOf } from './codegen.js';
import type { GpuBuf, GpuDevice, KernelArg } from './device.js';
import { sumLoop } from './loops.js';

/**
 * Options of the per-row softmax statistics: x is multiplied by `scale` first, and with
 * `causalT` row i of each [T, S] block keeps only the columns j <= i mod T (causal attention).
 */
interface RowOptions {
  scale?: number;
  causalT?: number;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function createFusedKernels(
  device: GpuDevice,
  backend: Backend<GpuBuf>,
): FusedKernels<GpuBuf> {
  const run = (op: string, k: KernelSource, result: string, n: number, args: KernelArg[]) =>
    device.run(op, k.build(result), n, args, 'float32');
  const free = (...bufs: (GpuBuf | null)[]) => {
    for (const b of bufs) if (b) device.dispose(b);
  };

  /** Emits the value of column `j` of the row at `base` and the column limit (or null). */
  const rowReader = (k: KernelSource, cols: number, opts: RowOptions) => {
    const base = k.let(`i * ${lit(cols)}`);
    const sc = opts.scale ?? 1;
    const val = (j: string) => (sc === 1 ? `x[${base} + ${j}]` : `x[${base} + ${j}] * ${lit(sc)}`);
    const limit = opts.causalT === undefined ? null : divmod(k, 'i', opts.causalT)[1];
    return { val, limit };
  };

  /** Per row: the maximum (0 for a row of -Infinity only, as the js backend shifts by). */
  const rowMax = (x: GpuBuf, rows: number, cols: number, opts: RowOptions = {}): GpuBuf => {
    const k = new KernelSource(['x']);
    const { val, limit } = rowReader(k, cols, opts);
    const mx = k.let(val('0.0'));
    const j = k.fresh('j');
    k.line(`for (let ${j} = 1; ${j} < ${cols}; ${j}++) {`);
    if (limit) k.line(`if (${j} > ${limit}) { break; }`);
    k.line(`${mx} = Math.max(${mx}, ${val(j)});`);
    k.line('}');
    k.line(`if (${mx} < -3.0e38) { ${mx} = 0.0; }`);
    return run('rowMax', k, mx, rows, [x]);
  };

  /** Per row: the sum of exp(x - max). */
  const rowSumExp = (
    x: GpuBuf,
    mx: GpuBuf,
    rows: number,
    cols: number,
    opts: RowOptions = {},
  ): GpuBuf => {
    const k = new KernelSource(['x', 'mx']);
    const { val, limit } = rowReader(k, cols, opts);
    const m = k.let('mx[i]');
    const s = sumLoop(k, cols, (j) =>
      limit
        ? `(${j} <= ${limit} ? Math.exp(${val(j)} - ${m}) : 0.0)`
        : `Math.exp(${val(j)} - ${m})`,
    );
    return run('rowSumExp', k, s, rows, [x, mx]);
  };

  /** Per row: max + log(sum exp(x - max)), the log-sum-exp. */
  const lseOf = (mx: GpuBuf, s: GpuBuf, rows: number): GpuBuf => {
    const k = new KernelSource(['mx', 's']);
    return run('logsumexp', k, 'mx[i] + Math.log(s[i])', rows, [mx, s]);
  };

  /** Per-column sums over rows of an expression (`e(index, row)`), for weight gradients. */
  const colSum = (
    op: string,
    params: string[],
    args: KernelArg[],
    rows: number,
    cols: number,
    e: (idx: string, row: string) => string,
  ): GpuBuf => {
    const k = new KernelSource(params);
    const s = sumLoop(k, rows, (r) => e(`${r} * ${lit(cols)} + i`, r));
    return run(op, k, s, cols, args);
  };

  const bmm = (a: GpuBuf, b: GpuBuf, p: MatmulParams) => backend.matmul(a, b, p);

  return {
    softmax(x, rows, cols) {
      const mx = rowMax(x, rows, cols);
      const s = rowSumExp(x, mx, rows, cols);
      try {
        const k = new KernelSource(['x', 'mx', 's']);
        const [r] = divmod(k, 'i', cols);
        return run('softmax', k, `Math.exp(x[i] - mx[${r}]) / s[${r}]`, rows * cols, [x, mx, s]);
      } finally {
        free(mx, s);
      }
    },
    logSoftmax(x, rows, cols) {
      const mx = rowMax(x, rows, cols);
      const s = rowSumExp(x, mx, rows, cols);
      try {
        const k = new KernelSource(['x', 'mx', 's']);
        const [r] = divmod(k, 'i', cols);
        return run('logSoftmax', k, `(x[i] - mx[${r}]) - Math.log(s[${r}])`, rows * cols, [
          x,
          mx,
          s,
        ]);
      } finally {
        free(mx, s);
      }
    },

    gelu(x, size, approximate) {
      const k = new KernelSource(['x']);
      const v = k.let('x[i]');
      const inner =
        approximate === 'tanh'
          ? tanhOf(k, k.let(`${lit(GELU_C)} * (${v} + 0.044715 * ${v} * ${v} * ${v})`))
          : erfOf(k, k.let(`${v} * ${lit(Math.SQRT1_2)}`));
      return run('gelu', k, `0.5 * ${v} * (1.0 + ${inner})`, size, [x]);
    },
    geluBackward(x, g, size, approximate) {
      const k = new KernelSource(['x', 'g']);
      const v = k.let('x[i]');
      let d: string;
      if (approximate === 'tanh') {
        const t = k.let(
          tanhOf(k, k.let(`${lit(GELU_C)} * (${v} + 0.044715 * ${v} * ${v} * ${v})`)),
        );
        d = `0.5 * (1.0 + ${t}) + 0.5 * ${v} * (1.0 - ${t} * ${t}) * ${lit(GELU_C)} * (1.0 + ${lit(3 * 0.044715)} * ${v} * ${v})`;
      } else {
        const e = k.let(erfOf(k, k.let(`${v} * ${lit(Math.SQRT1_2)}`)));
        d = `0.5 * (1.0 + ${e}) + ${v} * Math.exp(-0.5 * ${v} * ${v}) * ${lit(INV_SQRT_2PI)}`;
      }
      return run('geluBackward', k, `g[i] * (${d})`, size, [x, g]);
    },
    silu(x, size) {
      const k = new KernelSource(['x']);
      const v = k.let('x[i]');
      return run('silu', k, `${v} * ${sigmoidOf(k, v)}`, size, [x]);
    },
    siluBackward(x, g, size) {
      const k = new KernelSource(['x', 'g']);
      const v = k.let('x[i]');
      const s = k.let(sigmoidOf(k, v));
      return run('siluBackward', k, `g[i] * ${s} * (1.0 + ${v} * (1.0 - ${s}))`, size, [x, g]);
    },

    layerNorm(x, weight, bias, rows, cols, eps) {
      const mean = rowStat(
        'layerNorm',
        ['x'],
        [x],
        rows,
        cols,
        (j) => `x[${j}]`,
        (s) => `${s} / ${lit(cols)}`,
      );
      const rstd = rowStat(
        'layerNorm',
        ['x', 'mean'],
        [x, mean],
        rows,
        cols,
        (j, _, r) => `(x[${j}] - mean[${r}]) * (x[${j}] - mean[${r}])`,
        (s) => `1.0 / Math.sqrt(${s} / ${lit(cols)} + ${lit(eps)})`,
      );
      const y = affine(x, mean, rstd, weight, bias, rows, cols);
      return { y, mean, rstd };
    },
    layerNormBackward(x, weight, mean, rstd, g, rows, cols, wantW, wantB) {
      const params = ['x', 'g', 'mean', 'rstd', ...(weight ? ['w'] : [])];
      const args: KernelArg[] = [x, g, mean, rstd, ...(weight ? [weight] : [])];
      const gw = (j: string, c: string) => (weight ? `g[${j}] * w[${c}]` : `g[${j}]`);
      const xhat = (j: string, r: string) => `(x[${j}] - mean[${r}]) * rstd[${r}]`;
      const a = rowStat('layerNormBackward', params, args, rows, cols, (j, c) => gw(j, c));
      const b = rowStat(
        'layerNormBackward',
        params,
        args,
        rows,
        cols,
        (j, c, r) => `${gw(j, c)} * ${xhat(j, r)}`,
      );
      try {
        const k = new KernelSource([...params, 'a', 'b']);
        const [r, c] = divmod(k, 'i', cols);
        const dx = `rstd[${r}] * (${gw('i', c)} - a[${r}] / ${lit(cols)} - ${xhat('i', r)} * b[${r}] / ${lit(cols)})`;
        const out = run('layerNormBackward', k, dx, rows * cols, [...args, a, b]);
        const dw = wantW
          ? colSum(
              'layerNormBackward',
              ['x', 'g', 'mean', 'rstd'],
              [x, g, mean, rstd],
              rows,
              cols,
              (j, row) => `g[${j}] * ${xhat(j, row)}`,
            )
          : null;
        const db = wantB
          ? colSum('layerNormBackward', ['g'], [g], rows, cols, (j) => `g[${j}]`)
          : null;
        return { dx: out, dw, db };
      } finally {
        free(a, b);
      }
    },
    rmsNorm(x, weight, rows, cols, eps) {
      const rstd = rowStat(
        'rmsNorm',
        ['x'],
        [x],
        rows,
        cols,
        (j) => `x[${j}] * x[${j}]`,
        (s) => `1.0 / Math.sqrt(${s} / ${lit(cols)} + ${lit(eps)})`,
      );
      const k = new KernelSource(['x', 'rstd', ...(weight ? ['w'] : [])]);
      const [r, c] = divmod(k, 'i', cols);
      const y = `x[i] * rstd[${r}]${weight ? ` * w[${c}]` : ''}`;
      return { y: run('rmsNorm', k, y, rows * cols, [x, rstd, ...(weight ? [weight] : [])]), rstd };
    },
    rmsNormBackward(x, weight, rstd, g, rows, cols, wantW) {
      const params = ['x', 'g', 'rstd', ...(weight ? ['w'] : [])];
      const args: KernelArg[] = [x, g, rstd, ...(weight ? [weight] : [])];
      const gw = (j: string, c: string) => (weight ? `g[${j}] * w[${c}]` : `g[${j}]`);
      const b = rowStat(
        'rmsNormBackward',
        params,
        args,
        rows,
        cols,
        (j, c, r) => `${gw(j, c)} * x[${j}] * rstd[${r}]`,
      );
      try {
        const k = new KernelSource([...params, 'b']);
        const [r, c] = divmod(k, 'i', cols);
        const dx = `rstd[${r}] * (${gw('i', c)} - x[i] * rstd[${r}] * b[${r}] / ${lit(cols)})`;
        const out = run('rmsNormBackward', k, dx, rows * cols, [...args, b]);
        const dw = wantW
          ? colSum(
              'rmsNormBackward',
              ['x', 'g', 'rstd'],
              [x, g, rstd],
              rows,
              cols,
              (j, row) => `g[${j}] * x[${j}] * rstd[${row}]`,
            )
          : null;
        return { dx: out, dw };
      } finally {
        free(b);
      }
    },

    crossEntropy(logits, targets, rows, cols, ignoreIndex) {
      const t = targets.host ?? Int32Array.from(device.download(targets, rows));
      for (let r = 0; r < rows; r++) {
        const v = t[r];
        if (v !== ignoreIndex && !(v >= 0 && v < cols)) {
          throw new Error(
            `crossEntropy: target ${v} at position ${r} is out of range for ${cols} classes (ignoreIndex is ${ignoreIndex})`,
          );
        }
      }
      const mx = rowMax(logits, rows, cols);
      const s = rowSumExp(logits, mx, rows, cols);
      try {
        const k = new KernelSource(['x', 't', 'mx', 's']);
        const tv = k.let('t[i]');
        const ign = lit(ignoreIndex);
        const col = k.let(`${tv} == ${ign} ? 0.0 : ${tv}`);
        const picked = `x[i * ${lit(cols)} + ${col}]`;
        const loss = `(${tv} == ${ign} ? 0.0 : (mx[i] - ${picked}) + Math.log(s[i]))`;
        const out = run('crossEntropy', k, loss, rows, [logits, targets, mx, s]);
        return { loss: out, lse: lseOf(mx, s, rows) };
      } finally {
        free(mx, s);
      }
    },
    crossEntropyBackward(logits, targets, lse, g, rows, cols, ignoreIndex) {
      const k = new KernelSource(['x', 't', 'lse', 'g']);
      const [r, c] = divmod(k, 'i', cols);
      const tv = k.let(`t[${r}]`);
      const p = `Math.exp(x[i] - lse[${r}])`;
      const d = `(${tv} == ${lit(ignoreIndex)} ? 0.0 : (${p} - (${c} == ${tv} ? 1.0 : 0.0)) * g[${r}])`;
      return run('crossEntropyBackward', k, d, rows * cols, [logits, targets, lse, g]);
    },

    attention(q, kk, v, dims, scale, causal) {
      const { bh, T, S, d, dv } = dims;
      // raw scores q k^T per head: [bh, T, S]
      const raw = bmm(q, kk, {
        batch: bh,
        m: T,
        n: S,
        k: d,
        transA: false,
        transB: true,
        aBatchStride: T * d,
        bBatchStride: S * d,
      });
      const opts: RowOptions = { scale, ...(causal ? { causalT: T } : {}) };
      const mx = rowMax(raw, bh * T, S, opts);
      const s = rowSumExp(raw, mx, bh * T, S, opts);
      const lse = lseOf(mx, s, bh * T);
      const p = probs(raw, lse, dims, scale, causal);
      try {
        const out = bmm(p, v, {
          batch: bh,
          m: T,
          n: dv,
          k: S,
          transA: false,
          transB: false,
          aBatchStride: T * S,
          bBatchStride: S * dv,
        });
        return { out, lse };
      } finally {
        free(raw, p, mx, s);
      }
    },
    attentionBackward(q, kk, v, out, lse, g, dims, scale, causal) {
      const { bh, T, S, d, dv } = dims;
      const raw = bmm(q, kk, {
        batch: bh,
        m: T,
        n: S,
        k: d,
        transA: false,
        transB: true,
        aBatchStride: T * d,
        bBatchStride: S * d,
      });
      const p = probs(raw, lse, dims, scale, causal);
      free(raw);
      // dV = P^T g; dP = g V^T; dS = P (dP - rowsum(g * out)) * scale; dQ = dS K; dK = dS^T Q
      const dV = bmm(p, g, {
        batch: bh,
        m: S,
        n: dv,
        k: T,
        transA: true,
        transB: false,
        aBatchStride: T * S,
        bBatchStride: T * dv,
      });
      const dP = bmm(g, v, {
        batch: bh,
        m: T,
        n: S,
        k: dv,
        transA: false,
        transB: true,
        aBatchStride: T * dv,
        bBatchStride: S * dv,
      });
      const rowDot = rowStat(
        'attentionBackward',
        ['g', 'o'],
        [g, out],
        bh * T,
        dv,
        (j) => `g[${j}] * o[${j}]`,
      );
      const k = new KernelSource(['p', 'dp', 'dd']);
      const [row] = divmod(k, 'i', S);
      const dS = run(
        'attentionBackward',
        k,
        `p[i] * (dp[i] - dd[${row}]) * ${lit(scale)}`,
        bh * T * S,
        [p, dP, rowDot],
      );
      free(p, dP, rowDot);
      try {
        const dQ = bmm(dS, kk, {
          batch: bh,
          m: T,
          n: d,
          k: S,
          transA: false,
          transB: false,
          aBatchStride: T * S,
          bBatchStride: S * d,
        });
        const dK = bmm(dS, q, {
          batch: bh,
          m: S,
          n: d,
          k: T,
          transA: true,
          transB: false,
          aBatchStride: T * S,
          bBatchStride: T * d,
        });
        return { dq: dQ, dk: dK, dv: dV };
      } finally {
        free(dS);
      }
    },

    adamw(param, grad, m, v, size, h) {
      if (size === 0) return;
      const bc1 = 1 - h.beta1 ** h.step;
      const bc2 = 1 - h.beta2 ** h.step;
      // hyperparameters as uniforms: a schedule changing lr does not recompile anything;
      // 1 - beta is taken in double on the host (in float32, 1 - 0.999 is off by 1.3e-5)
      const params = ['p', 'g', 'm', 'v', 'lr', 'b1', 'b2', 'c1', 'c2', 'eps', 'wd', 'bc1', 'bc2'];
      const args: KernelArg[] = [
        param,
        grad,
        m,
        v,
        h.lr,
        h.beta1,
        h.beta2,
        1 - h.beta1,
        1 - h.beta2,
        h.eps,
        h.weightDecay,
        bc1,
        bc2,
      ];
      const moments = (k: KernelSource) => {
        const gi = k.let('g[i]');
        const m2 = k.let(`b1 * m[i] + c1 * ${gi}`);
        const v2 = k.let(`b2 * v[i] + c2 * ${gi} * ${gi}`);
        return [m2, v2] as const;
      };
      let k = new KernelSource(params);
      const [m2a] = moments(k);
      const mNext = run('adamw', k, m2a, size, args);
      k = new KernelSource(params);
      const [, v2b] = moments(k);
      const vNext = run('adamw', k, v2b, size, args);
      k = new KernelSource(params);
      const [m2, v2] = moments(k);
      const pNext = run(
        'adamw',
        k,
        `p[i] - lr * (${m2} / bc1 / (Math.sqrt(${v2} / bc2) + eps) + wd * p[i])`,
        size,
        args,
      );
      device.assign(m, mNext);
      device.assign(v, vNext);
      device.assign(param, pNext);
    },
  };

  /**
   * Per row of a [rows, cols] layout: finish(sum over the row of term(index, col, row)), all
   * three given as source; `finish` defaults to the sum itself.
   */
  function rowStat(
    op: string,
    params: string[],
    args: KernelArg[],
    rows: number,
    cols: number,
    term: (idx: string, col: string, row: string) => string,
    finish: (sum: string) => string = (x) => x,
  ): GpuBuf {
    const k = new KernelSource(params);
    const base = k.let(`i * ${lit(cols)}`);
    const s = sumLoop(k, cols, (j) => term(`${base} + ${j}`, j, 'i'));
    return run(op, k, finish(s), rows, args);
  }

  /** (x - mean[row]) * rstd[row] * w[col] + b[col]. */
  function affine(
    x: GpuBuf,
    mean: GpuBuf,
    rstd: GpuBuf,
    weight: GpuBuf | null,
    bias: GpuBuf | null,
    rows: number,
    cols: number,
  ): GpuBuf {
    const params = ['x', 'mean', 'rstd', ...(weight ? ['w'] : []), ...(bias ? ['b'] : [])];
    const k = new KernelSource(params);
    const [r, c] = divmod(k, 'i', cols);
    let e = `(x[i] - mean[${r}]) * rstd[${r}]`;
    if (weight) e = `${e} * w[${c}]`;
    if (bias) e = `${e} + b[${c}]`;
    const args: KernelArg[] = [x, mean, rstd, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
    return run('layerNorm', k, e, rows * cols, args);
  }

  /** Attention probabilities exp(scale * raw - lse) over [bh, T, S], 0 above the diagonal when causal. */
  function probs(
    raw: GpuBuf,
    lse: GpuBuf,
    dims: { bh: number; T: number; S: number },
    sc: number,
    causal: boolean,
  ): GpuBuf {
    const { bh, T, S } = dims;
    const k = new KernelSource(['raw', 'lse']);
    const [row, col] = divmod(k, 'i', S);
    let e = `Math.exp(raw[i] * ${lit(sc)} - lse[${row}])`;
    if (causal) {
      const [, t] = divmod(k, row, T);
      e = `(${col} > ${t} ? 0.0 : ${e})`;
    }
    return run('attention', k, e, bh * T * S, [raw, lse]);
  }
}
