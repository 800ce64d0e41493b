/**
 * LoRA on tiny GPT-2 (Conv1D) and Llama (Linear) models. The oracles: the base model itself (a
 * fresh adapter must not change a single bit of the logits, training must not change a single
 * bit of the base weights), a float64 loop written from the paper's formula, finite
 * differences, and the merged model (same logits as the adapted one within 1e-5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Generator,
  manualSeed,
  noGrad,
  randint,
  randn,
  type Tensor,
  tensor,
} from '@openeurollm/tensor';
import { gradcheck } from '@openeurollm/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CausalLM, Conv1D, Linear, type ModelConfig } from '../src/index.js';
import {
  applyLora,
  getLoraConfig,
  type LoraConfig,
  LoraLinear,
  loraParameters,
  mergeLora,
} from '../src/lora.js';
import { loadModel, saveModel } from '../src/node.js';

import { GPT2, LLAMA } from './tiny-configs.js';

const CASES = [
  // c_proj is both attn.c_proj [32 -> 32] and mlp.c_proj [128 -> 32]
  { name: 'gpt2', config: GPT2, targets: ['c_attn', 'c_proj'], perLayer: 3 },
  // k_proj / v_proj are [32 -> 16] under grouped-query attention
  { name: 'llama', config: LLAMA, targets: ['q_proj', 'v_proj', 'down_proj'], perLayer: 3 },
] as const;

const tmp = mkdtempSync(join(tmpdir(), 'oellm-lora-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function makeModel(config: ModelConfig, seed = 0): CausalLM {
  manualSeed(seed);
  return new CausalLM(config);
}

/** A fixed next-token batch [2, 12] from its own generator. */
function batch(vocab: number) {
  const ids = randint(0, vocab, [2, 13], { generator: new Generator(7) });
  return { x: ids.slice(1, 0, 12).contiguous(), y: ids.slice(1, 1, 13).contiguous() };
}

function snapshot(model: CausalLM): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(model.stateDict())) out[k] = Float32Array.from(t.data());
  return out;
}

/** Bit equality of two float32 arrays (so -0 != 0 and NaN == NaN). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const x = new Uint32Array(Float32Array.from(a).buffer);
  const y = new Uint32Array(Float32Array.from(b).buffer);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.data();
  const y = b.data();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** Plain SGD on `params`, in place (what an optimizer does, without @openeurollm/optim). */
function sgdStep(params: Tensor[], lr: number): void {
  noGrad(() => {
    for (const p of params) {
      if (p.grad) p.copy_(p.sub(p.grad.mul(lr)));
      p.zeroGrad();
    }
  });
}

function train(model: CausalLM, steps: number, lr = 0.5): number[] {
  const { x, y } = batch(model.config.vocabSize);
  const params = model.trainableParameters();
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = model.loss(x, y);
    losses.push(loss.item());
    loss.backward();
    sgdStep(params, lr);
  }
  losses.push(model.loss(x, y).item());
  return losses;
}

