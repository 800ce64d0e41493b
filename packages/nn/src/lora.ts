/**
 * LoRA (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): a frozen linear
 * layer plus a trainable low-rank update,
 *
 *   y = base(x) + dropout(x) A^T B^T * (alpha / r),   A [r, in], B [out, r],
 *
 * with B starting at zero, so a freshly adapted model computes exactly what the base model did.
 * Names, initialization and scaling follow Hugging Face PEFT: the adapted layer keeps the base
 * `weight` / `bias` under their old names and adds `lora_A.weight` and `lora_B.weight`, so the
 * base state dict does not change and adapters move to and from PEFT (files: lora-node.ts).
 * Browser-safe.
 */
import { dropout, Generator, noGrad, rand, type Tensor, zeros } from '@openeurollm/tensor';
import { Conv1D, checkSize, Linear } from './layers.js';
import { Module } from './module.js';

/** The layers LoRA adapts: torch-style Linear ([out, in]) and GPT-2's Conv1D ([in, out]). */
export type LinearLayer = Linear | Conv1D;

export interface LoraConfig {
  /** r: the rank of the update B A. */
  rank: number;
  /** The update is scaled by alpha / r (PEFT's lora_alpha); alpha = r means no rescaling. */
  alpha: number;
  /** Dropout on the input of the low-rank path while training; default 0. */
  dropout?: number;
  /**
   * Which linear layers to adapt, as PEFT's target_modules: a layer whose path equals a target
   * or ends with '.' + target (`['q_proj', 'v_proj']`, `['c_attn']`, `['mlp.c_proj']`).
   */
  targets: readonly string[];
  /** Seed of the generator for A's initialization and the dropout masks; default the global one. */
  seed?: number;
}

/** A LoraConfig with its defaults filled in. */
export interface ResolvedLoraConfig {
  rank: number;
  alpha: number;
  dropout: number;
  targets: string[];
  seed: number | null;
}

export interface LoraInfo {
  /** Paths of the adapted layers (`transformer.h.0.attn.c_attn`), in model order. */
  modules: string[];
  /** Parameters that train: the A and B matrices. */
  trainableParameters: number;
  /** Every parameter of the model, the base ones included (a tied tensor counted once). */
  totalParameters: number;
}

/** A LoRA matrix held the way PEFT holds it (an nn.Linear without bias), so its name ends in `.weight`. */
class LoraFactor extends Module {
  readonly weight: Tensor;

  constructor(weight: Tensor) {
    super();
    this.weight = this.registerParameter('weight', weight);
  }
}

export interface LoraLinearOptions {
  rank: number;
  alpha: number;
  dropout?: number;
  /** Draws A's initial values and the dropout masks (default: the global generator). */
  generator?: Generator;
}

/**
 * A Linear or Conv1D layer with a low-rank update. `weight` and `bias` are the base layer's own
 * tensors (frozen by applyLora, not copied), registered under the same names, so the state dict
 * gains only `lora_A.weight` [r, in] and `lora_B.weight` [out, r].
 */
export class LoraLinear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly lora_A: LoraFactor;
  readonly lora_B: LoraFactor;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly rank: number;
  readonly alpha: number;
  readonly dropoutP: number;
  /** alpha / rank */
  readonly scale: number;
  /** True for Conv1D, whose base weight is [in, out] (PEFT's fan_in_fan_out). */
  readonly fanInFanOut: boolean;
  private readonly generator: Generator | undefined;

  constructor(
    readonly base: LinearLayer,
    options: LoraLinearOptions,
  ) {
    super();
    if (!(base instanceof Linear || base instanceof Conv1D)) {
      throw new Error(
        `LoraLinear: base must be a Linear or Conv1D layer, got ${describe(base as unknown)}`,
      );
    }
    checkLoraNumbers('LoraLinear', options);
    const { rank, alpha } = options;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.rank = rank;
    this.alpha = alpha;
    this.dropoutP = options.dropout ?? 0;
    this.scale = alpha / rank;
    this.fanInFanOut = base instanceof Conv1D;
    this.generator = options.generator;
    this.training = base.training;
    // registering switches requiresGrad on; the base tensors keep the flags they had
    const frozen = [base.weight.requiresGrad, base.bias?.requiresGrad ?? false];
    this.weight = this.registerParameter('weight', base.weight);
    this.bias = base.bias ? this.registerParameter('bias', base.bias) : null;
    this.weight.requiresGrad = frozen[0];
    if (this.bias) this.bias.requiresGrad = frozen[1];
    const backend = base.weight.backend.name;
    // PEFT: kaiming_uniform_(A, a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)); B = 0
    const bound = 1 / Math.sqrt(this.inFeatures);
    const a = noGrad(() =>
      rand([rank, this.inFeatures], { generator: this.generator, backend })
        .mul(2 * bound)
        .sub(bound)
        .detach(),
    );
    this.lora_A = this.registerModule('lora_A', new LoraFactor(a));
    this.lora_B = this.registerModule(
      'lora_B',
      new LoraFactor(zeros([this.outFeatures, rank], { backend })),
    );
  }

  /** x [..., in] -> [..., out] */
  forward(x: Tensor): Tensor {
    const y = this.base.forward(x);
    const xd =
      this.training && this.dropoutP > 0
        ? dropout(x, this.dropoutP, { training: true, generator: this.generator })
        : x;
    // [..., in] @ [in, r] @ [r, out]: never builds the [out, in] product
    const update = xd.matmul(this.lora_A.weight.mT).matmul(this.lora_B.weight.mT);
    return y.add(update.mul(this.scale));
  }

  /** The update B A * scale in the base weight's layout ([out, in], or [in, out] for Conv1D). */
  delta(): Tensor {
    return noGrad(() => {
      const d = this.lora_B.weight.matmul(this.lora_A.weight).mul(this.scale); // [out, in]
      return this.fanInFanOut ? d.mT.contiguous() : d;
    });
  }
}

