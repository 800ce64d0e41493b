/**
 * LoRA adapter folders in Hugging Face PEFT's format: what saveLoraAdapter writes (PEFT's field
 * names and tensor names, checked one by one against PEFT's documented checkpoint format), the
 * round trip (bit-identical logits), a folder laid out as PEFT saves it (full config, BF16
 * tensors), and every refusal, each of which must leave the model untouched.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, manualSeed, noGrad, randint, randn, type Tensor } from '@openeurollm/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { CausalLM, type ModelConfig } from '../src/index.js';
import { applyLora, getLoraConfig, loraParameters } from '../src/lora.js';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  loadLoraAdapter,
  PEFT_PREFIX,
  saveLoraAdapter,
} from '../src/lora-node.js';
import { readSafetensors, readTensors, writeSafetensors } from '../src/node.js';
import { fromBFloat16Bits, toBFloat16Bits } from '../src/safetensors.js';

import { GPT2, LLAMA } from './tiny-configs.js';

const tmp = mkdtempSync(join(tmpdir(), 'oellm-lora-peft-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let folders = 0;
const freshDir = (name: string) => join(tmp, `${name}-${folders++}`);

function makeModel(config: ModelConfig, seed = 0): CausalLM {
  manualSeed(seed);
  return new CausalLM(config);
}

const ids = () => randint(0, 64, [2, 10], { generator: new Generator(11) });

function logits(model: CausalLM): Tensor {
  model.eval();
  return noGrad(() => model.forward(ids()));
}

function sameBits(a: Tensor, b: Tensor): boolean {
  const x = new Uint32Array(Float32Array.from(a.data()).buffer);
  const y = new Uint32Array(Float32Array.from(b.data()).buffer);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** An adapted model whose B matrices are nonzero (random), so the adapter changes the logits. */
function adapted(config: ModelConfig, targets: string[]): CausalLM {
  const model = makeModel(config);
  applyLora(model, { rank: 4, alpha: 16, dropout: 0.05, targets, seed: 3 });
  const g = new Generator(4);
  noGrad(() => {
    for (const t of Object.values(loraParameters(model))) {
      t.copy_(randn(t.shape, { generator: g }).mul(0.1));
    }
  });
  return model;
}

/** A copy of an adapter folder with its config and tensors edited. */
function edited(
  src: string,
  edit: {
    config?: (c: Record<string, unknown>) => void;
    tensors?: (t: Record<string, Tensor>) => void;
  },
): string {
  const dir = freshDir('edited');
  cpSync(src, dir, { recursive: true });
  if (edit.config) {
    const c = JSON.parse(readFileSync(join(dir, ADAPTER_CONFIG_FILE), 'utf8'));
    edit.config(c);
    writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(c));
  }
  if (edit.tensors) {
    const t = readTensors(join(dir, ADAPTER_WEIGHTS_FILE));
    edit.tensors(t);
    writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), t);
  }
  return dir;
}

describe.each([
  { name: 'gpt2', config: GPT2, targets: ['c_attn', 'mlp.c_proj'], conv: true },
  { name: 'llama', config: LLAMA, targets: ['q_proj', 'v_proj'], conv: false },
])('PEFT adapter folders ($name)', ({ config, targets, conv }) => {
  it('writes adapter_config.json and adapter_model.safetensors as PEFT does', () => {
    const model = adapted(config, targets);
    const dir = freshDir('save');
    saveLoraAdapter(model, dir, { baseModelName: `tiny-${config.arch}` });
    expect(readdirSync(dir).sort()).toEqual([ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]);
    // written through a temporary sibling that is gone afterwards
    expect(readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);
    const text = readFileSync(join(dir, ADAPTER_CONFIG_FILE), 'utf8');
    const cfg = JSON.parse(text);
    expect(Object.keys(cfg)).toEqual(Object.keys(cfg).sort()); // PEFT sorts its keys
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 16,
      lora_dropout: 0.05,
      target_modules: targets,
      bias: 'none',
      fan_in_fan_out: conv,
      base_model_name_or_path: `tiny-${config.arch}`,
      inference_mode: true,
      use_dora: false,
      use_rslora: false,
      modules_to_save: null,
    });
    const file = readSafetensors(join(dir, ADAPTER_WEIGHTS_FILE));
    expect(file.metadata.format).toBe('pt');
    const names = [...file.tensors.keys()].sort();
    const params = loraParameters(model);
    expect(names).toEqual(
      Object.keys(params)
        .map((n) => PEFT_PREFIX + n)
        .sort(),
    );
    for (const n of names) {
      // base_model.model.<path>.lora_A.weight, no adapter name ('.default') in it
      expect(n).toMatch(
        config.arch === 'gpt2'
          ? /^base_model\.model\.transformer\.h\.\d\.(attn\.c_attn|mlp\.c_proj)\.lora_[AB]\.weight$/
          : /^base_model\.model\.model\.layers\.\d\.self_attn\.[qv]_proj\.lora_[AB]\.weight$/,
      );
      const e = file.tensors.get(n)!;
      expect(e.dtype).toBe('F32');
      expect(e.shape).toEqual(params[n.slice(PEFT_PREFIX.length)].shape);
    }
  });

  it('round-trips: a fresh base model with the adapter loaded gives bit-identical logits', () => {
    const model = adapted(config, targets);
    const want = logits(model);
    expect(sameBits(want, logits(makeModel(config)))).toBe(false);
    const dir = freshDir('roundtrip');
    saveLoraAdapter(model, dir);
    const fresh = makeModel(config);
    const info = loadLoraAdapter(fresh, dir);
    expect(info.baseModelName).toBeNull();
    expect(info.modules).toEqual(
      applyLora(makeModel(config), { rank: 4, alpha: 16, targets }).modules,
    );
    expect(sameBits(logits(fresh), want)).toBe(true);
    expect(getLoraConfig(fresh)).toMatchObject({ rank: 4, alpha: 16, dropout: 0.05, targets });
    // the loaded model trains its LoRA matrices only, like one made by applyLora
    expect(fresh.trainableParameters()).toEqual(Object.values(loraParameters(fresh)));
    // saving again writes the same tensors
    const again = freshDir('again');
    saveLoraAdapter(fresh, again);
    const a = readTensors(join(dir, ADAPTER_WEIGHTS_FILE));
    const b = readTensors(join(again, ADAPTER_WEIGHTS_FILE));
    for (const k of Object.keys(a)) expect(sameBits(a[k], b[k]), k).toBe(true);
  });

  it('replaces an existing folder whole', () => {
    const dir = freshDir('replace');
    saveLoraAdapter(adapted(config, targets), dir);
    writeFileSync(join(dir, 'stale.txt'), 'old');
    saveLoraAdapter(adapted(config, targets), dir);
    expect(readdirSync(dir).sort()).toEqual([ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]);
  });
});

