/**
 * LoRA adapter folders as Hugging Face PEFT writes them (Node only): `adapter_config.json` (the
 * LoraConfig fields) and `adapter_model.safetensors` with PEFT's tensor names,
 * `base_model.model.<layer path>.lora_A.weight` / `.lora_B.weight`. PEFT's
 * `PeftModel.from_pretrained(base, dir)` reads what saveLoraAdapter writes, and loadLoraAdapter
 * reads LoRA adapters that PEFT saved for GPT-2 and Llama models.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad, shapeToString, type Tensor } from '@openeurollm/tensor';
import { writeFolderAtomically, writeJson } from './fs-atomic.js';
import {
  applyLora,
  findLoraTargets,
  getLoraConfig,
  type LoraConfig,
  type LoraInfo,
  LoraLinear,
  loraParameters,
  resolveLoraConfig,
} from './lora.js';
import { Module } from './module.js';
import { entryToTensor } from './safetensors.js';
import { readSafetensors, writeSafetensors } from './safetensors-node.js';

/** PEFT wraps the model twice (PeftModel > LoraModel), so every saved name starts with this. */
export const PEFT_PREFIX = 'base_model.model.';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

export interface SaveLoraAdapterOptions {
  /** base_model_name_or_path: the Hub id or folder of the base model (default null). */
  baseModelName?: string | null;
}

/**
 * Writes the LoRA matrices of `model` (after applyLora or loadLoraAdapter) as a PEFT adapter
 * folder at `dir`, atomically: a temporary folder renamed into place, replacing any old `dir`.
 */
