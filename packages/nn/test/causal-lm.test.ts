/**
 * CausalLM: Hugging Face parameter names, config validation, state dicts, generation (seeded,
 * cache-consistent), and checkpoints that load in the PyTorch reference with the same logits.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed, noGrad, type Tensor, tensor } from '@openeurollm/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CausalLM,
  fromHfConfig,
  loadModel,
  type ModelConfig,
  resolveConfig,
  saveModel,
  toHfConfig,
  writeSafetensors,
} from '../src/node.js';

const TINY_GPT2: ModelConfig = {
  arch: 'gpt2',
  vocabSize: 50,
  contextLength: 24,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
};
const TINY_LLAMA: ModelConfig = {
  arch: 'llama',
  vocabSize: 50,
  contextLength: 24,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  ffnHidden: 40,
};

const tmp = mkdtempSync(join(tmpdir(), 'oellm-nn-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '..', 'scripts', 'torch_reference.py');
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function sameData(a: Tensor, b: Tensor): boolean {
  const x = a.data();
  const y = b.data();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

it('the PyTorch reference runs where CI requires it (OELLM_REQUIRE_TORCH=1)', () => {
  if (process.env.OELLM_REQUIRE_TORCH === '1')
    expect(hasTorch, `${PYTHON} -c 'import torch'`).toBe(true);
  if (!hasTorch)
    console.warn('causal-lm.test.ts: no python3-torch here: PyTorch loading checks skipped');
});

describe("parameter names are Hugging Face's", () => {
  it('GPT-2: transformer.* and a tied lm_head', () => {
    const m = new CausalLM(TINY_GPT2);
    const names = Object.keys(m.stateDict());
    expect(names).toContain('transformer.wte.weight');
    expect(names).toContain('transformer.wpe.weight');
    expect(names).toContain('transformer.h.1.attn.c_attn.weight');
    expect(names).toContain('transformer.h.0.mlp.c_proj.bias');
    expect(names).toContain('transformer.ln_f.weight');
    expect(m.stateDict()['lm_head.weight']).toBe(m.stateDict()['transformer.wte.weight']);
    // the tied tensor is one parameter
    expect([...m.namedParameters()].map(([n]) => n)).not.toContain('lm_head.weight');
    expect(m.stateDict()['transformer.h.0.attn.c_attn.weight'].shape).toEqual([16, 48]); // Conv1D [in, out]
  });

  it('Llama: model.layers.*, grouped-query k/v projections, an untied lm_head', () => {
    const m = new CausalLM(TINY_LLAMA);
    const sd = m.stateDict();
    expect(sd['model.layers.1.self_attn.q_proj.weight'].shape).toEqual([16, 16]);
    expect(sd['model.layers.1.self_attn.k_proj.weight'].shape).toEqual([8, 16]); // 2 kv heads of 4
    expect(sd['model.layers.0.mlp.gate_proj.weight'].shape).toEqual([40, 16]);
    expect(sd['model.norm.weight'].shape).toEqual([16]);
    expect(sd['lm_head.weight']).not.toBe(sd['model.embed_tokens.weight']);
    expect(m.numParameters()).toBe(Object.values(sd).reduce((n, t) => n + t.size, 0));
  });
});

describe('config', () => {
  const bad: [string, Partial<ModelConfig> & Record<string, unknown>, RegExp][] = [
    ['unknown arch', { arch: 'bert' as never }, /arch must be 'gpt2' or 'llama', got "bert"/],
    ['heads not dividing dModel', { nHeads: 3 }, /dModel \(16\) must be divisible by nHeads \(3\)/],
    [
      'kv heads not dividing heads',
      { arch: 'llama', nKvHeads: 3 },
      /nHeads \(2\) must be divisible by nKvHeads \(3\)/,
    ],
    ['GQA on gpt2', { nKvHeads: 1 }, /gpt2 has no grouped-query attention/],
    ['zero layers', { nLayers: 0 }, /nLayers must be a positive integer, got 0/],
    ['a typo', { nLayer: 2 } as never, /unknown field 'nLayer'/],
    ['dropout 1', { dropout: 1 }, /dropout must be in \[0, 1\)/],
    [
      'eos outside the vocabulary',
      { eosTokenId: 50 },
      /eosTokenId 50 must be token ids in \[0, 50\)/,
    ],
  ];
  for (const [what, patch, message] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => new CausalLM({ ...TINY_GPT2, ...patch } as ModelConfig)).toThrow(message);
    });
  }

  it('round-trips through Hugging Face config.json fields', () => {
    for (const c of [TINY_GPT2, { ...TINY_LLAMA, ropeTheta: 500000, eosTokenId: [1, 2] }]) {
      const hf = toHfConfig(c);
      expect(resolveConfig(fromHfConfig(hf))).toEqual(resolveConfig(c));
    }
    expect(toHfConfig(TINY_LLAMA)).toMatchObject({
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      num_key_value_heads: 2,
      intermediate_size: 40,
    });
    expect(() => fromHfConfig({ model_type: 'bert' })).toThrow(
      /model_type "bert" is not supported/,
    );
    expect(() => fromHfConfig({ model_type: 'llama' })).toThrow(/field 'hidden_size' is missing/);
  });
});

describe('state dicts', () => {
  it('loadStateDict copies in place, checks every shape first and changes nothing on error', () => {
    manualSeed(1);
    const a = new CausalLM(TINY_LLAMA);
    manualSeed(2);
    const b = new CausalLM(TINY_LLAMA);
    const before = b.stateDict()['model.norm.weight'];
    b.loadStateDict(a.stateDict());
    expect(b.stateDict()['model.norm.weight']).toBe(before); // the same tensor object
    for (const [name, t] of Object.entries(a.stateDict())) {
      expect(sameData(b.stateDict()[name], t), name).toBe(true);
    }
    const c = new CausalLM(TINY_LLAMA);
    const snapshot = c.stateDict()['model.embed_tokens.weight'].data().slice();
    const wrong = { ...a.stateDict(), 'model.layers.1.mlp.up_proj.weight': tensor([[1, 2]]) };
    expect(() => c.loadStateDict(wrong)).toThrow(
      /'model.layers.1.mlp.up_proj.weight' has shape \[1,2\], the model expects \[40,16\]/,
    );
    expect(c.stateDict()['model.embed_tokens.weight'].data()).toEqual(snapshot);
    const partial = { ...a.stateDict() };
    delete partial['model.norm.weight'];
    expect(() => c.loadStateDict({ ...partial, extra: tensor([1]) })).toThrow(
      /missing 'model.norm.weight'; unexpected 'extra'/,
    );
    expect(c.loadStateDict(partial, { strict: false }).missing).toEqual(['model.norm.weight']);
  });

  it('train() / eval() switch dropout for the whole tree', () => {
    const m = new CausalLM({ ...TINY_GPT2, dropout: 0.5 });
    const ids = [[1, 2, 3, 4]];
    m.eval();
    expect(sameData(m.forward(ids), m.forward(ids))).toBe(true);
    m.train();
    expect(sameData(m.forward(ids), m.forward(ids))).toBe(false);
  });
});

describe.each([
  ['gpt2', TINY_GPT2],
  ['llama', TINY_LLAMA],
])('%s generation', (_, config) => {
  it('greedy decoding with the KV cache equals recomputing the whole sequence each step', () => {
    manualSeed(3);
    const m = new CausalLM(config);
    const prompt = [5, 9, 2];
    const [out] = m.generate(prompt, { maxNewTokens: 10, temperature: 0 });
    const seq = [...prompt];
    noGrad(() => {
      for (let k = 0; k < 10; k++) {
        const logits = m.forward(seq); // [T, V], no cache
        const last = logits
          .narrow(0, seq.length - 1, 1)
          .argmax(-1)
          .item();
        seq.push(last);
      }
    });
    expect(out).toEqual(seq);
  });

  it('sampling with a seed repeats exactly; another seed differs; batches work', () => {
    manualSeed(4);
    const m = new CausalLM(config);
    const opts = { maxNewTokens: 12, temperature: 1.5, topK: 20, topP: 0.95, seed: 7 };
    const a = m.generate([[1, 2, 3]], opts);
    expect(m.generate([[1, 2, 3]], opts)).toEqual(a);
    expect(m.generate([[1, 2, 3]], { ...opts, seed: 8 })).not.toEqual(a);
    const batch = m.generate(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { ...opts, temperature: 0 },
    );
    expect(batch[0]).toEqual(m.generate([1, 2, 3], { ...opts, temperature: 0 })[0]);
    expect(batch[1]).toEqual(m.generate([4, 5, 6], { ...opts, temperature: 0 })[0]);
  });

  it('stops at a stop token and at the context length', () => {
    manualSeed(5);
    const m = new CausalLM(config);
    const [greedy] = m.generate([1], { maxNewTokens: 6, temperature: 0 });
    const stopAt = greedy[3];
    const [stopped] = m.generate([1], { maxNewTokens: 6, temperature: 0, stop: stopAt });
    expect(stopped).toEqual(greedy.slice(0, greedy.indexOf(stopAt, 1) + 1));
    const [long] = m.generate([1, 2], { maxNewTokens: 100, temperature: 0, stop: [] });
    expect(long.length).toBe(config.contextLength);
    expect(() => m.generate([1], { topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
  });
});

describe('Hugging Face folders', () => {
  for (const [arch, config] of [
    ['gpt2', TINY_GPT2],
    ['llama', TINY_LLAMA],
  ] as const) {
    it(`${arch}: saveModel then loadModel gives identical logits (float32) and close ones (bfloat16)`, () => {
      manualSeed(6);
      const m = new CausalLM(config);
      const dir = join(tmp, `${arch}-f32`);
      saveModel(m, dir, {
        tokenizer: { toJSON: () => ({ version: '1.0' }) },
        files: { 'README.md': '# tiny\n' },
      });
      expect(readdirSync(dir).sort()).toEqual([
        'README.md',
        'config.json',
        'generation_config.json',
        'model.safetensors',
        'tokenizer.json',
      ]);
      const ids = [[3, 1, 4, 1, 5, 9, 2, 6]];
      const back = loadModel(dir);
      expect(sameData(back.forward(ids), m.forward(ids))).toBe(true);
      saveModel(m, join(tmp, `${arch}-bf16`), { dtype: 'bfloat16' });
      const bf = loadModel(join(tmp, `${arch}-bf16`))
        .forward(ids)
        .data();
      const f = m.forward(ids).data();
      for (let i = 0; i < f.length; i++) expect(Math.abs(bf[i] - f[i])).toBeLessThan(0.05);
      // no temporary folder is left beside it
      expect(readdirSync(tmp).filter((n) => n.startsWith('.'))).toEqual([]);
    });

    it.skipIf(!hasTorch)(
      `${arch}: a checkpoint we write gives the same logits in the PyTorch reference`,
      () => {
        manualSeed(7);
        const m = new CausalLM(config);
        const dir = join(tmp, `${arch}-torch`);
        saveModel(m, dir);
        const ids = [
          [3, 1, 4, 1, 5, 9, 2, 6],
          [2, 7, 1, 8, 2, 8, 1, 8],
        ];
        const input = join(tmp, `${arch}-ids.json`);
        const out = join(tmp, `${arch}-logits.json`);
        writeFileSync(input, JSON.stringify(ids));
        const run = spawnSync(PYTHON, [SCRIPT, 'logits', dir, input, out], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        const theirs = (JSON.parse(readFileSync(out, 'utf8')).logits as number[][][]).flat(2);
        const ours = m.forward(ids).data();
        expect(theirs.length).toBe(ours.length);
        for (let i = 0; i < ours.length; i++)
          expect(Math.abs(theirs[i] - ours[i])).toBeLessThan(1e-4);
      },
    );
  }

  it('loadModel names the missing tensor, the wrong shape and the bad config field; writes nothing', () => {
    manualSeed(8);
    const m = new CausalLM(TINY_LLAMA);
    const dir = join(tmp, 'broken');
    saveModel(m, dir);
    const sd = m.stateDict();
    const without = { ...sd };
    delete without['model.layers.1.mlp.down_proj.weight'];
    writeSafetensors(join(dir, 'model.safetensors'), without);
    expect(() => loadModel(dir)).toThrow(/missing tensors 'model.layers.1.mlp.down_proj.weight'/);
    writeSafetensors(join(dir, 'model.safetensors'), {
      ...sd,
      'model.norm.weight': tensor([1, 2, 3]),
    });
    expect(() => loadModel(dir)).toThrow(
      /tensor 'model.norm.weight' has shape \[3\], config.json implies \[16\]/,
    );
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...toHfConfig(TINY_LLAMA), num_key_value_heads: 3 }),
    );
    expect(() => loadModel(dir)).toThrow(/nHeads \(4\) must be divisible by nKvHeads \(3\)/);
    writeFileSync(join(dir, 'config.json'), '{ not json');
    expect(() => loadModel(dir)).toThrow(/config.json' is not valid JSON/);
    expect(() => loadModel(join(tmp, 'nowhere'))).toThrow(/is not a folder/);
  });
});
