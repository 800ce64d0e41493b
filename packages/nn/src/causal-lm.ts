/**
 * `CausalLM`: a GPT-2 or Llama decoder with its language-model head, built from one config.
 * forward(ids) gives logits, loss(ids, targets) the mean next-token cross-entropy, and
 * generate(...) samples continuations with a key/value cache.
 */
import { crossEntropy, Generator, noGrad, randn, Tensor, tensor } from '@openeurollm/tensor';
import { KVCache } from './attention.js';
import { type ModelConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { GPT2Model } from './models/gpt2.js';
import { LlamaModel } from './models/llama.js';
import { Module } from './module.js';
import { type SamplingOptions, sampleToken } from './sampling.js';

/** The output projection [vocab, dModel]; its weight may be the input embedding (tied). */
class LMHead extends Module {
  readonly weight: Tensor;

  constructor(weight: Tensor) {
    super();
    this.weight = this.registerParameter('weight', weight);
  }

  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.mT); // [B, T, d] @ [d, V] -> [B, T, V]
  }
}

export interface LossOptions {
  /** Targets equal to this are not scored (default -100, as PyTorch and transformers). */
  ignoreIndex?: number;
}

export interface GenerateOptions extends SamplingOptions {
  /** How many tokens to add at most (default 32). */
  maxNewTokens?: number;
  /** Seed of the sampling generator: the same seed and prompt give the same tokens. */
  seed?: number;
  /** Token ids that end a sequence (kept in the output); default the config's eosTokenId. */
  stop?: number | number[];
}

type Trunk = GPT2Model | LlamaModel;

export class CausalLM extends Module {
  readonly config: ResolvedConfig;
  /** GPT-2's trunk is called `transformer`, Llama's `model` (transformers' names). */
  readonly trunk: Trunk;
  readonly lm_head: LMHead;

  constructor(config: ModelConfig) {
    super();
    this.config = resolveConfig(config);
    const c = this.config;
    if (c.arch === 'gpt2') this.trunk = this.registerModule('transformer', new GPT2Model(c));
    else this.trunk = this.registerModule('model', new LlamaModel(c));
    const head = c.tieEmbeddings
      ? this.trunk.embeddingWeight
      : noGrad(() => randn([c.vocabSize, c.dModel]).mul(c.initStd));
    this.lm_head = this.registerModule('lm_head', new LMHead(head));
  }

  /** The config with every default filled in, as a plain `ModelConfig` (a copy). */
  get modelConfig(): ModelConfig {
    return { ...this.config };
  }

  /** int32 ids [B, T] (or [T]) -> logits [B, T, vocab] (or [T, vocab]). */
  forward(ids: Tensor | number[] | number[][], cache: KVCache | null = null): Tensor {
    const x = this.checkIds(ids, 'forward');
    const logits = this.lm_head.forward(
      this.trunk.forward(x.ndim === 1 ? x.unsqueeze(0) : x, cache),
    );
    return x.ndim === 1 ? logits.squeeze(0) : logits;
  }

  /**
   * Mean cross-entropy of `targets` [B, T] under the logits of `ids` [B, T]: targets are the
   * next tokens (shift them yourself); positions whose target is ignoreIndex do not count.
   */
  loss(ids: Tensor | number[][], targets: Tensor | number[][], options: LossOptions = {}): Tensor {
    const x = this.checkIds(ids, 'loss');
    const y = targets instanceof Tensor ? targets : tensor(targets, { dtype: 'int32' });
    if (y.dtype !== 'int32')
      throw new Error(`CausalLM.loss: targets must be int32, got ${y.dtype}`);
    if (x.shape.length !== y.shape.length || x.shape.some((n, i) => n !== y.shape[i])) {
      throw new Error(
        `CausalLM.loss: targets shape [${y.shape.join(', ')}] must equal ids shape [${x.shape.join(', ')}]`,
      );
    }
    const logits = this.forward(x); // [B, T, V]
    const V = this.config.vocabSize;
    return crossEntropy(logits.reshape([-1, V]), y.reshape([-1]), {
      ignoreIndex: options.ignoreIndex ?? -100,
    });
  }

  /**
   * Continues each prompt (equal lengths) by up to maxNewTokens tokens; returns the whole
   * sequences (prompt included), each cut after its first stop token. Stops early at the
   * context length. Runs in eval mode without autograd; the mode is restored afterwards.
   */
  generate(prompt: number[] | number[][], options: GenerateOptions = {}): number[][] {
    const rows = Array.isArray(prompt[0]) ? (prompt as number[][]) : [prompt as number[]];
    if (rows.length === 0 || rows[0].length === 0) {
      throw new Error('CausalLM.generate: the prompt must hold at least one token');
    }
    if (rows.some((r) => r.length !== rows[0].length)) {
      throw new Error('CausalLM.generate: prompts of a batch must have the same length');
    }
    const maxNew = options.maxNewTokens ?? 32;
    if (!Number.isInteger(maxNew) || maxNew < 0) {
      throw new Error(
        `CausalLM.generate: maxNewTokens must be a non-negative integer, got ${maxNew}`,
      );
    }
    const stop = new Set(
      options.stop === undefined
        ? this.config.eosTokenId
        : Array.isArray(options.stop)
          ? options.stop
          : [options.stop],
    );
    const generator = new Generator(options.seed ?? 0);
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() => {
        const out = rows.map((r) => [...r]);
        const done = rows.map(() => false);
        const cache = new KVCache(this.config.nLayers);
        let input = this.checkIds(rows, 'generate');
        const B = rows.length;
        const V = this.config.vocabSize;
        for (let step = 0; step < maxNew; step++) {
          // the sequence may not outgrow the positions the model has
          if (out[0].length >= this.config.contextLength) break;
          const logits = this.forward(input, cache); // [B, T, V]
          const T = logits.shape[1];
          const last = logits
            .narrow(1, T - 1, 1)
            .contiguous()
            .data() as Float32Array; // [B, 1, V]
          const next: number[] = [];
          for (let b = 0; b < B; b++) {
            const tok = done[b]
              ? (this.config.eosTokenId[0] ?? 0)
              : sampleToken(last.subarray(b * V, (b + 1) * V), options, generator);
            next.push(tok);
            if (!done[b]) {
              out[b].push(tok);
              if (stop.has(tok)) done[b] = true;
            }
          }
          if (done.every(Boolean)) break;
          input = tensor(next, { dtype: 'int32' }).reshape([B, 1]);
        }
        return out;
      });
    } finally {
      this.train(wasTraining);
    }
  }

  private checkIds(ids: Tensor | number[] | number[][], fn: string): Tensor {
    const x = ids instanceof Tensor ? ids : tensor(ids, { dtype: 'int32' });
    if (x.dtype !== 'int32') throw new Error(`CausalLM.${fn}: ids must be int32, got ${x.dtype}`);
    if (x.ndim !== 1 && x.ndim !== 2) {
      throw new Error(`CausalLM.${fn}: ids must be [T] or [B, T], got [${x.shape.join(', ')}]`);
    }
    return x;
  }
}
