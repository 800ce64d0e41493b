/**
 * One GPT training step (forward + backward + AdamW) written against @openeurollm/tensor's public
 * API: the same model, shapes and batch as the PyTorch anchor in bench/anchors/gpt_step_torch.py.
 *
 * GPT-2 style decoder, fp32: pre-LayerNorm blocks, causal self-attention, GELU(tanh) MLP 4x,
 * learned positions, tied input/output embeddings, dropout 0. Vocab 8192, context 128,
 * d_model 256, 4 layers, 4 heads, batch 8; AdamW lr 3e-4, betas 0.9/0.95, eps 1e-8, weight
 * decay 0.1 on 2-D weights only. The batch is one fixed [8, 129] draw of seeded random token
 * ids (inputs = the first 128, targets = shifted by one) used for every step, so the loss drops.
 *
 * tokens/s = 8 * 128 / median step seconds over `steps` steps after 2 warm-up steps.
 */
import { readFileSync } from 'node:fs';
import { CausalLM } from '@openeurollm/nn';
import { AdamW, paramGroups } from '@openeurollm/optim';
import {
  adamwUpdate,
  arange,
  crossEntropy,
  embedding,
  gelu,
  getBackend,
  layerNorm,
  manualSeed,
  noGrad,
  ones,
  randint,
  randn,
  scaledDotProductAttention,
  setBackend,
  type Tensor,
  zeros,
  zerosLike,
} from '@openeurollm/tensor';

export const GPT_CONFIG = {
  vocab: 8192,
  context: 128,
  dModel: 256,
  nLayers: 4,
  nHeads: 4,
  batch: 8,
} as const;

const WARMUP_STEPS = 2;

/** Parameters by name; weights of linear layers are [in, out] so that y = x.matmul(w).add(b). */
export type GptParams = Record<string, Tensor>;

export interface GptStepResult {
  tokensPerS: number;
  stepMs: number;
  /** Peak resident set size of this process so far, MiB (maxRSS is in KiB). */
  peakRssMb: number;
  lossFirst: number;
  lossLast: number;
  /** Number of parameters (the tied embedding counted once). */
  params: number;
  backend: string;
}

// ------------------------------------------------------------------ model

/** GPT-2 init: N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 * layers)), zero biases. */
export function initGptParams(): GptParams {
  const { vocab, context, dModel: d, nLayers } = GPT_CONFIG;
  const std = 0.02;
  const residStd = std / Math.sqrt(2 * nLayers);
  const p: GptParams = {};
  noGrad(() => {
    p.wte = randn([vocab, d]).mul(std);
    p.wpe = randn([context, d]).mul(std);
    for (let l = 0; l < nLayers; l++) {
      p[`h${l}.ln1.w`] = ones([d]);
      p[`h${l}.ln1.b`] = zeros([d]);
      p[`h${l}.qkv.w`] = randn([d, 3 * d]).mul(std);
      p[`h${l}.qkv.b`] = zeros([3 * d]);
      p[`h${l}.attnProj.w`] = randn([d, d]).mul(residStd);
      p[`h${l}.attnProj.b`] = zeros([d]);
      p[`h${l}.ln2.w`] = ones([d]);
      p[`h${l}.ln2.b`] = zeros([d]);
      p[`h${l}.fc.w`] = randn([d, 4 * d]).mul(std);
      p[`h${l}.fc.b`] = zeros([4 * d]);
      p[`h${l}.mlpProj.w`] = randn([4 * d, d]).mul(residStd);
      p[`h${l}.mlpProj.b`] = zeros([d]);
    }
    p.lnf_w = ones([d]);
    p.lnf_b = zeros([d]);
  });
  for (const t of Object.values(p)) t.requiresGrad_();
  return p;
}

export function countParams(p: GptParams): number {
  return Object.values(p).reduce((n, t) => n + t.size, 0);
}

/** Mean cross-entropy of next-token prediction; ids and targets are int32 [B, T]. */
export function gptLoss(p: GptParams, ids: Tensor, targets: Tensor): Tensor {
  const { nLayers, nHeads, vocab } = GPT_CONFIG;
  const [B, T] = ids.shape;
  const d = p.wte.shape[1];
  const hd = d / nHeads;
  const heads = (t: Tensor) => t.reshape([B, T, nHeads, hd]).transpose(1, 2); // [B, H, T, hd]

  let x = embedding(ids, p.wte).add(embedding(arange(0, T), p.wpe)); // [B, T, D]
  for (let l = 0; l < nLayers; l++) {
    const h = `h${l}.`;
    const a = layerNorm(x, { weight: p[`${h}ln1.w`], bias: p[`${h}ln1.b`] });
    const [q, k, v] = a.matmul(p[`${h}qkv.w`]).add(p[`${h}qkv.b`]).split(d, -1);
    const y = scaledDotProductAttention(heads(q), heads(k), heads(v), { causal: true })
      .transpose(1, 2)
      .reshape([B, T, d]);
    x = x.add(y.matmul(p[`${h}attnProj.w`]).add(p[`${h}attnProj.b`]));
    const m = layerNorm(x, { weight: p[`${h}ln2.w`], bias: p[`${h}ln2.b`] });
    const f = gelu(m.matmul(p[`${h}fc.w`]).add(p[`${h}fc.b`]), { approximate: 'tanh' });
    x = x.add(f.matmul(p[`${h}mlpProj.w`]).add(p[`${h}mlpProj.b`]));
  }
  x = layerNorm(x, { weight: p.lnf_w, bias: p.lnf_b });
  const logits = x.matmul(p.wte.transpose(0, 1)); // tied lm head, [B, T, V]
  return crossEntropy(logits.reshape([B * T, vocab]), targets.reshape([B * T]));
}

