/**
 * Token-by-token generation with a key/value cache, for streaming to a terminal: yields each
 * new token id as soon as it is sampled (CausalLM.generate returns only at the end). The same
 * seed gives the same tokens as CausalLM.generate.
 */
import { type CausalLM, KVCache, type SamplingOptions, sampleToken } from '@openeurollm/nn';
import { noGrad, Generator as RandomGenerator, tensor } from '@openeurollm/tensor';

export interface StreamOptions extends SamplingOptions {
  maxNewTokens?: number;
  seed?: number;
  /** Token ids that end the answer (not yielded). */
  stop?: readonly number[];
}

/** Yields new token ids; stops at a stop token, maxNewTokens, or the model's context length. */
export function* streamTokens(
  model: CausalLM,
  prompt: readonly number[],
  o: StreamOptions = {},
): Generator<number> {
  const maxNew = o.maxNewTokens ?? 64;
  const ctx = model.config.contextLength;
  // keep the end of a long prompt: the model sees at most contextLength tokens
  const room = Math.max(1, ctx - Math.min(maxNew, ctx - 1));
  const ids = prompt.length > room ? prompt.slice(prompt.length - room) : [...prompt];
  if (ids.length === 0) throw new Error('streamTokens: the prompt must hold at least one token');
  const stop = new Set(o.stop ?? model.config.eosTokenId);
  const generator = new RandomGenerator(o.seed ?? 0);
  const wasTraining = model.training;
  model.eval();
  try {
    const cache = new KVCache(model.config.nLayers);
    let input = tensor([ids], { dtype: 'int32' });
    let length = ids.length;
    const V = model.config.vocabSize;
    for (let step = 0; step < maxNew && length < ctx; step++) {
      const next = noGrad(() => {
        const logits = model.forward(input, cache); // [1, T, V]
        const T = logits.shape[1];
        const last = logits
          .narrow(1, T - 1, 1)
          .contiguous()
          .data() as Float32Array;
        return sampleToken(last.subarray(0, V), o, generator);
      });
      if (stop.has(next)) return;
      yield next;
      length += 1;
      input = tensor([[next]], { dtype: 'int32' });
    }
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Turns a stream of token ids into text pieces: decodes all ids so far and emits the new part,
 * holding back while the text ends in an incomplete UTF-8 character (U+FFFD).
 */
export class TextStreamer {
  private ids: number[] = [];
  private emitted = 0;

  constructor(private readonly decode: (ids: number[]) => string) {}

  push(id: number): string {
    this.ids.push(id);
    const text = this.decode(this.ids);
    if (text.endsWith('\uFFFD')) return '';
    const piece = text.slice(this.emitted);
    this.emitted = text.length;
    return piece;
  }

  /** Whatever is left (an incomplete character at the very end). */
  flush(): string {
    const text = this.decode(this.ids);
    const piece = text.slice(this.emitted);
    this.emitted = text.length;
    return piece;
  }

  get text(): string {
    return this.decode(this.ids);
  }
}
