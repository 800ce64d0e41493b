/**
 * Llama (Touvron et al., 2023) as Hugging Face's LlamaModel lays it out: pre-RMSNorm blocks,
 * separate q/k/v/o projections without bias, grouped-query attention, rotary positions
 * (rotate-half layout), SwiGLU MLP. Parameter names equal transformers'
 * (`model.layers.0.self_attn.q_proj.weight`).
 */
import { silu, type Tensor } from '@openeurollm/tensor';
import { causalAttention, type KVCache, RotaryTable } from '../attention.js';
import type { ResolvedConfig } from '../config.js';
import { Dropout, Embedding, Linear, RMSNorm } from '../layers.js';
import { Module, ModuleList } from '../module.js';

class LlamaAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;

  constructor(
    readonly config: ResolvedConfig,
    private readonly rope: RotaryTable,
  ) {
    super();
    const { dModel: d, nHeads, nKvHeads, initStd: std } = config;
    const hd = d / nHeads;
    this.q_proj = this.registerModule('q_proj', new Linear(d, nHeads * hd, { bias: false, std }));
    this.k_proj = this.registerModule('k_proj', new Linear(d, nKvHeads * hd, { bias: false, std }));
    this.v_proj = this.registerModule('v_proj', new Linear(d, nKvHeads * hd, { bias: false, std }));
    this.o_proj = this.registerModule('o_proj', new Linear(nHeads * hd, d, { bias: false, std }));
  }

  forward(x: Tensor, layer: number, cache: KVCache | null): Tensor {
    const [B, T, d] = x.shape;
    const { nHeads: H, nKvHeads: KV } = this.config;
    const hd = d / H;
    const start = cache?.length ?? 0;
    // [B, T, heads * hd] -> [B, heads, T, hd]
    const q = this.q_proj.forward(x).reshape([B, T, H, hd]).transpose(1, 2);
    let k = this.k_proj.forward(x).reshape([B, T, KV, hd]).transpose(1, 2);
    let v = this.v_proj.forward(x).reshape([B, T, KV, hd]).transpose(1, 2);
    k = this.rope.apply(k, start);
    if (cache) [k, v] = cache.update(layer, k, v);
    const y = causalAttention(this.rope.apply(q, start), k, v); // [B, H, T, hd]
    return this.o_proj.forward(y.transpose(1, 2).reshape([B, T, H * hd]));
  }
}

class LlamaMLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;

  constructor(config: ResolvedConfig) {
    super();
    const { dModel: d, ffnHidden: f, initStd: std } = config;
    this.gate_proj = this.registerModule('gate_proj', new Linear(d, f, { bias: false, std }));
    this.up_proj = this.registerModule('up_proj', new Linear(d, f, { bias: false, std }));
    this.down_proj = this.registerModule('down_proj', new Linear(f, d, { bias: false, std }));
  }

  /** SwiGLU: down(silu(gate(x)) * up(x)) */
  forward(x: Tensor): Tensor {
    return this.down_proj.forward(silu(this.gate_proj.forward(x)).mul(this.up_proj.forward(x)));
  }
}

class LlamaDecoderLayer extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: LlamaAttention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: LlamaMLP;
  private readonly drop: Dropout;

  constructor(config: ResolvedConfig, rope: RotaryTable) {
    super();
    this.input_layernorm = this.registerModule(
      'input_layernorm',
      new RMSNorm(config.dModel, config.normEps),
    );
    this.self_attn = this.registerModule('self_attn', new LlamaAttention(config, rope));
    this.post_attention_layernorm = this.registerModule(
      'post_attention_layernorm',
      new RMSNorm(config.dModel, config.normEps),
    );
    this.mlp = this.registerModule('mlp', new LlamaMLP(config));
    this.drop = this.registerModule('drop', new Dropout(config.dropout));
  }

  forward(x: Tensor, layer: number, cache: KVCache | null): Tensor {
    x = x.add(
      this.drop.forward(this.self_attn.forward(this.input_layernorm.forward(x), layer, cache)),
    );
    return x.add(this.drop.forward(this.mlp.forward(this.post_attention_layernorm.forward(x))));
  }
}

/** The Llama trunk (`model.*`): ids [B, T] -> hidden states [B, T, dModel]. */
export class LlamaModel extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<LlamaDecoderLayer>;
  readonly norm: RMSNorm;
  private readonly rope: RotaryTable;

  constructor(readonly config: ResolvedConfig) {
    super();
    const { vocabSize, dModel, nHeads, contextLength, ropeTheta, initStd } = config;
    this.rope = new RotaryTable(dModel / nHeads, contextLength, ropeTheta);
    this.embed_tokens = this.registerModule(
      'embed_tokens',
      new Embedding(vocabSize, dModel, { std: initStd }),
    );
    this.layers = this.registerModule(
      'layers',
      new ModuleList(
        Array.from({ length: config.nLayers }, () => new LlamaDecoderLayer(config, this.rope)),
      ),
    );
    this.norm = this.registerModule('norm', new RMSNorm(dModel, config.normEps));
  }

  get embeddingWeight(): Tensor {
    return this.embed_tokens.weight;
  }

  forward(ids: Tensor, cache: KVCache | null = null): Tensor {
    let x = this.embed_tokens.forward(ids); // [B, T, d]
    let layer = 0;
    for (const block of this.layers) x = block.forward(x, layer++, cache);
    return this.norm.forward(x);
  }
}