/** What applyLora changed, kept to write adapter files and to undo the freeze on merge. */
interface LoraRecord {
  config: ResolvedLoraConfig;
  /** requiresGrad of every parameter before applyLora froze it. */
  requiresGrad: Map<Tensor, boolean>;
}

const records = new WeakMap<Module, LoraRecord>();

/** Checks a LoRA config and fills in its defaults; errors name the function and the field. */
export function resolveLoraConfig(config: LoraConfig, fn = 'applyLora'): ResolvedLoraConfig {
  if (config === null || typeof config !== 'object') {
    throw new Error(`${fn}: config must be an object, got ${describe(config)}`);
  }
  checkLoraNumbers(fn, config);
  const { targets, seed } = config;
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new Error(
      `${fn}: targets must be a non-empty array of module names (e.g. ['q_proj', 'v_proj']), got ${JSON.stringify(targets)}`,
    );
  }
  for (const t of targets) {
    if (typeof t !== 'string' || t.length === 0 || t.startsWith('.') || t.endsWith('.')) {
      throw new Error(`${fn}: targets: ${JSON.stringify(t)} is not a module name`);
    }
  }
  if (seed !== undefined && !Number.isFinite(seed)) {
    throw new Error(`${fn}: seed must be a finite number, got ${String(seed)}`);
  }
  return {
    rank: config.rank,
    alpha: config.alpha,
    dropout: config.dropout ?? 0,
    targets: [...new Set(targets)],
    seed: seed ?? null,
  };
}

/**
 * The layers that `targets` select, as PEFT matches target_modules: a Linear or Conv1D whose
 * path equals a target or ends with '.' + target. Throws naming a target that selects nothing,
 * with the names of the linear layers there are.
 */
export function findLoraTargets(
  model: Module,
  targets: readonly string[],
  fn = 'applyLora',
): Array<[string, LinearLayer]> {
  const matches = (path: string, t: string) => path === t || path.endsWith(`.${t}`);
  const linear: Array<[string, LinearLayer]> = [];
  const other: Array<[string, Module]> = [];
  for (const [path, m] of model.namedModules()) {
    if (m instanceof Linear || m instanceof Conv1D) linear.push([path, m]);
    else if (path) other.push([path, m]);
  }
  for (const t of targets) {
    if (linear.some(([path]) => matches(path, t))) continue;
    const names = [...new Set(linear.map(([path]) => path.slice(path.lastIndexOf('.') + 1)))];
    const hit = other.find(([path]) => matches(path, t));
    const why = hit
      ? `'${hit[0]}' is a ${hit[1].constructor.name}, not a Linear or Conv1D layer`
      : 'no module has that name';
    throw new Error(
      `${fn}: target '${t}' matches no linear layer of the ${model.constructor.name} (${why}); its linear layers are ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'none'}`,
    );
  }
  return linear.filter(([path]) => targets.some((t) => matches(path, t)));
}

/**
 * Adds LoRA to `model`: freezes every parameter, then replaces each targeted Linear / Conv1D by
 * a LoraLinear that wraps it (A random, B zero: the outputs do not change). Only the A and B
 * matrices train afterwards. Returns what was adapted.
 */