describe.each(CASES)('LoRA on $name', ({ config, targets, perLayer }) => {
  const lora: LoraConfig = { rank: 4, alpha: 8, targets: [...targets], seed: 1 };

  it('adds only lora_A / lora_B, keeps the base names and tensors, freezes the base', () => {
    const model = makeModel(config);
    const before = model.stateDict();
    const info = applyLora(model, lora);
    expect(info.modules).toHaveLength(perLayer * config.nLayers);
    for (const path of info.modules) {
      expect(targets.some((t) => path.endsWith(`.${t}`))).toBe(true);
    }
    const after = model.stateDict();
    // every base name still holds the very same tensor object
    for (const [k, t] of Object.entries(before)) expect(after[k]).toBe(t);
    const added = Object.keys(after).filter((k) => !(k in before));
    expect(added.sort()).toEqual(
      info.modules.flatMap((p) => [`${p}.lora_A.weight`, `${p}.lora_B.weight`]).sort(),
    );
    expect(Object.keys(loraParameters(model)).sort()).toEqual(added.sort());
    // trainable: exactly the A and B matrices, r (in + out) per layer
    let expected = 0;
    for (const [path, m] of model.namedModules()) {
      if (!(m instanceof LoraLinear)) continue;
      expect(m.lora_A.weight.shape).toEqual([4, m.inFeatures]);
      expect(m.lora_B.weight.shape).toEqual([m.outFeatures, 4]);
      expect(m.fanInFanOut).toBe(config.arch === 'gpt2');
      expect(m.scale).toBe(2);
      expected += 4 * (m.inFeatures + m.outFeatures);
      expect(info.modules).toContain(path);
    }
    expect(info.trainableParameters).toBe(expected);
    expect(info.totalParameters).toBe(model.numParameters());
    for (const [k, t] of Object.entries(after)) expect(t.requiresGrad, k).toBe(added.includes(k));
    expect(getLoraConfig(model)).toEqual({
      rank: 4,
      alpha: 8,
      dropout: 0,
      targets: [...targets],
      seed: 1,
    });
  });

  it('initializes as PEFT: A uniform in +-1/sqrt(in), B zero; a seed repeats it', () => {
    const a = makeModel(config);
    const b = makeModel(config);
    applyLora(a, lora);
    applyLora(b, lora);
    const pa = loraParameters(a);
    const pb = loraParameters(b);
    for (const [k, t] of Object.entries(pa)) {
      expect(sameBits(t.data(), pb[k].data()), k).toBe(true);
      const v = Array.from(t.data());
      if (k.endsWith('lora_B.weight')) expect(v.every((e) => e === 0)).toBe(true);
      else {
        const bound = 1 / Math.sqrt(t.shape[1]);
        expect(v.every((e) => Math.abs(e) <= bound)).toBe(true);
        expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound / 2);
      }
    }
  });

  it('leaves the logits bit-identical while B = 0', () => {
    const base = makeModel(config);
    const model = makeModel(config);
    applyLora(model, lora);
    const { x } = batch(config.vocabSize);
    const want = noGrad(() => base.forward(x));
    const got = noGrad(() => model.forward(x));
    expect(sameBits(got.data(), want.data())).toBe(true);
  });

  it('trains only A and B: the loss falls, every base tensor stays bit-identical', () => {
    const model = makeModel(config);
    const before = snapshot(model);
    applyLora(model, lora);
    const loraBefore = Object.fromEntries(
      Object.entries(loraParameters(model)).map(([k, t]) => [k, Float32Array.from(t.data())]),
    );
    const losses = train(model, 8);
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 0.05);
    const after = model.stateDict();
    for (const [k, v] of Object.entries(before)) {
      expect(sameBits(after[k].data(), v), `${k} changed`).toBe(true);
      expect(after[k].grad, `${k} has a gradient`).toBeNull();
    }
    for (const [k, v] of Object.entries(loraBefore)) {
      expect(sameBits(after[k].data(), v), `${k} did not change`).toBe(false);
    }
  });

  it('merges into the base weights: same logits (1e-5), base names, plain layers, saveModel works', () => {
    const model = makeModel(config);
    applyLora(model, lora);
    train(model, 4);
    const { x } = batch(config.vocabSize);
    model.eval();
    const unmerged = noGrad(() => model.forward(x));
    const merged = mergeLora(model);
    expect(merged.modules).toHaveLength(perLayer * config.nLayers);
    const logits = noGrad(() => model.forward(x));
    expect(maxAbsDiff(logits, unmerged)).toBeLessThan(1e-5);
    // the update really moved the logits (so the comparison above means something)
    expect(
      maxAbsDiff(
        logits,
        noGrad(() => makeModel(config).eval().forward(x)),
      ),
    ).toBeGreaterThan(1e-4);
    const fresh = makeModel(config);
    expect(Object.keys(model.stateDict())).toEqual(Object.keys(fresh.stateDict()));
    for (const [path, m] of model.namedModules()) {
      expect(m, path).not.toBeInstanceOf(LoraLinear);
      if (targets.some((t) => path.endsWith(`.${t}`))) {
        expect(m instanceof Linear || m instanceof Conv1D).toBe(true);
      }
    }
    // applyLora's freeze is undone, and the model can be adapted again
    expect(model.parameters().every((t) => t.requiresGrad)).toBe(true);
    expect(getLoraConfig(model)).toBeNull();
    const dir = join(tmp, `merged-${config.arch}`);
    saveModel(model, dir);
    const reloaded = loadModel(dir).eval();
    expect(
      maxAbsDiff(
        noGrad(() => reloaded.forward(x)),
        logits,
      ),
    ).toBe(0);
    applyLora(model, lora);
    expect(
      maxAbsDiff(
        noGrad(() => model.forward(x)),
        logits,
      ),
    ).toBe(0);
  });

  it('applies dropout on the low-rank input only while training', () => {
    const model = makeModel(config);
    applyLora(model, { ...lora, dropout: 0.5 });
    train(model, 2); // B != 0, so dropout shows in the output
    const { x } = batch(config.vocabSize);
    const a = noGrad(() => model.forward(x));
    const b = noGrad(() => model.forward(x));
    expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
    model.eval();
    const c = noGrad(() => model.forward(x));
    const d = noGrad(() => model.forward(x));
    expect(maxAbsDiff(c, d)).toBe(0);
  });
});

/**
 * y = x W^T + b + (x A^T B^T) * alpha / r in float64 loops, from the paper; W given as [out, in].
 */