export function saveLoraAdapter(
  model: Module,
  dir: string,
  options: SaveLoraAdapterOptions = {},
): void {
  if (!(model instanceof Module)) throw new Error('saveLoraAdapter: model must be a Module');
  const config = getLoraConfig(model);
  if (!config) {
    throw new Error(
      'saveLoraAdapter: the model has no LoRA applied to it (call applyLora or loadLoraAdapter on this module first)',
    );
  }
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new Error(`saveLoraAdapter: dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  }
  const base = options.baseModelName ?? null;
  if (base !== null && typeof base !== 'string') {
    throw new Error(`saveLoraAdapter: baseModelName must be a string, got ${typeof base}`);
  }
  const layers = [...model.namedModules()].filter(([, m]) => m instanceof LoraLinear);
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(loraParameters(model))) tensors[PEFT_PREFIX + name] = t;
  // PEFT's LoraConfig, keys sorted as PEFT writes them (json.dumps(sort_keys=True))
  const json = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: base,
    bias: 'none',
    // PEFT sets this for GPT-2's Conv1D, whose weight is [in, out]; A and B are [r, in] and
    // [out, r] either way
    fan_in_fan_out: layers.every(([, m]) => (m as LoraLinear).fanInFanOut),
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: config.rank,
    rank_pattern: {},
    revision: null,
    target_modules: config.targets,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
  writeFolderAtomically(dir, (tmp) => {
    writeJson(join(tmp, ADAPTER_CONFIG_FILE), json);
    writeSafetensors(join(tmp, ADAPTER_WEIGHTS_FILE), tensors, {
      metadata: { format: 'pt', producer: '@openeurollm/nn' },
    });
  });
}

export interface LoadLoraAdapterResult extends LoraInfo {
  /** base_model_name_or_path of the adapter's config (null when it has none). */
  baseModelName: string | null;
}

/**
 * Applies LoRA to `model` as `dir`/adapter_config.json says and loads the A and B matrices of
 * `dir`/adapter_model.safetensors (F32, F16 or BF16). Every field, tensor name and shape is
 * checked before the model is changed: an error names the file, the field or tensor, what was
 * expected and what was found, and leaves the model as it was.
 */
export function loadLoraAdapter(model: Module, dir: string): LoadLoraAdapterResult {
  const fn = 'loadLoraAdapter';
  if (!(model instanceof Module)) throw new Error(`${fn}: model must be a Module`);
  const existing = [...model.namedModules()].find(([, m]) => m instanceof LoraLinear);
  if (existing) {
    throw new Error(
      `${fn}: the model already has LoRA layers ('${existing[0]}'); call mergeLora first`,
    );
  }
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(configPath)) {
    const bin = existsSync(join(dir, 'adapter_model.bin'))
      ? ' (adapter_model.bin is not read: save the adapter with safe_serialization=True)'
      : '';
    throw new Error(`${fn}: '${configPath}' does not exist${bin}`);
  }
  const { config, baseModelName } = readAdapterConfig(configPath);
  const c = resolveLoraConfig(config, `${fn}: '${configPath}'`);
  const chosen = findLoraTargets(model, c.targets, `${fn}: '${configPath}'`);
  if (!existsSync(weightsPath)) {
    throw new Error(
      `${fn}: '${weightsPath}' does not exist (adapter_model.bin is not read: save with safe_serialization=True)`,
    );
  }
  const file = readSafetensors(weightsPath);
  const want = new Map<string, { path: string; shape: number[] }>();
  for (const [path, layer] of chosen) {
    want.set(`${PEFT_PREFIX}${path}.lora_A.weight`, { path, shape: [c.rank, layer.inFeatures] });
    want.set(`${PEFT_PREFIX}${path}.lora_B.weight`, { path, shape: [layer.outFeatures, c.rank] });
  }
  for (const [name, { path, shape }] of want) {
    const entry = file.tensors.get(name);
    if (!entry) {
      throw new Error(
        `${fn}: '${weightsPath}': tensor '${name}' is missing (target_modules ${JSON.stringify(c.targets)} select the layer '${path}')`,
      );
    }
    if (entry.shape.length !== 2 || entry.shape[0] !== shape[0] || entry.shape[1] !== shape[1]) {
      throw new Error(
        `${fn}: '${weightsPath}': tensor '${name}' has shape ${shapeToString(entry.shape)}, the model expects ${shapeToString(shape)} (r = ${c.rank} from adapter_config.json; is this adapter for another base model?)`,
      );
    }
  }
  const extra = [...file.tensors.keys()].filter((n) => !want.has(n));
  if (extra.length > 0) {
    const hint = extra.some((n) => n.includes('.default.'))
      ? " (names with the adapter name '.default.' in them: PEFT strips it when saving)"
      : extra.some((n) => /lora_magnitude_vector|lora_embedding_/.test(n))
        ? ' (DoRA and LoRA on embeddings are not supported)'
        : '';
    throw new Error(
      `${fn}: '${weightsPath}': tensors that no targeted layer of the model has: ${extra
        .slice(0, 5)
        .map((n) => `'${n}'`)
        .join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}${hint}`,
    );
  }
  const values = new Map<string, Tensor>();
  for (const name of want.keys()) {
    const entry = file.tensors.get(name)!;
    try {
      values.set(name, entryToTensor(entry));
    } catch (e) {
      throw new Error(`${fn}: '${weightsPath}': ${(e as Error).message}`, { cause: e });
    }
    if (values.get(name)!.dtype !== 'float32') {
      throw new Error(`${fn}: '${weightsPath}': tensor '${name}' is ${entry.dtype}, not a float`);
    }
  }
  // the init is overwritten below: a fixed seed keeps the global generator untouched
  const info = applyLora(model, { ...config, seed: 0 });
  const params = loraParameters(model);
  noGrad(() => {
    for (const [name, t] of values) params[name.slice(PEFT_PREFIX.length)].copy_(t);
  });
  return { ...info, baseModelName };
}

/** Reads adapter_config.json into a LoraConfig; rejects the PEFT options this package lacks. */
function readAdapterConfig(path: string): { config: LoraConfig; baseModelName: string | null } {
  const fn = `loadLoraAdapter: '${path}'`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${fn}: cannot read it as JSON: ${(e as Error).message}`, { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${fn}: expected a JSON object`);
  }
  const cfg = raw as Record<string, unknown>;
  const bad = (field: string, expected: string): never => {
    throw new Error(
      `${fn}: field '${field}' must be ${expected}, got ${JSON.stringify(cfg[field])}`,
    );
  };
  const absent = (v: unknown) =>
    v === undefined ||
    v === null ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
  if (cfg.peft_type !== 'LORA') bad('peft_type', '"LORA"');
  if (cfg.task_type !== undefined && cfg.task_type !== null && cfg.task_type !== 'CAUSAL_LM') {
    bad('task_type', '"CAUSAL_LM" (or null)');
  }
  // PEFT's LoraConfig defaults: r = 8, lora_alpha = 8, lora_dropout = 0
  const r = cfg.r ?? 8;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) bad('r', 'a positive integer');
  const alpha = cfg.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !(alpha > 0)) bad('lora_alpha', 'a positive number');
  const dropout = cfg.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    bad('lora_dropout', 'a number in [0, 1)');
  }
  const targets = cfg.target_modules;
  if (typeof targets === 'string') {
    bad(
      'target_modules',
      'a list of module names (a string is a regular expression or "all-linear" in PEFT; not supported here)',
    );
  }
  if (
    !Array.isArray(targets) ||
    targets.length === 0 ||
    targets.some((t) => typeof t !== 'string' || t.length === 0)
  ) {
    bad('target_modules', 'a non-empty list of module names');
  }
  if (cfg.bias !== undefined && cfg.bias !== 'none')
    bad('bias', '"none" (LoRA biases are not supported)');
  if (cfg.fan_in_fan_out !== undefined && typeof cfg.fan_in_fan_out !== 'boolean') {
    bad('fan_in_fan_out', 'a boolean');
  }
  // options that change what the adapter computes: refused rather than ignored
  const unsupported: Array<[string, string]> = [
    ['use_dora', 'false (DoRA is not supported)'],
    ['use_rslora', 'false (rank-stabilized scaling is not supported)'],
    ['lora_bias', 'false (LoRA biases are not supported)'],
    ['rank_pattern', 'empty (one rank for every layer)'],
    ['alpha_pattern', 'empty (one alpha for every layer)'],
    ['layers_to_transform', 'null (every layer that target_modules selects is adapted)'],
    ['modules_to_save', 'null (fully trained extra modules are not supported)'],
    ['layer_replication', 'null'],
    ['exclude_modules', 'null (not supported)'],
    ['target_parameters', 'null (not supported)'],
  ];
  for (const [field, expected] of unsupported) {
    if (!(absent(cfg[field]) || cfg[field] === false)) bad(field, expected);
  }
  const base = cfg.base_model_name_or_path;
  if (base !== undefined && base !== null && typeof base !== 'string') {
    bad('base_model_name_or_path', 'a string or null');
  }
  return {
    config: {
      rank: r as number,
      alpha: alpha as number,
      dropout: dropout as number,
      targets: targets as string[],
    },
    baseModelName: (base as string | null | undefined) ?? null,
  };
}
