/**
 * A tiny GPT-2 style decoder written with tensor ops only (the shape of bench/gpt-step.ts at toy
 * size), and `trainLosses`, which trains any such model for a number of AdamW steps on one
 * backend and returns the loss of every step. Used to check that a backend trains like `js`.
 */
import {
  adamwUpdate,
  arange,
  crossEntropy,
  embedding,
  gelu,
  layerNorm,
  manualSeed,
  noGrad,
  ones,
  randint,
  randn,
  scaledDotProductAttention,
  type Tensor,
  withBackend,
  zeros,
  zerosLike,
} from '../src/index.js';

export interface TinyGptConfig {
  vocab: number;
  context: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  batch: number;
}

export const TINY_GPT: TinyGptConfig = {
  vocab: 64,
  context: 16,
  dModel: 32,
  nLayers: 2,
  nHeads: 2,
  batch: 4,
};

/** A model as `trainLosses` sees it: named parameters and the loss of the fixed batch. */
export interface TrainableModel {
  params: Record<string, Tensor>;
  loss(): Tensor;
}

/** GPT-2 init (N(0, 0.02), scaled residual projections), on the active backend. */
export function tinyGpt(cfg: TinyGptConfig = TINY_GPT, seed = 0): TrainableModel {
  const { vocab, context, dModel: d, nLayers, nHeads, batch: B } = cfg;
  manualSeed(seed);
  const std = 0.02;
  const residStd = std / Math.sqrt(2 * nLayers);
  const p: Record<string, Tensor> = {};
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
  // one fixed batch: inputs are the first `context` tokens, targets the same shifted by one
  const tokens = randint(0, vocab, [B, context + 1]);
  const ids = tokens.slice(1, 0, context).contiguous();
  const targets = tokens.slice(1, 1, context + 1).contiguous();
  const hd = d / nHeads;
  const heads = (t: Tensor) => t.reshape([B, context, nHeads, hd]).transpose(1, 2); // [B, H, T, hd]

  const loss = (): Tensor => {
    let x = embedding(ids, p.wte).add(embedding(arange(0, context), p.wpe)); // [B, T, D]
    for (let l = 0; l < nLayers; l++) {
      const h = `h${l}.`;
      const a = layerNorm(x, { weight: p[`${h}ln1.w`], bias: p[`${h}ln1.b`] });
      const [q, k, v] = a.matmul(p[`${h}qkv.w`]).add(p[`${h}qkv.b`]).split(d, -1);
      const y = scaledDotProductAttention(heads(q), heads(k), heads(v), { causal: true })
        .transpose(1, 2)
        .reshape([B, context, d]); // [B, T, D]
      x = x.add(y.matmul(p[`${h}attnProj.w`]).add(p[`${h}attnProj.b`]));
      const m = layerNorm(x, { weight: p[`${h}ln2.w`], bias: p[`${h}ln2.b`] });
      const f = gelu(m.matmul(p[`${h}fc.w`]).add(p[`${h}fc.b`]), { approximate: 'tanh' });
      x = x.add(f.matmul(p[`${h}mlpProj.w`]).add(p[`${h}mlpProj.b`]));
    }
    x = layerNorm(x, { weight: p.lnf_w, bias: p.lnf_b });
    const logits = x.matmul(p.wte.transpose(0, 1)); // tied head, [B, T, V]
    return crossEntropy(logits.reshape([B * context, vocab]), targets.reshape([B * context]));
  };
  return { params: p, loss };
}

export interface TrainOptions {
  steps: number;
  lr?: number;
  weightDecay?: number;
  /** Called after every step (on the backend, inside `withBackend`). */
  onStep?: (step: number, loss: number) => void;
}

/**
 * Builds a model with `make` on `backend` and trains it with AdamW (decay on 2-D weights only)
 * for `steps` steps; returns each step's loss. Between steps it yields to the event loop, so
 * that device buffers of collected graphs are freed by the backend's safety net.
 */
export async function trainLosses(
  backend: string,
  make: () => TrainableModel,
  options: TrainOptions,
): Promise<number[]> {
  const { steps, lr = 3e-3, weightDecay = 0.1 } = options;
  const model = withBackend(backend, make);
  const m = new Map<Tensor, Tensor>();
  const v = new Map<Tensor, Tensor>();
  withBackend(backend, () =>
    noGrad(() => {
      for (const p of Object.values(model.params)) {
        m.set(p, zerosLike(p));
        v.set(p, zerosLike(p));
      }
    }),
  );
  const losses: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const value = withBackend(backend, () => {
      const loss = model.loss();
      loss.backward();
      for (const p of Object.values(model.params)) {
        adamwUpdate(p, p.grad!, m.get(p)!, v.get(p)!, {
          lr,
          beta1: 0.9,
          beta2: 0.95,
          eps: 1e-8,
          weightDecay: p.ndim === 2 ? weightDecay : 0,
          step,
        });
        p.zeroGrad();
      }
      const x = loss.item();
      loss.dispose();
      return x;
    });
    losses.push(value);
    options.onStep?.(step, value);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return losses;
}