function reference(
  x: Float32Array,
  n: number,
  w: Float32Array,
  bias: Float32Array,
  a: Float32Array,
  b: Float32Array,
  dims: { inF: number; outF: number; r: number; scale: number },
): Float64Array {
  const { inF, outF, r, scale } = dims;
  const y = new Float64Array(n * outF);
  for (let i = 0; i < n; i++) {
    const ax = new Float64Array(r);
    for (let k = 0; k < r; k++) {
      for (let j = 0; j < inF; j++) ax[k] += a[k * inF + j] * x[i * inF + j];
    }
    for (let o = 0; o < outF; o++) {
      let s = bias[o];
      for (let j = 0; j < inF; j++) s += w[o * inF + j] * x[i * inF + j];
      let u = 0;
      for (let k = 0; k < r; k++) u += b[o * r + k] * ax[k];
      y[i * outF + o] = s + u * scale;
    }
  }
  return y;
}

describe('LoraLinear', () => {
  const inF = 6;
  const outF = 5;
  const r = 3;

  /** A Linear and a Conv1D holding the same map, both adapted with the same A and nonzero B. */
  function pair() {
    const g = new Generator(3);
    const w = randn([outF, inF], { generator: g }); // [out, in]
    const bias = randn([outF], { generator: g });
    const a = randn([r, inF], { generator: g });
    const b = randn([outF, r], { generator: g });
    const lin = new Linear(inF, outF);
    const conv = new Conv1D(inF, outF);
    noGrad(() => {
      lin.weight.copy_(w);
      lin.bias!.copy_(bias);
      conv.weight.copy_(w.mT); // Conv1D stores [in, out]
      conv.bias.copy_(bias);
    });
    const layers = [lin, conv].map((base) => {
      const l = new LoraLinear(base, { rank: r, alpha: 6, generator: new Generator(0) });
      noGrad(() => {
        l.lora_A.weight.copy_(a);
        l.lora_B.weight.copy_(b);
      });
      return l;
    });
    return { w, bias, a, b, layers };
  }

  it('computes x W^T + b + x A^T B^T alpha/r for both weight layouts (float64 reference)', () => {
    const { w, bias, a, b, layers } = pair();
    const x = randn([2, 4, inF], { generator: new Generator(9) });
    const want = reference(
      Float32Array.from(x.data()),
      8,
      Float32Array.from(w.data()),
      Float32Array.from(bias.data()),
      Float32Array.from(a.data()),
      Float32Array.from(b.data()),
      { inF, outF, r, scale: 2 },
    );
    for (const layer of layers) {
      const y = noGrad(() => layer.forward(x));
      expect(y.shape).toEqual([2, 4, outF]);
      const got = y.data();
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(got[i] - want[i]), `${layer.base.constructor.name} [${i}]`).toBeLessThan(
          1e-4 * (1 + Math.abs(want[i])),
        );
      }
    }
  });

  it('delta() is B A scale in the base layout, so W + delta is the merged weight', () => {
    const { a, b, layers } = pair();
    const ba = noGrad(() => b.matmul(a).mul(2)); // [out, in]
    const [lin, conv] = layers;
    expect(lin.delta().shape).toEqual([outF, inF]);
    expect(conv.delta().shape).toEqual([inF, outF]);
    expect(maxAbsDiff(lin.delta(), ba)).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(
        conv.delta(),
        noGrad(() => ba.mT.contiguous()),
      ),
    ).toBeLessThan(1e-6);
  });

  it('has the gradients of finite differences (input through gradcheck, A and B by hand)', () => {
    for (const layer of pair().layers) {
      const x = randn([3, inF], { generator: new Generator(5) }).requiresGrad_();
      const res = gradcheck((xi) => layer.forward(xi), [x], { eps: 1e-2 });
      expect(res.ok, `${layer.base.constructor.name}: ${JSON.stringify(res.failures[0])}`).toBe(
        true,
      );
      // L = sum(y * R) is linear in A (and in B): central differences are exact up to rounding
      const R = randn([3, outF], { generator: new Generator(6) });
      const xs = x.detach();
      const lossOf = () => noGrad(() => layer.forward(xs).mul(R).sum().item());
      layer.zeroGrad();
      layer.forward(xs).mul(R).sum().backward();
      expect(layer.weight.grad).not.toBeNull(); // a bare LoraLinear is not frozen
      for (const p of [layer.lora_A.weight, layer.lora_B.weight]) {
        const grad = Float32Array.from(p.grad!.data());
        const v = Float32Array.from(p.data());
        const eps = 1e-2;
        for (let i = 0; i < v.length; i++) {
          const set = (d: number) => {
            const u = v.slice();
            u[i] += d;
            noGrad(() => p.copy_(tensor(u, { shape: p.shape })));
          };
          set(eps);
          const lp = lossOf();
          set(-eps);
          const lm = lossOf();
          set(0);
          const numeric = (lp - lm) / (2 * eps);
          expect(Math.abs(grad[i] - numeric)).toBeLessThan(2e-3 * (1 + Math.abs(numeric)));
        }
      }
    }
  });

  it('rejects what is not a Linear or Conv1D, and bad rank / alpha / dropout', () => {
    const lin = new Linear(4, 4);
    expect(() => new LoraLinear({} as Linear, { rank: 2, alpha: 2 })).toThrow(
      /LoraLinear: base must be a Linear or Conv1D layer, got Object/,
    );
    expect(() => new LoraLinear(lin, { rank: 0, alpha: 2 })).toThrow(
      /LoraLinear: rank must be a positive integer, got 0/,
    );
    expect(() => new LoraLinear(lin, { rank: 2, alpha: -1 })).toThrow(
      /LoraLinear: alpha must be a positive number, got -1/,
    );
    expect(() => new LoraLinear(lin, { rank: 2, alpha: 2, dropout: 1 })).toThrow(
      /LoraLinear: dropout must be in \[0, 1\), got 1/,
    );
  });
});