// ------------------------------------------------------------------ optimizer

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Applied to 2-D weights only. */
  weightDecay: number;
}

export interface AdamWState {
  step: number;
  m: Record<string, Tensor>;
  v: Record<string, Tensor>;
}

export const GPT_ADAMW: AdamWHyper = {
  lr: 3e-4,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
};

export function adamwInit(params: GptParams): AdamWState {
  const m: Record<string, Tensor> = {};
  const v: Record<string, Tensor> = {};
  noGrad(() => {
    for (const [name, p] of Object.entries(params)) {
      m[name] = zerosLike(p);
      v[name] = zerosLike(p);
    }
  });
  return { step: 0, m, v };
}

/**
 * AdamW (PyTorch's, decoupled weight decay on 2-D weights only) through the library's in-place
 * `adamwUpdate`: the backend's fused kernel where it has one (native, js), tensor ops otherwise.
 * Parameters keep their storage, so the same `params` object is returned.
 */
export function adamwStep(params: GptParams, state: AdamWState, hyper: AdamWHyper): GptParams {
  state.step += 1;
  for (const [name, p] of Object.entries(params)) {
    const g = p.grad;
    if (!g) throw new Error(`adamwStep: parameter '${name}' has no gradient`);
    adamwUpdate(p, g, state.m[name], state.v[name], {
      lr: hyper.lr,
      beta1: hyper.beta1,
      beta2: hyper.beta2,
      eps: hyper.eps,
      weightDecay: p.ndim === 2 ? hyper.weightDecay : 0,
      step: state.step,
    });
    p.zeroGrad();
  }
  return params;
}
// ===== end AdamW update =====

// ------------------------------------------------------------------ benchmark

/**
 * This process's peak RSS in KiB: VmHWM from /proc/self/status (its own high-water mark),
 * else maxRSS, which on Linux can carry a parent's peak across fork.
 */
function peakRssKib(): number {
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+)/m);
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

export function gptStep(options: {
  steps: number;
  backend?: string;
  seed?: number;
}): GptStepResult {
  const { steps, backend, seed = 0 } = options;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new Error(`gptStep: steps must be a positive integer, got ${steps}`);
  }
  if (backend) setBackend(backend);
  const { batch: B, context: T, vocab } = GPT_CONFIG;

  manualSeed(seed);
  let params = initGptParams();
  const nParams = countParams(params);
  const state = adamwInit(params);
  const tokens = randint(0, vocab, [B, T + 1]);
  const ids = tokens.slice(1, 0, T).contiguous();
  const targets = tokens.slice(1, 1, T + 1).contiguous();

  const losses: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < WARMUP_STEPS + steps; i++) {
    const t0 = performance.now();
    const loss = gptLoss(params, ids, targets);
    loss.backward();
    params = adamwStep(params, state, GPT_ADAMW);
    losses.push(loss.item());
    const dt = (performance.now() - t0) / 1000;
    if (i >= WARMUP_STEPS) times.push(dt);
  }

  const stepS = median(times);
  return {
    tokensPerS: (B * T) / stepS,
    stepMs: stepS * 1000,
    peakRssMb: peakRssKib() / 1024,
    lossFirst: losses[0],
    lossLast: losses[losses.length - 1],
    params: nParams,
    backend: getBackend().name,
  };
}

/**
 * The same step through the library's model and optimizer: `CausalLM` (arch gpt2, the same
 * config) and `AdamW` (weight decay on every 2-D weight, as the anchor: embeddings included).
 */
export function causalLmStep(options: {
  steps: number;
  backend?: string;
  seed?: number;
}): GptStepResult {
  const { steps, backend, seed = 0 } = options;
  if (backend) setBackend(backend);
  const { batch: B, context: T, vocab, dModel, nLayers, nHeads } = GPT_CONFIG;
  manualSeed(seed);
  const model = new CausalLM({
    arch: 'gpt2',
    vocabSize: vocab,
    contextLength: T,
    dModel,
    nLayers,
    nHeads,
  });
  const { lr, beta1, beta2, eps, weightDecay } = GPT_ADAMW;
  const opt = new AdamW(paramGroups(model, { weightDecay, decayEmbeddings: true }), {
    lr,
    betas: [beta1, beta2],
    eps,
  });
  const tokens = randint(0, vocab, [B, T + 1]);
  const ids = tokens.slice(1, 0, T).contiguous();
  const targets = tokens.slice(1, 1, T + 1).contiguous();
  const losses: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < WARMUP_STEPS + steps; i++) {
    const t0 = performance.now();
    const loss = model.loss(ids, targets);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    losses.push(loss.item());
    if (i >= WARMUP_STEPS) times.push((performance.now() - t0) / 1000);
  }
  const stepS = median(times);
  return {
    tokensPerS: (B * T) / stepS,
    stepMs: stepS * 1000,
    peakRssMb: peakRssKib() / 1024,
    lossFirst: losses[0],
    lossLast: losses[losses.length - 1],
    params: model.numParameters(),
    backend: getBackend().name,
  };
}