describe('reading folders PEFT wrote', () => {
  it("reads PEFT's full LoraConfig and BF16 tensors", () => {
    const model = makeModel(LLAMA);
    const layers = applyLora(makeModel(LLAMA), { rank: 2, alpha: 4, targets: ['k_proj'] }).modules;
    const g = new Generator(5);
    const tensors: Record<string, Tensor> = {};
    const expected: Record<string, Float32Array> = {};
    for (const path of layers) {
      for (const [name, shape] of [
        ['lora_A', [2, 32]],
        ['lora_B', [16, 2]],
      ] as const) {
        const t = randn([...shape], { generator: g });
        tensors[`${PEFT_PREFIX}${path}.${name}.weight`] = t;
        expected[`${path}.${name}.weight`] = fromBFloat16Bits(toBFloat16Bits(t.data()));
      }
    }
    const dir = freshDir('peft');
    // adapter_config.json as PEFT 0.x writes it for LlamaForCausalLM (every field it has)
    const peftConfig = {
      alpha_pattern: {},
      auto_mapping: null,
      base_model_name_or_path: 'org/tiny-llama',
      bias: 'none',
      eva_config: null,
      exclude_modules: null,
      fan_in_fan_out: false,
      inference_mode: true,
      init_lora_weights: true,
      layer_replication: null,
      layers_pattern: null,
      layers_to_transform: null,
      loftq_config: {},
      lora_alpha: 4,
      lora_bias: false,
      lora_dropout: 0.1,
      megatron_config: null,
      megatron_core: 'megatron.core',
      modules_to_save: null,
      peft_type: 'LORA',
      r: 2,
      rank_pattern: {},
      revision: null,
      target_modules: ['k_proj'],
      task_type: 'CAUSAL_LM',
      use_dora: false,
      use_rslora: false,
    };
    mkdirSync(dir);
    writeFileSync(join(dir, ADAPTER_CONFIG_FILE), JSON.stringify(peftConfig, null, 2));
    writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors, {
      dtype: 'BF16',
      metadata: { format: 'pt' },
    });
    const info = loadLoraAdapter(model, dir);
    expect(info.baseModelName).toBe('org/tiny-llama');
    expect(info.modules).toEqual(layers);
    const loaded = loraParameters(model);
    for (const [k, v] of Object.entries(expected)) {
      expect(Array.from(loaded[k].data()), k).toEqual(Array.from(v));
    }
    expect(getLoraConfig(model)).toMatchObject({ rank: 2, alpha: 4, dropout: 0.1 });
  });
});

