import { fusedKernel } from '../backend.js';
import { defaultGenerator, type Generator } from '../random.js';
import { normalizeAxis, shapesEqual, shapeToString } from '../shape.js';
import { alias, fromBuffer, fromHost, noGrad, record, Tensor } from '../tensor.js';
import {
  add,
  div,
  eq,
  erf,
  exp,
  log,
  maskedFill,
  mul,
  neg,
  rsqrt,
  sigmoid,
  sub,
  tanh,
  where,
} from './elementwise.js';
import { gather } from './indexing.js';
import { matmul } from './linalg.js';
import { reshape, transpose } from './movement.js';
import { reduceRaw, sum } from './reduce.js';

function checkFloat(op: string, x: unknown, name = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new Error(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${x.dtype}`);
}

/** Runs a fused row kernel on x viewed as [rows, cols]; frees the temporary dense copy. */
function rowsOf(x: Tensor, op: string): { buf: unknown; rows: number; cols: number; free(): void } {
  const cols = x.shape.length ? x.shape[x.shape.length - 1] : 1;
  const rows = cols === 0 ? 0 : x.size / cols;
  const buf = x._denseBuf(op);
  return {
    buf,
    rows,
    cols,
    free: () => {
      if (buf !== x._storage?.buf) x.backend.dispose(buf);
    },
  };
}

/** Dense buffers of tensors for a kernel call; `free` releases the temporary copies. */
function denseAll(op: string, ts: readonly Tensor[]): { bufs: unknown[]; free(): void } {
  const bufs = ts.map((t) => t._denseBuf(op));
  return {
    bufs,
    free: () => {
      ts.forEach((t, i) => {
        if (bufs[i] !== t._storage?.buf) t.backend.dispose(bufs[i]);
      });
    },
  };
}

/** Row max with all -inf rows shifted by 0 (so they stay -inf instead of NaN). */
function safeRowMax(x: Tensor): Tensor {
  const m = reduceRaw('max', x, [x.ndim - 1], true);
  return where(eq(m, Number.NEGATIVE_INFINITY), 0, m);
}

/** Moves `axis` last, applies f, and moves it back (f works on the last axis). */
function onAxis(x: Tensor, axis: number, op: string, f: (x: Tensor) => Tensor): Tensor {
  const a = normalizeAxis(op, axis, Math.max(1, x.ndim));
  if (x.ndim === 0 || a === x.ndim - 1) return f(x);
  return transpose(f(transpose(x, a, -1)), a, -1);
}

// ------------------------------------------------------------------ softmax family

/** Composed definition of softmax over the last axis (used when no fused kernel exists). */
export function softmaxComposed(x: Tensor): Tensor {
  const e = exp(sub(x, safeRowMax(x)));
  return div(e, sum(e, -1, true));
}

/** Composed definition of log-softmax over the last axis. */
export function logSoftmaxComposed(x: Tensor): Tensor {
  const s = sub(x, safeRowMax(x));
  return sub(s, log(sum(exp(s), -1, true)));
}

/** softmax(x) = exp(x) / sum(exp(x)) along `axis` (default last), computed stably. */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkFloat('softmax', x);
  return onAxis(x, axis, 'softmax', (x) => {
    const y = noGrad(() => {
      const k = fusedKernel(x.backend, 'softmax');
      if (!k) return softmaxComposed(x);
      const r = rowsOf(x, 'softmax');
      const out = fromBuffer(x.backend, k(r.buf, r.rows, r.cols), x.shape, 'float32');
      r.free();
      return out;
    });
    // dx = y * (g - sum(g * y))
    return record(y, 'softmax', [x], (g) => [mul(y, sub(g, sum(mul(g, y), -1, true)))]);
  });
}

/** log(softmax(x)) along `axis`, without forming softmax (stable for large logits). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkFloat('logSoftmax', x);
  return onAxis(x, axis, 'logSoftmax', (x) => {
    const y = noGrad(() => {
      const k = fusedKernel(x.backend, 'logSoftmax');
      if (!k) return logSoftmaxComposed(x);
      const r = rowsOf(x, 'logSoftmax');
      const out = fromBuffer(x.backend, k(r.buf, r.rows, r.cols), x.shape, 'float32');
      r.free();
      return out;
    });
    // dx = g - softmax * sum(g)
    return record(y, 'logSoftmax', [x], (g) => [sub(g, mul(exp(y), sum(g, -1, true)))]);
  });
}

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (no loss, no gradient). Default -100, as PyTorch. */
  ignoreIndex?: number;
  /** 'mean' over non-ignored targets (default), 'sum', or 'none' (per-position losses). */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of logits [..., C] against int32 class indices of shape [...]. Targets are
 * checked on the host: every one must be in [0, C) or equal `ignoreIndex`.
 */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const { ignoreIndex = -100, reduction = 'mean' } = options;
  checkFloat('crossEntropy', logits, 'logits');
  if (!(targets instanceof Tensor))
    throw new Error('crossEntropy: targets must be a Tensor of int32 class indices');
  if (targets.dtype !== 'int32') {
    throw new Error(
      `crossEntropy: targets must be an int32 tensor of class indices, got ${targets.dtype}`,
    );
  }
  if (logits.ndim < 1) throw new Error('crossEntropy: logits need a class dimension');
  const classes = logits.shape[logits.ndim - 1];
  const lead = logits.shape.slice(0, -1);
  if (!shapesEqual(targets.shape, lead)) {
    throw new Error(
      `crossEntropy: targets of shape ${shapeToString(targets.shape)} do not match logits of shape ${shapeToString(logits.shape)} (expected ${shapeToString(lead)})`,
    );
  }
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(
      `crossEntropy: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`,
    );
  }
  const t = targets.data();
  const n = t.length;
  const safe = new Int32Array(n);
  const keep = new Float32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = t[i];
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= classes) {
      throw new Error(
        `crossEntropy: target ${v} at position ${i} is out of range for ${classes} classes (ignoreIndex is ${ignoreIndex})`,
      );
    }
    safe[i] = v;
    keep[i] = 1;
    count++;
  }
  const b = logits.backend;
  const kf = fusedKernel(b, 'crossEntropy');
  const kb = fusedKernel(b, 'crossEntropyBackward');
  if (kf && kb && n > 0) {
    // fused: per-row loss and log-sum-exp in one pass; d logits = (softmax - onehot) * g
    const flat = reshape(logits, [n, classes]);
    const tgt = fromHost(b, t instanceof Int32Array ? t : Int32Array.from(t), [n]);
    const lb = flat._denseBuf('crossEntropy');
    const { loss, lse } = kf(lb, tgt._denseBuf('crossEntropy'), n, classes, ignoreIndex);
    if (lb !== flat._storage?.buf) b.dispose(lb);
    const rowLoss = record(fromBuffer(b, loss, [n], 'float32'), 'crossEntropy', [flat], (g) => {
      const d = denseAll('crossEntropy', [flat, tgt, g]);
      const dl = kb(d.bufs[0], d.bufs[1], lse, d.bufs[2], n, classes, ignoreIndex);
      d.free();
      return [fromBuffer(b, dl, [n, classes], 'float32')];
    });
    if (reduction === 'none') return reshape(rowLoss, lead);
    const total = sum(rowLoss);
    return reduction === 'sum' ? total : meanOver(total, count);
  }
  const lp = logSoftmax(reshape(logits, [n, classes]), -1);
  const picked = reshape(gather(lp, 1, fromHost(b, safe, [n, 1])), [n]);
  const losses = mul(neg(picked), fromHost(b, keep, [n]));
  if (reduction === 'none') return reshape(losses, lead);
  const total = sum(losses);
  return reduction === 'sum' ? total : meanOver(total, count);
}

/** total / count; with no counted target the loss is NaN and the gradient 0, as in PyTorch. */
function meanOver(total: Tensor, count: number): Tensor {
  if (count > 0) return div(total, count);
  return add(total, Number.NaN); // d/d total of (total + NaN) is 1, and total's inputs are all masked
}

// ------------------------------------------------------------------ activations

export interface GeluOptions {
  /** 'none' (default): exact, with erf. 'tanh': the GPT-2 approximation. */
  approximate?: 'none' | 'tanh';
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** Composed definition of GELU. */
export function geluComposed(x: Tensor, approximate: 'none' | 'tanh'): Tensor {
  if (approximate === 'tanh') {
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), GELU_C);
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  }
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** Gaussian error linear unit, exact (default) or with the tanh approximation. */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const approximate = options.approximate ?? 'none';
  checkFloat('gelu', x);
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new Error(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  }
  const y = noGrad(() => {
    const k = fusedKernel(x.backend, 'gelu');
    if (!k) return geluComposed(x, approximate);
    const buf = x._denseBuf('gelu');
    const out = fromBuffer(x.backend, k(buf, x.size, approximate), x.shape, 'float32');
    if (buf !== x._storage?.buf) x.backend.dispose(buf);
    return out;
  });
  return record(y, 'gelu', [x], (g) => {
    const kb = fusedKernel(x.backend, 'geluBackward');
    if (kb) {
      const d = denseAll('gelu', [x, g]);
      const dx = fromBuffer(
        x.backend,
        kb(d.bufs[0], d.bufs[1], x.size, approximate),
        x.shape,
        'float32',
      );
      d.free();
      return [dx];
    }
    if (approximate === 'tanh') {
      const x2 = mul(x, x);
      const th = tanh(mul(add(x, mul(mul(x2, x), 0.044715)), GELU_C));
      const dInner = mul(add(mul(x2, 3 * 0.044715), 1), GELU_C);
      const d = add(mul(add(th, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(th, th))), dInner));
      return [mul(g, d)];
    }
    // d/dx x*Phi(x) = Phi(x) + x*phi(x)
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [mul(g, add(cdf, mul(x, pdf)))];
  });
}

/** Composed definition of SiLU. */
export function siluComposed(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}

/** SiLU (swish): x * sigmoid(x). */
export function silu(x: Tensor): Tensor {
  checkFloat('silu', x);
  const y = noGrad(() => {
    const k = fusedKernel(x.backend, 'silu');
    if (!k) return siluComposed(x);
    const buf = x._denseBuf('silu');
    const out = fromBuffer(x.backend, k(buf, x.size), x.shape, 'float32');
    if (buf !== x._storage?.buf) x.backend.dispose(buf);
    return out;
  });
  return record(y, 'silu', [x], (g) => {
    const kb = fusedKernel(x.backend, 'siluBackward');
    if (kb) {
      const d = denseAll('silu', [x, g]);
      const dx = fromBuffer(x.backend, kb(d.bufs[0], d.bufs[1], x.size), x.shape, 'float32');
      d.free();
      return [dx];
    }
    const s = sigmoid(x);
    return [mul(g, mul(s, add(mul(x, sub(1, s)), 1)))];
  });
}

// ------------------------------------------------------------------ norms

export interface LayerNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Added to the variance; default 1e-5 as PyTorch and GPT-2. */
  eps?: number;
}

function checkAffine(
  op: string,
  name: string,
  p: Tensor | null | undefined,
  x: Tensor,
  cols: number,
): void {
  if (p === null || p === undefined) return;
  checkFloat(op, p, name);
  if (p.backend !== x.backend) {
    throw new Error(
      `${op}: ${name} is on the '${p.backend.name}' backend but the input is on '${x.backend.name}'`,
    );
  }
  if (p.ndim !== 1 || p.shape[0] !== cols) {
    throw new Error(
      `${op}: ${name} has shape ${shapeToString(p.shape)} but the normalized dimension is ${cols}`,
    );
  }
}

/** Composed layer norm over the last axis: returns y and the per-row mean and 1/std. */
export function layerNormComposed(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): { y: Tensor; mean: Tensor; rstd: Tensor } {
  const mu = div(sum(x, -1, true), x.shape[x.ndim - 1]);
  const xc = sub(x, mu);
  const v = div(sum(mul(xc, xc), -1, true), x.shape[x.ndim - 1]);
  const rstd = rsqrt(add(v, eps));
  let y = mul(xc, rstd);
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return { y, mean: mu, rstd };
}

/** Layer normalization over the last axis with optional elementwise weight and bias. */
export function layerNorm(x: Tensor, options: LayerNormOptions = {}): Tensor {
  const { weight = null, bias = null, eps = 1e-5 } = options;
  checkFloat('layerNorm', x);
  if (x.ndim === 0) throw new Error('layerNorm: input needs at least one dimension');
  const cols = x.shape[x.ndim - 1];
  checkAffine('layerNorm', 'weight', weight, x, cols);
  checkAffine('layerNorm', 'bias', bias, x, cols);
  const kept = [...x.shape.slice(0, -1), 1];
  const { y, mean, rstd } = noGrad(() => {
    const k = fusedKernel(x.backend, 'layerNorm');
    if (!k) return layerNormComposed(x, weight, bias, eps);
    const r = rowsOf(x, 'layerNorm');
    const w = weight?._denseBuf('layerNorm') ?? null;
    const bb = bias?._denseBuf('layerNorm') ?? null;
    const o = k(r.buf, w, bb, r.rows, r.cols, eps);
    r.free();
    const be = x.backend;
    return {
      y: fromBuffer(be, o.y, x.shape, 'float32'),
      mean: fromBuffer(be, o.mean, kept, 'float32'),
      rstd: fromBuffer(be, o.rstd, kept, 'float32'),
    };
  });
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  return record(y, 'layerNorm', inputs, (g) => {
    const kb = fusedKernel(x.backend, 'layerNormBackward');
    if (kb) {
      const d = denseAll('layerNorm', weight ? [x, g, mean, rstd, weight] : [x, g, mean, rstd]);
      const rows = cols === 0 ? 0 : x.size / cols;
      const wantW = weight?.requiresGrad ?? false;
      const wantB = bias?.requiresGrad ?? false;
      const o = kb(
        d.bufs[0],
        weight ? d.bufs[4] : null,
        d.bufs[2],
        d.bufs[3],
        d.bufs[1],
        rows,
        cols,
        wantW,
        wantB,
      );
      d.free();
      const be = x.backend;
      const out: (Tensor | null)[] = [fromBuffer(be, o.dx, x.shape, 'float32')];
      if (weight) out.push(o.dw ? fromBuffer(be, o.dw, [cols], 'float32') : null);
      if (bias) out.push(o.db ? fromBuffer(be, o.db, [cols], 'float32') : null);
      return out;
    }
    const xhat = mul(sub(x, mean), rstd);
    const lead = Array.from({ length: x.ndim - 1 }, (_, i) => i);
    const gxhat = weight ? mul(g, weight) : g;
    // dx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))
    const m1 = div(sum(gxhat, -1, true), cols);
    const m2 = div(sum(mul(gxhat, xhat), -1, true), cols);
    const gx = mul(rstd, sub(sub(gxhat, m1), mul(xhat, m2)));
    const out: (Tensor | null)[] = [x.requiresGrad ? gx : null];
    if (weight) out.push(weight.requiresGrad ? reshape(sum(mul(g, xhat), lead), [cols]) : null);
    if (bias) out.push(bias.requiresGrad ? reshape(sum(g, lead), [cols]) : null);
    return out;
  });
}

export interface RmsNormOptions {
  weight?: Tensor | null;
  /** Added to the mean square; default 1e-6 (Llama uses 1e-5 or 1e-6: pass the model's). */
  eps?: number;
}

/** Composed RMS norm over the last axis: returns y and the per-row 1/rms. */
export function rmsNormComposed(
  x: Tensor,
  weight: Tensor | null,
  eps: number,
): { y: Tensor; rstd: Tensor } {
  const ms = div(sum(mul(x, x), -1, true), x.shape[x.ndim - 1]);
  const rstd = rsqrt(add(ms, eps));
  let y = mul(x, rstd);
  if (weight) y = mul(y, weight);
  return { y, rstd };
}

/** Root-mean-square normalization over the last axis (Llama's RMSNorm). */
export function rmsNorm(x: Tensor, options: RmsNormOptions = {}): Tensor {
  const { weight = null, eps = 1e-6 } = options;
  checkFloat('rmsNorm', x);
  if (x.ndim === 0) throw new Error('rmsNorm: input needs at least one dimension');
  const cols = x.shape[x.ndim - 1];
  checkAffine('rmsNorm', 'weight', weight, x, cols);
  const kept = [...x.shape.slice(0, -1), 1];
  const { y, rstd } = noGrad(() => {
    const k = fusedKernel(x.backend, 'rmsNorm');
    if (!k) return rmsNormComposed(x, weight, eps);
    const r = rowsOf(x, 'rmsNorm');
    const w = weight?._denseBuf('rmsNorm') ?? null;
    const o = k(r.buf, w, r.rows, r.cols, eps);
    r.free();
    return {
      y: fromBuffer(x.backend, o.y, x.shape, 'float32'),
      rstd: fromBuffer(x.backend, o.rstd, kept, 'float32'),
    };
  });
  const inputs = weight ? [x, weight] : [x];
  return record(y, 'rmsNorm', inputs, (g) => {
    const kb = fusedKernel(x.backend, 'rmsNormBackward');
    if (kb) {
      const d = denseAll('rmsNorm', weight ? [x, g, rstd, weight] : [x, g, rstd]);
      const rows = cols === 0 ? 0 : x.size / cols;
      const wantW = weight?.requiresGrad ?? false;
      const o = kb(d.bufs[0], weight ? d.bufs[3] : null, d.bufs[2], d.bufs[1], rows, cols, wantW);
      d.free();
      const dx = fromBuffer(x.backend, o.dx, x.shape, 'float32');
      return weight ? [dx, o.dw ? fromBuffer(x.backend, o.dw, [cols], 'float32') : null] : [dx];
    }
    const xhat = mul(x, rstd);
    const gxhat = weight ? mul(g, weight) : g;
    // dx = rstd * (gxhat - xhat * mean(gxhat * xhat))
    const m = div(sum(mul(gxhat, xhat), -1, true), cols);
    const gx = mul(rstd, sub(gxhat, mul(xhat, m)));
    const lead = Array.from({ length: x.ndim - 1 }, (_, i) => i);
    return weight
      ? [gx, weight.requiresGrad ? reshape(sum(mul(g, xhat), lead), [cols]) : null]
      : [gx];
  });
}

// ------------------------------------------------------------------ dropout and attention

export interface DropoutOptions {
  /** Off in evaluation: dropout is then the identity. Default true. */
  training?: boolean;
  /** Where the mask's random numbers come from (default: the global, `manualSeed`-ed one). */
  generator?: Generator;
}

/** Zeroes each element with probability p and scales the rest by 1/(1-p) (inverted dropout). */
export function dropout(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  const { training = true, generator = defaultGenerator } = options;
  checkFloat('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return alias(x, 'dropout');
  const mask = new Float32Array(x.size);
  if (p < 1) {
    const scale = 1 / (1 - p);
    for (let i = 0; i < mask.length; i++) mask[i] = generator.uniform() >= p ? scale : 0;
  }
  return mul(x, fromHost(x.backend, mask, x.shape));
}

export interface AttentionOptions {
  /** Each query position attends only to key positions at or before it (top-left aligned). */
  causal?: boolean;
  /** int32 mask (non-zero = may attend) or float32 mask added to the scores; broadcasts to [..., T, S]. */
  mask?: Tensor | null;
  /** Score scale; default 1/sqrt(head dimension). */
  scale?: number;
}

/**
 * softmax(q k^T * scale + mask) v for q [..., T, d], k [..., S, d], v [..., S, dv]. Rows whose
 * every key is masked give NaN, as in PyTorch.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  checkFloat('scaledDotProductAttention', q, 'q');
  checkFloat('scaledDotProductAttention', k, 'k');
  checkFloat('scaledDotProductAttention', v, 'v');
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) {
    throw new Error('scaledDotProductAttention: q, k and v need shape [..., length, dim]');
  }
  const d = q.shape[q.ndim - 1];
  if (k.shape[k.ndim - 1] !== d) {
    throw new Error(
      `scaledDotProductAttention: q ${shapeToString(q.shape)} and k ${shapeToString(k.shape)} differ in the last dimension`,
    );
  }
  if (k.shape[k.ndim - 2] !== v.shape[v.ndim - 2]) {
    throw new Error(
      `scaledDotProductAttention: k ${shapeToString(k.shape)} and v ${shapeToString(v.shape)} differ in length`,
    );
  }
  const { causal = false, mask = null, scale = 1 / Math.sqrt(d) } = options;
  const fused = mask ? null : fusedAttention(q, k, v, scale, causal);
  if (fused) return fused;
  let scores = mul(matmul(q, transpose(k, -2, -1)), scale);
  const T = q.shape[q.ndim - 2];
  const S = k.shape[k.ndim - 2];
  if (causal) {
    const m = new Int32Array(T * S);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < S; j++) m[i * S + j] = 1;
    scores = maskedFill(scores, fromHost(q.backend, m, [T, S]), Number.NEGATIVE_INFINITY);
  }
  if (mask) {
    if (!(mask instanceof Tensor))
      throw new Error('scaledDotProductAttention: mask must be a Tensor');
    scores =
      mask.dtype === 'int32'
        ? maskedFill(scores, eq(mask, 0), Number.NEGATIVE_INFINITY)
        : add(scores, mask);
  }
  return matmul(softmax(scores, -1), v);
}

/**
 * The fused attention path: q, k, v with the same leading dims, no mask. Returns null when the
 * backend has no fused kernel pair or the shapes need broadcasting (then the composed path runs).
 */
function fusedAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  scale: number,
  causal: boolean,
): Tensor | null {
  const b = q.backend;
  const kf = fusedKernel(b, 'attention');
  const kb = fusedKernel(b, 'attentionBackward');
  if (!kf || !kb || q.ndim !== k.ndim || q.ndim !== v.ndim) return null;
  const lead = q.shape.slice(0, -2);
  if (!shapesEqual(lead, k.shape.slice(0, -2)) || !shapesEqual(lead, v.shape.slice(0, -2)))
    return null;
  sameBackendAll([q, k, v]);
  const T = q.shape[q.ndim - 2];
  const d = q.shape[q.ndim - 1];
  const S = k.shape[k.ndim - 2];
  const dv = v.shape[v.ndim - 1];
  const bh = lead.reduce((x, y) => x * y, 1);
  const dims = { bh, T, S, d, dv };
  // [..., T, d] -> [bh, T, d] (recorded, so gradients reach the caller's tensors)
  const q3 = reshape(q, [bh, T, d]);
  const k3 = reshape(k, [bh, S, d]);
  const v3 = reshape(v, [bh, S, dv]);
  const f = denseAll('scaledDotProductAttention', [q3, k3, v3]);
  const { out, lse } = kf(f.bufs[0], f.bufs[1], f.bufs[2], dims, scale, causal);
  f.free();
  const y = fromBuffer(b, out, [bh, T, dv], 'float32');
  const rec = record(y, 'scaledDotProductAttention', [q3, k3, v3], (g) => {
    const dd = denseAll('scaledDotProductAttention', [q3, k3, v3, y, g]);
    const r = kb(
      dd.bufs[0],
      dd.bufs[1],
      dd.bufs[2],
      dd.bufs[3],
      lse,
      dd.bufs[4],
      dims,
      scale,
      causal,
    );
    dd.free();
    return [
      fromBuffer(b, r.dq, [bh, T, d], 'float32'),
      fromBuffer(b, r.dk, [bh, S, d], 'float32'),
      fromBuffer(b, r.dv, [bh, S, dv], 'float32'),
    ];
  });
  return reshape(rec, [...lead, T, dv]);
}

function sameBackendAll(ts: readonly Tensor[]): void {
  for (const t of ts) {
    if (t.backend !== ts[0].backend) {
      throw new Error(`scaledDotProductAttention: q, k and v are on different backends`);
    }
  }
}
