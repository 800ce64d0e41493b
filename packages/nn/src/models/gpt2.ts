/**
 * GPT-2 (Radford et al., 2019) as Hugging Face's GPT2Model lays it out: pre-LayerNorm blocks,
 * fused q/k/v projection (`c_attn`, Conv1D), GELU with the tanh approximation, learned
 * positions. Parameter names equal transformers' (`transformer.h.0.attn.c_attn.weight`).
 */
import { arange, gelu, type Tensor } from '@openeurollm/tensor';
import { causalAttention, type KVCache } from '../attention.js';
import type { ResolvedConfig } from '../config.js';
import { Conv1D, Dropout, Embedding, LayerNorm } from '../layers.js';
import { Module, ModuleList } from '../module.js';

class GPT2Attention extends Module {
  readonly c_attn: Conv1D;
  readonly c_proj: Conv1D;

  constructor(readonly config: ResolvedConfig) {
    super();
    const { dModel: d, initStd, nLayers } = config;
    this.c_attn = this.registerModule('c_attn', new Conv1D(d, 3 * d, { std: initStd }));
    // residual projections start smaller, by 1/sqrt(2 * layers) (GPT-2 paper, section 2.3)
    this.c_proj = this.registerModule(
      'c_proj',
      new Conv1D(d, d, { std: initStd / Math.sqrt(2 * nLayers) }),
    );
  }

  forward(x: Tensor, layer: number, cache: KVCache | null): Tensor {
    const [B, T, d] = x.shape;
    const H = this.config.nHeads;
    const hd = d / H;
    const [q, k, v] = this.c_attn.forward(x).split(d, -1); // 3 x [B, T, d]
    const heads = (t: Tensor) => t.reshape([B, T, H, hd]).transpose(1, 2); // [B, H, T, hd]
    let kh = heads(k);
    let vh = heads(v);
    if (cache) [kh, vh] = cache.update(layer, kh, vh);
    const y = causalAttention(heads(q), kh, vh); // [B, H, T, hd]
    return this.c_proj.forward(y.transpose(1, 2).reshape([B, T, d]));
  }
}

class GPT2MLP extends Module {
  readonly c_fc: Conv1D;
  readonly c_proj: Conv1D;

  constructor(config: ResolvedConfig) {
    super();
    const { dModel: d, ffnHidden, initStd, nLayers } = config;
    this.c_fc = this.registerModule('c_fc', new Conv1D(d, ffnHidden, { std: initStd }));
    this.c_proj = this.registerModule(
      'c_proj',
      new Conv1D(ffnHidden, d, { std: initStd / Math.sqrt(2 * nLayers) }),
    );
  }

  forward(x: Tensor): Tensor {
    return this.c_proj.forward(gelu(this.c_fc.forward(x), { approximate: 'tanh' }));
  }
}

class GPT2Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln_2: LayerNorm;
  readonly mlp: GPT2MLP;
  private readonly drop: Dropout;

  constructor(config: ResolvedConfig) {
    super();
    this.ln_1 = this.registerModule('ln_1', new LayerNorm(config.dModel, config.normEps));
    this.attn = this.registerModule('attn', new GPT2Attention(config));
    this.ln_2 = this.registerModule('ln_2', new LayerNorm(config.dModel, config.normEps));
    this.mlp = this.registerModule('mlp', new GPT2MLP(config));
    this.drop = this.registerModule('drop', new Dropout(config.dropout));
  }

  forward(x: Tensor, layer: number, cache: KVCache | null): Tensor {
    x = x.add(this.drop.forward(this.attn.forward(this.ln_1.forward(x), layer, cache)));
    return x.add(this.drop.forward(this.mlp.forward(this.ln_2.forward(x))));
  }
}

/** The GPT-2 trunk (`transformer.*`): ids [B, T] -> hidden states [B, T, dModel]. */
export class GPT2Model extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: ModuleList<GPT2Block>;
  readonly ln_f: LayerNorm;
  private readonly drop: Dropout;

  constructor(readonly config: ResolvedConfig) {
    super();
    const { vocabSize, contextLength, dModel, initStd } = config;
    this.wte = this.registerModule('wte', new Embedding(vocabSize, dModel, { std: initStd }));
    this.wpe = this.registerModule('wpe', new Embedding(contextLength, dModel, { std: initStd }));
    this.drop = this.registerModule('drop', new Dropout(config.dropout));
    this.h = this.registerModule(
      'h',
      new ModuleList(Array.from({ length: config.nLayers }, () => new GPT2Block(config))),
    );
    this.ln_f = this.registerModule('ln_f', new LayerNorm(dModel, config.normEps));
  }

  /** The input embedding table (tied to the output head when tieEmbeddings). */
  get embeddingWeight(): Tensor {
    return this.wte.weight;
  }

  forward(ids: Tensor, cache: KVCache | null = null): Tensor {
    const T = ids.shape[1];
    const start = cache?.length ?? 0;
    if (start + T > this.config.contextLength) {
      throw new Error(
        `GPT-2: sequence of ${start + T} positions exceeds contextLength ${this.config.contextLength}`,
      );
    }
    const positions = arange(start, start + T, 1, { dtype: 'int32' });
    let x = this.drop.forward(this.wte.forward(ids).add(this.wpe.forward(positions))); // [B, T, d]
    let layer = 0;
    for (const block of this.h) x = block.forward(x, layer++, cache);
    return this.ln_f.forward(x);
  }
}