export function applyLora(model: Module, config: LoraConfig): LoraInfo {
  if (!(model instanceof Module)) throw new Error('applyLora: model must be a Module');
  const c = resolveLoraConfig(config, 'applyLora');
  const existing = [...model.namedModules()].find(([, m]) => m instanceof LoraLinear);
  if (existing) {
    throw new Error(
      `applyLora: the model already has LoRA layers ('${existing[0]}'); call mergeLora first`,
    );
  }
  const chosen = findLoraTargets(model, c.targets, 'applyLora');
  // every replacement is checked before the model is touched
  const plan = chosen.map(([path, layer]) => {
    const { parent, name } = parentOf(model, path, 'applyLora');
    if ((parent as unknown as Record<string, unknown>)[name] !== layer) {
      throw new Error(
        `applyLora: '${path}': ${parent.constructor.name} does not hold the layer in a property named '${name}', so its forward cannot be routed through LoRA`,
      );
    }
    return { path, layer, parent, name };
  });
  const requiresGrad = new Map<Tensor, boolean>();
  for (const t of model.parameters()) requiresGrad.set(t, t.requiresGrad);
  model.requiresGrad_(false);
  const generator = c.seed === null ? undefined : new Generator(c.seed);
  for (const { layer, parent, name } of plan) {
    const lora = new LoraLinear(layer, {
      rank: c.rank,
      alpha: c.alpha,
      dropout: c.dropout,
      generator,
    });
    setChild(parent, name, lora);
  }
  records.set(model, { config: c, requiresGrad });
  return {
    modules: plan.map((p) => p.path),
    trainableParameters: model.numParameters({ trainableOnly: true }),
    totalParameters: model.numParameters(),
  };
}

/**
 * Folds each LoRA update into its base weight (W += B A * scale, transposed for Conv1D), puts
 * the plain Linear / Conv1D layers back and restores the requiresGrad flags applyLora found.
 * The model's state dict then has the base model's names again (saveModel writes an ordinary
 * checkpoint). Returns the merged paths.
 */
export function mergeLora(model: Module): { modules: string[] } {
  if (!(model instanceof Module)) throw new Error('mergeLora: model must be a Module');
  const layers = [...model.namedModules()].filter(
    (e): e is [string, LoraLinear] => e[1] instanceof LoraLinear,
  );
  if (layers.length === 0) {
    throw new Error('mergeLora: the model has no LoRA layers (call applyLora first)');
  }
  for (const [path, lora] of layers) {
    const { parent, name } = parentOf(model, path, 'mergeLora');
    const w = lora.base.weight;
    noGrad(() => w.copy_(w.add(lora.delta())));
    lora.base.training = lora.training;
    setChild(parent, name, lora.base);
  }
  for (const [, m] of [...model.namedModules()]) {
    const rec = records.get(m);
    if (!rec) continue;
    for (const [t, flag] of rec.requiresGrad) if (t.dtype === 'float32') t.requiresGrad = flag;
    records.delete(m);
  }
  return { modules: layers.map(([path]) => path) };
}

/** The config applyLora (or loadLoraAdapter) used on `model`, or null when it has no LoRA. */
export function getLoraConfig(model: Module): ResolvedLoraConfig | null {
  const rec = records.get(model);
  return rec ? { ...rec.config, targets: [...rec.config.targets] } : null;
}

/**
 * The LoRA matrices by dotted name (`model.layers.0.self_attn.q_proj.lora_A.weight`): the
 * tensors themselves, e.g. to hand to an optimizer or to save.
 */
export function loraParameters(model: Module): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [path, m] of model.namedModules()) {
    if (!(m instanceof LoraLinear)) continue;
    const p = path ? `${path}.` : '';
    out[`${p}lora_A.weight`] = m.lora_A.weight;
    out[`${p}lora_B.weight`] = m.lora_B.weight;
  }
  return out;
}

function checkLoraNumbers(fn: string, o: { rank: number; alpha: number; dropout?: number }): void {
  checkSize(fn, 'rank', o.rank);
  if (typeof o.alpha !== 'number' || !Number.isFinite(o.alpha) || o.alpha <= 0) {
    throw new Error(`${fn}: alpha must be a positive number, got ${String(o.alpha)}`);
  }
  const p = o.dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new Error(`${fn}: dropout must be in [0, 1), got ${String(p)}`);
  }
}

function parentOf(model: Module, path: string, fn: string): { parent: Module; name: string } {
  const parts = path.split('.');
  const name = parts.pop() as string;
  let parent: Module = model;
  for (const p of parts) {
    const next = parent.child(p);
    if (!next) throw new Error(`${fn}: no module at '${path}'`);
    parent = next;
  }
  return { parent, name };
}

/** Replaces a child both in the module tree (names) and in the property forward() reads. */
function setChild(parent: Module, name: string, m: Module): void {
  parent.registerModule(name, m);
  (parent as unknown as Record<string, unknown>)[name] = m;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