describe('loadLoraAdapter refusals leave the model as it was', () => {
  const source = freshDir('source');
  saveLoraAdapter(adapted(GPT2, ['c_attn']), source);

  function expectUntouched(model: CausalLM): void {
    expect(Object.keys(loraParameters(model))).toEqual([]);
    expect(getLoraConfig(model)).toBeNull();
    expect(model.parameters().every((t) => t.requiresGrad)).toBe(true);
  }

  it('names the tensor whose shape does not fit (an adapter for another base model)', () => {
    const wider = makeModel({ ...GPT2, dModel: 48 });
    expect(() => loadLoraAdapter(wider, source)).toThrow(
      /tensor 'base_model\.model\.transformer\.h\.0\.attn\.c_attn\.lora_A\.weight' has shape \[4,32\], the model expects \[4,48\]/,
    );
    expectUntouched(wider);
    const rank = edited(source, { config: (c) => (c.r = 8) });
    const model = makeModel(GPT2);
    expect(() => loadLoraAdapter(model, rank)).toThrow(
      /lora_A\.weight' has shape \[4,32\], the model expects \[8,32\] \(r = 8 from adapter_config\.json/,
    );
    expectUntouched(model);
  });

  it('names a missing tensor and tensors no targeted layer has', () => {
    const missingName = `${PEFT_PREFIX}transformer.h.1.attn.c_attn.lora_B.weight`;
    const missing = edited(source, { tensors: (t) => delete t[missingName] });
    const model = makeModel(GPT2);
    expect(() => loadLoraAdapter(model, missing)).toThrow(
      `tensor '${missingName}' is missing (target_modules ["c_attn"] select the layer 'transformer.h.1.attn.c_attn')`,
    );
    expectUntouched(model);
    const withDefault = edited(source, {
      tensors: (t) => {
        const k = `${PEFT_PREFIX}transformer.h.0.attn.c_attn.lora_A.weight`;
        t[k.replace('lora_A.weight', 'lora_A.default.weight')] = t[k];
      },
    });
    expect(() => loadLoraAdapter(model, withDefault)).toThrow(
      /tensors that no targeted layer of the model has: 'base_model\.model\.transformer\.h\.0\.attn\.c_attn\.lora_A\.default\.weight' \(names with the adapter name '\.default\.'/,
    );
    expectUntouched(model);
  });

  it.each([
    ['peft_type', 'IA3', /field 'peft_type' must be "LORA", got "IA3"/],
    ['task_type', 'SEQ_CLS', /field 'task_type' must be "CAUSAL_LM"/],
    ['r', 0, /field 'r' must be a positive integer, got 0/],
    ['lora_alpha', -1, /field 'lora_alpha' must be a positive number, got -1/],
    ['lora_dropout', 1, /field 'lora_dropout' must be a number in \[0, 1\), got 1/],
    ['target_modules', 'q_proj|v_proj', /field 'target_modules' must be a list of module names/],
    ['target_modules', [], /field 'target_modules' must be a non-empty list/],
    ['bias', 'all', /field 'bias' must be "none"/],
    ['use_dora', true, /field 'use_dora' must be false \(DoRA is not supported\)/],
    ['use_rslora', true, /field 'use_rslora' must be false/],
    ['rank_pattern', { c_attn: 2 }, /field 'rank_pattern' must be empty/],
    ['layers_to_transform', [0], /field 'layers_to_transform' must be null/],
    ['modules_to_save', ['lm_head'], /field 'modules_to_save' must be null/],
    ['fan_in_fan_out', 'yes', /field 'fan_in_fan_out' must be a boolean/],
  ])('names a bad field: %s = %j', (field, value, message) => {
    const dir = edited(source, { config: (c) => (c[field] = value) });
    const model = makeModel(GPT2);
    expect(() => loadLoraAdapter(model, dir)).toThrow(message);
    expect(() => loadLoraAdapter(model, dir)).toThrow(
      `loadLoraAdapter: '${join(dir, ADAPTER_CONFIG_FILE)}'`,
    );
    expectUntouched(model);
  });

  it('names a target the model does not have, a missing file and an already adapted model', () => {
    const llama = makeModel(LLAMA);
    expect(() => loadLoraAdapter(llama, source)).toThrow(
      /target 'c_attn' matches no linear layer of the CausalLM .*its linear layers are 'q_proj'/,
    );
    expectUntouched(llama);
    const model = makeModel(GPT2);
    expect(() => loadLoraAdapter(model, join(tmp, 'nowhere'))).toThrow(
      /loadLoraAdapter: '.*nowhere\/adapter_config\.json' does not exist/,
    );
    const noWeights = edited(source, {});
    rmSync(join(noWeights, ADAPTER_WEIGHTS_FILE));
    expect(() => loadLoraAdapter(model, noWeights)).toThrow(
      /adapter_model\.safetensors' does not exist/,
    );
    const notJson = edited(source, {});
    writeFileSync(join(notJson, ADAPTER_CONFIG_FILE), '{ r: 4');
    expect(() => loadLoraAdapter(model, notJson)).toThrow(/cannot read it as JSON/);
    expectUntouched(model);
    loadLoraAdapter(model, source);
    expect(() => loadLoraAdapter(model, source)).toThrow(
      "loadLoraAdapter: the model already has LoRA layers ('transformer.h.0.attn.c_attn'); call mergeLora first",
    );
  });

  it('saveLoraAdapter refuses a model without LoRA', () => {
    expect(() => saveLoraAdapter(makeModel(GPT2), freshDir('none'))).toThrow(
      'saveLoraAdapter: the model has no LoRA applied to it',
    );
  });
});