describe('applyLora / mergeLora errors', () => {
  const model = () => makeModel(GPT2);

  it.each([
    [
      { rank: 0, alpha: 8, targets: ['c_attn'] },
      /applyLora: rank must be a positive integer, got 0/,
    ],
    [{ rank: -2, alpha: 8, targets: ['c_attn'] }, /rank must be a positive integer, got -2/],
    [{ rank: 1.5, alpha: 8, targets: ['c_attn'] }, /rank must be a positive integer, got 1.5/],
    [
      { rank: 4, alpha: 0, targets: ['c_attn'] },
      /applyLora: alpha must be a positive number, got 0/,
    ],
    [{ rank: 4, alpha: -1, targets: ['c_attn'] }, /alpha must be a positive number, got -1/],
    [
      { rank: 4, alpha: Number.NaN, targets: ['c_attn'] },
      /alpha must be a positive number, got NaN/,
    ],
    [{ rank: 4, alpha: 8, dropout: 1, targets: ['c_attn'] }, /dropout must be in \[0, 1\), got 1/],
    [{ rank: 4, alpha: 8, targets: [] }, /applyLora: targets must be a non-empty array/],
    [{ rank: 4, alpha: 8, targets: [''] }, /applyLora: targets: "" is not a module name/],
  ] as Array<[LoraConfig, RegExp]>)('rejects %j', (config, message) => {
    const m = model();
    expect(() => applyLora(m, config)).toThrow(message);
    expect(Object.keys(loraParameters(m))).toEqual([]);
    expect(m.parameters().every((t) => t.requiresGrad)).toBe(true);
  });

  it('names an unknown target and lists the linear layers there are', () => {
    const m = model();
    expect(() => applyLora(m, { rank: 4, alpha: 8, targets: ['c_attn', 'q_proj'] })).toThrow(
      "applyLora: target 'q_proj' matches no linear layer of the CausalLM (no module has that name); its linear layers are 'c_attn', 'c_proj', 'c_fc'",
    );
    expect(() => applyLora(m, { rank: 4, alpha: 8, targets: ['attn'] })).toThrow(
      /'transformer\.h\.0\.attn' is a GPT2Attention, not a Linear or Conv1D layer/,
    );
    const llama = makeModel(LLAMA);
    expect(() => applyLora(llama, { rank: 4, alpha: 8, targets: ['c_attn'] })).toThrow(
      /its linear layers are 'q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'/,
    );
    // nothing was changed by the failed calls
    expect(Object.keys(loraParameters(m))).toEqual([]);
    expect(m.parameters().every((t) => t.requiresGrad)).toBe(true);
  });

  it('matches dotted suffixes as PEFT does: mlp.c_proj adapts the MLP projection only', () => {
    const m = model();
    const info = applyLora(m, { rank: 2, alpha: 2, targets: ['mlp.c_proj'] });
    expect(info.modules).toEqual(['transformer.h.0.mlp.c_proj', 'transformer.h.1.mlp.c_proj']);
  });

  it('refuses to adapt twice and to merge a model without LoRA', () => {
    const m = model();
    expect(() => mergeLora(m)).toThrow('mergeLora: the model has no LoRA layers');
    applyLora(m, { rank: 2, alpha: 2, targets: ['c_attn'] });
    expect(() => applyLora(m, { rank: 2, alpha: 2, targets: ['c_fc'] })).toThrow(
      "applyLora: the model already has LoRA layers ('transformer.h.0.attn.c_attn'); call mergeLora first",
    );
  });
});
