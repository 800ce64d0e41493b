/**
 * The model config: one small object for both architectures, validated with errors that name
 * the field, and converted to and from Hugging Face's config.json field names.
 */

export type Arch = 'gpt2' | 'llama';

export interface ModelConfig {
  arch: Arch;
  vocabSize: number;
  /** Longest sequence (GPT-2: learned positions; Llama: the rotary table's length). */
  contextLength: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** Key/value heads for grouped-query attention (Llama); default nHeads. Must divide nHeads. */
  nKvHeads?: number;
  /** Hidden size of the MLP; default 4 dModel (GPT-2) or 8/3 dModel rounded up to 64 (Llama). */
  ffnHidden?: number;
  /** Rotary base (Llama); default 10000. */
  ropeTheta?: number;
  /** Norm epsilon; default 1e-5 (GPT-2's layer_norm_epsilon, Llama-2/3's rms_norm_eps). */
  normEps?: number;
  /** Share the input embedding with the output head; default true for GPT-2, false for Llama. */
  tieEmbeddings?: boolean;
  /** Dropout on embeddings and residual branches while training (GPT-2's pdrop); default 0. */
  dropout?: number;
  /** Std of the normal weight init; default 0.02 (HF's initializer_range). */
  initStd?: number;
  /** Token ids that generation stops at by default (HF eos_token_id). */
  eosTokenId?: number | number[] | null;
  bosTokenId?: number | null;
}

/** A config with every default filled in. */
export type ResolvedConfig = Required<Omit<ModelConfig, 'eosTokenId' | 'bosTokenId'>> & {
  eosTokenId: number[];
  bosTokenId: number | null;
};

const KEYS = new Set([
  'arch',
  'vocabSize',
  'contextLength',
  'dModel',
  'nLayers',
  'nHeads',
  'nKvHeads',
  'ffnHidden',
  'ropeTheta',
  'normEps',
  'tieEmbeddings',
  'dropout',
  'initStd',
  'eosTokenId',
  'bosTokenId',
]);

function positiveInt(cfg: Record<string, unknown>, key: string): number {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`model config: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Checks a config and fills in the defaults; throws naming the first bad field. */
export function resolveConfig(config: ModelConfig): ResolvedConfig {
  if (config === null || typeof config !== 'object') {
    throw new Error(
      `model config must be an object, got ${config === null ? 'null' : typeof config}`,
    );
  }
  const c = config as unknown as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!KEYS.has(k)) throw new Error(`model config: unknown field '${k}'`);
  }
  if (c.arch !== 'gpt2' && c.arch !== 'llama') {
    throw new Error(`model config: arch must be 'gpt2' or 'llama', got ${JSON.stringify(c.arch)}`);
  }
  const arch = c.arch;
  const vocabSize = positiveInt(c, 'vocabSize');
  const contextLength = positiveInt(c, 'contextLength');
  const dModel = positiveInt(c, 'dModel');
  const nLayers = positiveInt(c, 'nLayers');
  const nHeads = positiveInt(c, 'nHeads');
  if (dModel % nHeads !== 0) {
    throw new Error(`model config: dModel (${dModel}) must be divisible by nHeads (${nHeads})`);
  }
  const nKvHeads = c.nKvHeads === undefined ? nHeads : positiveInt(c, 'nKvHeads');
  if (nHeads % nKvHeads !== 0) {
    throw new Error(`model config: nHeads (${nHeads}) must be divisible by nKvHeads (${nKvHeads})`);
  }
  if (arch === 'gpt2' && nKvHeads !== nHeads) {
    throw new Error(
      `model config: gpt2 has no grouped-query attention (nKvHeads ${nKvHeads} != nHeads ${nHeads})`,
    );
  }
  const headDim = dModel / nHeads;
  if (arch === 'llama' && headDim % 2 !== 0) {
    throw new Error(
      `model config: rotary embeddings need an even head dimension, got dModel/nHeads = ${headDim}`,
    );
  }
  const ffnHidden =
    c.ffnHidden === undefined
      ? arch === 'gpt2'
        ? 4 * dModel
        : Math.ceil((8 * dModel) / 3 / 64) * 64
      : positiveInt(c, 'ffnHidden');
  const num = (key: string, dflt: number, ok: (v: number) => boolean, what: string) => {
    const v = c[key] === undefined ? dflt : c[key];
    if (typeof v !== 'number' || !ok(v)) {
      throw new Error(`model config: ${key} must be ${what}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const ropeTheta = num('ropeTheta', 10000, (v) => v > 0, 'a positive number');
  const normEps = num('normEps', 1e-5, (v) => v > 0 && v < 1, 'in (0, 1)');
  const dropout = num('dropout', 0, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const initStd = num('initStd', 0.02, (v) => v > 0, 'a positive number');
  const tie = c.tieEmbeddings === undefined ? arch === 'gpt2' : c.tieEmbeddings;
  if (typeof tie !== 'boolean') {
    throw new Error(`model config: tieEmbeddings must be a boolean, got ${JSON.stringify(tie)}`);
  }
  const ids = (key: string): number[] => {
    const v = c[key];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    for (const id of list) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new Error(
          `model config: ${key} ${JSON.stringify(v)} must be token ids in [0, ${vocabSize})`,
        );
      }
    }
    return list as number[];
  };
  const eosTokenId = ids('eosTokenId');
  const bos = ids('bosTokenId');
  if (bos.length > 1) throw new Error('model config: bosTokenId must be one id');
  return {
    arch,
    vocabSize,
    contextLength,
    dModel,
    nLayers,
    nHeads,
    nKvHeads,
    ffnHidden,
    ropeTheta,
    normEps,
    tieEmbeddings: tie,
    dropout,
    initStd,
    eosTokenId,
    bosTokenId: bos[0] ?? null,
  };
}

