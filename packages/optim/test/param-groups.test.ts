/** Weight decay grouping: no decay for 1-D tensors and embeddings by default. */
import { type Tensor, zeros } from '@openeurollm/tensor';
import { describe, expect, it } from 'vitest';
import { AdamW, EMBEDDING_NAME, paramGroups } from '../src/index.js';

function p(shape: number[]): Tensor {
  return zeros(shape).requiresGrad_();
}

/** A GPT-2-like module with a tied head (listed twice) and a frozen tensor. */
function gpt2Like() {
  const wte = p([10, 4]);
  const entries: [string, Tensor][] = [
    ['transformer.wte.weight', wte],
    ['transformer.wpe.weight', p([8, 4])],
    ['transformer.h.0.ln_1.weight', p([4])],
    ['transformer.h.0.ln_1.bias', p([4])],
    ['transformer.h.0.attn.c_attn.weight', p([4, 12])],
    ['transformer.h.0.attn.c_attn.bias', p([12])],
    ['transformer.h.0.mlp.c_fc.weight', p([4, 16])],
    ['transformer.frozen.weight', zeros([4, 4])],
    ['lm_head.weight', wte],
  ];
  return { namedParameters: () => entries };
}

const names = (g: { params: [string, Tensor][] }) => g.params.map(([n]) => n);

describe('paramGroups', () => {
  it('decays matrices, not 1-D tensors or embeddings; drops frozen and repeated tensors', () => {
    const [decay, noDecay] = paramGroups(gpt2Like(), { weightDecay: 0.1 });
    expect(decay.weightDecay).toBe(0.1);
    expect(noDecay.weightDecay).toBe(0);
    expect(names(decay)).toEqual([
      'transformer.h.0.attn.c_attn.weight',
      'transformer.h.0.mlp.c_fc.weight',
    ]);
    expect(names(noDecay)).toEqual([
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.ln_1.weight',
      'transformer.h.0.ln_1.bias',
      'transformer.h.0.attn.c_attn.bias',
    ]);
  });

  it('decays embeddings when asked', () => {
    const [decay] = paramGroups(gpt2Like(), { weightDecay: 0.1, decayEmbeddings: true });
    expect(names(decay)).toContain('transformer.wte.weight');
    expect(names(decay)).toContain('transformer.wpe.weight');
  });

  it('a noDecay predicate replaces the default rule', () => {
    const [decay, noDecay] = paramGroups(gpt2Like(), {
      weightDecay: 0.1,
      noDecay: (name) => name.endsWith('.bias'),
    });
    expect(names(noDecay)).toEqual([
      'transformer.h.0.ln_1.bias',
      'transformer.h.0.attn.c_attn.bias',
    ]);
    expect(names(decay)).toContain('transformer.h.0.ln_1.weight');
  });

  it('feeds an optimizer: names become state keys, the second group has no decay', () => {
    const opt = new AdamW(paramGroups(gpt2Like(), { weightDecay: 0.1 }), { lr: 1e-3 });
    expect(opt.paramGroups.map((g) => g.weightDecay)).toEqual([0.1, 0]);
    expect(opt.paramGroups[0].keys[0]).toBe('transformer.h.0.attn.c_attn.weight');
    // a no-decay matrix (an embedding) with a zero gradient does not move
    const wte = opt.paramGroups[1].params[0];
    const before = Array.from(wte.data());
    wte.grad = zeros([10, 4]);
    opt.step();
    expect(Array.from(wte.data())).toEqual(before);
  });

  it('recognises embedding names of GPT-2, Llama, BERT and others', () => {
    for (const n of [
      'transformer.wte.weight',
      'wpe.weight',
      'model.embed_tokens.weight',
      'embeddings.word_embeddings.weight',
      'bert.embeddings.position_embeddings.weight',
      'tok_embeddings.weight',
      'embedding.weight',
      'decoder.embed_positions.weight',
    ]) {
      expect(EMBEDDING_NAME.test(n), n).toBe(true);
    }
    for (const n of [
      'lm_head.weight',
      'h.0.mlp.c_fc.weight',
      'embedding_proj.weight',
      'wte_norm.weight',
      'model.layers.0.self_attn.q_proj.weight',
    ]) {
      expect(EMBEDDING_NAME.test(n), n).toBe(false);
    }
  });

  it('throws on unnamed parameters and bad options', () => {
    expect(() => paramGroups([p([2, 2])] as never, { weightDecay: 0.1 })).toThrow(
      /paramGroups: parameter 0 has no name/,
    );
    expect(() => paramGroups(gpt2Like(), { weightDecay: -1 })).toThrow(
      /paramGroups: weightDecay must be a finite number >= 0, got -1/,
    );
    expect(() => paramGroups(gpt2Like(), { weight_decay: 0.1 } as never)).toThrow(
      /unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/,
    );
  });
});