/** config.json as transformers writes it for GPT2LMHeadModel / LlamaForCausalLM. */
export function toHfConfig(config: ModelConfig, dtype = 'float32'): Record<string, unknown> {
  const c = resolveConfig(config);
  const eos =
    c.eosTokenId.length === 0 ? null : c.eosTokenId.length === 1 ? c.eosTokenId[0] : c.eosTokenId;
  if (c.arch === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: c.vocabSize,
      n_positions: c.contextLength,
      n_ctx: c.contextLength,
      n_embd: c.dModel,
      n_layer: c.nLayers,
      n_head: c.nHeads,
      n_inner: c.ffnHidden === 4 * c.dModel ? null : c.ffnHidden,
      activation_function: 'gelu_new',
      layer_norm_epsilon: c.normEps,
      resid_pdrop: c.dropout,
      embd_pdrop: c.dropout,
      attn_pdrop: 0,
      initializer_range: c.initStd,
      tie_word_embeddings: c.tieEmbeddings,
      bos_token_id: c.bosTokenId,
      eos_token_id: eos,
      torch_dtype: dtype,
    };
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    max_position_embeddings: c.contextLength,
    hidden_size: c.dModel,
    intermediate_size: c.ffnHidden,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.dModel / c.nHeads,
    hidden_act: 'silu',
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    attention_bias: false,
    mlp_bias: false,
    attention_dropout: 0,
    initializer_range: c.initStd,
    tie_word_embeddings: c.tieEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: eos,
    torch_dtype: dtype,
  };
}

/** Reads Hugging Face's config.json (GPT-2 or Llama families); errors name the field. */
export function fromHfConfig(hf: Record<string, unknown>, source = 'config.json'): ModelConfig {
  if (hf === null || typeof hf !== 'object') throw new Error(`${source}: not a JSON object`);
  const type = hf.model_type;
  const need = (key: string): number => {
    const v = hf[key];
    if (typeof v !== 'number')
      throw new Error(`${source}: field '${key}' is missing or not a number`);
    return v;
  };
  const opt = (key: string): number | undefined =>
    typeof hf[key] === 'number' ? (hf[key] as number) : undefined;
  const eos = hf.eos_token_id as number | number[] | null | undefined;
  const bos = hf.bos_token_id as number | null | undefined;
  if (type === 'gpt2') {
    const act = hf.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh') {
      throw new Error(
        `${source}: activation_function '${String(act)}' is not supported (gelu_new)`,
      );
    }
    return {
      arch: 'gpt2',
      vocabSize: need('vocab_size'),
      contextLength: need('n_positions'),
      dModel: need('n_embd'),
      nLayers: need('n_layer'),
      nHeads: need('n_head'),
      ffnHidden: opt('n_inner'),
      normEps: opt('layer_norm_epsilon'),
      tieEmbeddings: hf.tie_word_embeddings === undefined ? true : Boolean(hf.tie_word_embeddings),
      dropout: opt('resid_pdrop'),
      initStd: opt('initializer_range'),
      eosTokenId: eos ?? undefined,
      bosTokenId: bos ?? undefined,
    };
  }
  if (type === 'llama' || type === 'mistral' || type === 'qwen2' || type === 'qwen3') {
    if (type === 'qwen2' || type === 'qwen3') {
      throw new Error(
        `${source}: model_type '${type}' has attention biases or q/k norms, not supported yet (llama, gpt2)`,
      );
    }
    if (hf.rope_scaling !== undefined && hf.rope_scaling !== null) {
      throw new Error(`${source}: rope_scaling is not supported yet`);
    }
    if (hf.attention_bias === true || hf.mlp_bias === true) {
      throw new Error(`${source}: attention_bias / mlp_bias are not supported`);
    }
    const act = hf.hidden_act ?? 'silu';
    if (act !== 'silu')
      throw new Error(`${source}: hidden_act '${String(act)}' is not supported (silu)`);
    const d = need('hidden_size');
    const heads = need('num_attention_heads');
    const headDim = opt('head_dim');
    if (headDim !== undefined && headDim * heads !== d) {
      throw new Error(
        `${source}: head_dim ${headDim} * num_attention_heads ${heads} != hidden_size ${d} (not supported)`,
      );
    }
    return {
      arch: 'llama',
      vocabSize: need('vocab_size'),
      contextLength: need('max_position_embeddings'),
      dModel: d,
      nLayers: need('num_hidden_layers'),
      nHeads: heads,
      nKvHeads: opt('num_key_value_heads'),
      ffnHidden: need('intermediate_size'),
      ropeTheta: opt('rope_theta'),
      normEps: opt('rms_norm_eps') ?? 1e-6,
      tieEmbeddings: Boolean(hf.tie_word_embeddings ?? false),
      initStd: opt('initializer_range'),
      eosTokenId: eos ?? undefined,
      bosTokenId: bos ?? undefined,
    };
  }
  throw new Error(
    `${source}: model_type ${JSON.stringify(type)} is not supported (gpt2, llama, mistral)`,
  );
}
