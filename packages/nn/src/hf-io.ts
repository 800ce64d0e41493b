/**
 * Hugging Face model folders (Node only): `saveModel` writes what transformers'
 * `AutoModelForCausalLM.from_pretrained` reads (config.json, model.safetensors,
 * generation_config.json, and the tokenizer files when given); `loadModel` reads such a
 * folder, F32 / F16 / BF16 weights and sharded checkpoints included.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@openeurollm/tensor';
import { CausalLM } from './causal-lm.js';
import { fromHfConfig, toHfConfig } from './config.js';
import { writeFolderAtomically, writeJson } from './fs-atomic.js';
import { entryToTensor, type SafetensorsEntry } from './safetensors.js';
import { readSafetensors, writeSafetensors } from './safetensors-node.js';

/** What saveModel needs of a tokenizer (an @openeurollm/tokenizer Tokenizer fits). */
export interface TokenizerLike {
  toJSON(): unknown;
  /** tokenizer_config.json (chat template, special tokens), when the tokenizer has one. */
  config?: unknown;
}

export interface SaveModelOptions {
  /** Weight dtype in model.safetensors (default float32). */
  dtype?: 'float32' | 'float16' | 'bfloat16';
  /** Written as tokenizer.json (+ tokenizer_config.json) beside the weights. */
  tokenizer?: TokenizerLike;
  /** Extra text files to put in the folder (e.g. README.md, a model card). */
  files?: Record<string, string>;
}

const DTYPE_CODE = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' } as const;

/** Names of the tensors written for a model: tied duplicates (lm_head.weight) left out, as HF does. */
export function checkpointTensors(model: CausalLM): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) {
    if (name === 'lm_head.weight' && model.config.tieEmbeddings) continue;
    out[name] = t;
  }
  return out;
}

/** Writes `model` as a Hugging Face folder at `dir`, atomically (temp folder + rename). */
export function saveModel(model: CausalLM, dir: string, options: SaveModelOptions = {}): void {
  if (!(model instanceof CausalLM)) throw new Error('saveModel: model must be a CausalLM');
  const dtype = options.dtype ?? 'float32';
  if (!(dtype in DTYPE_CODE)) {
    throw new Error(`saveModel: dtype must be float32, float16 or bfloat16, got ${String(dtype)}`);
  }
  const tensors = checkpointTensors(model);
  writeFolderAtomically(dir, (tmp) => {
    writeJson(join(tmp, 'config.json'), toHfConfig(model.config, dtype));
    writeJson(join(tmp, 'generation_config.json'), generationConfig(model));
    writeSafetensors(join(tmp, 'model.safetensors'), tensors, {
      dtype: DTYPE_CODE[dtype],
      metadata: { format: 'pt' },
    });
    if (options.tokenizer) {
      writeJson(join(tmp, 'tokenizer.json'), options.tokenizer.toJSON());
      if (options.tokenizer.config)
        writeJson(join(tmp, 'tokenizer_config.json'), options.tokenizer.config);
    }
    for (const [name, text] of Object.entries(options.files ?? {})) {
      if (name.includes('/') || name.includes('\\') || name.startsWith('.')) {
        throw new Error(`saveModel: files: '${name}' must be a plain file name`);
      }
      writeFileSync(join(tmp, name), text);
    }
  });
}

function generationConfig(model: CausalLM): Record<string, unknown> {
  const eos = model.config.eosTokenId;
  return {
    bos_token_id: model.config.bosTokenId,
    eos_token_id: eos.length === 0 ? null : eos.length === 1 ? eos[0] : eos,
    do_sample: true,
  };
}

export interface LoadModelOptions {
  /** Backend for the weights (default: the current one). */
  backend?: string;
}

/** Checkpoint names that are buffers in transformers, not parameters (skipped on load). */
const IGNORED = [/\.attn\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/];

/** Reads a Hugging Face model folder (config.json + model.safetensors or sharded) into a CausalLM. */
export function loadModel(dir: string, options: LoadModelOptions = {}): CausalLM {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`loadModel: '${dir}' is not a folder`);
  }
  const configPath = join(dir, 'config.json');
  const hf = readJson(configPath, 'loadModel');
  const config = fromHfConfig(hf, configPath);
  const gen = join(dir, 'generation_config.json');
  if (existsSync(gen) && config.eosTokenId === undefined) {
    const g = readJson(gen, 'loadModel');
    if (g.eos_token_id !== undefined && g.eos_token_id !== null)
      config.eosTokenId = g.eos_token_id as number | number[];
  }
  const model = new CausalLM(config);
  const entries = readWeights(dir);
  const want = model.stateDict();
  const prefix = config.arch === 'gpt2' ? 'transformer.' : 'model.';
  const state = new Map<string, Tensor>();
  const unexpected: string[] = [];
  for (const [rawName, { entry, file }] of entries) {
    if (IGNORED.some((re) => re.test(rawName))) continue;
    // the original GPT-2 checkpoints name the trunk's tensors without 'transformer.'
    const name =
      rawName in want ? rawName : `${prefix}${rawName}` in want ? `${prefix}${rawName}` : null;
    if (name === null) {
      unexpected.push(`'${rawName}' (${file})`);
      continue;
    }
    const target = want[name];
    if (
      entry.shape.length !== target.shape.length ||
      entry.shape.some((n, i) => n !== target.shape[i])
    ) {
      throw new Error(
        `loadModel: ${file}: tensor '${rawName}' has shape [${entry.shape.join(', ')}], config.json implies [${target.shape.join(', ')}]`,
      );
    }
    state.set(name, entryToTensor(entry, { backend: options.backend }));
  }
  if (unexpected.length > 0) {
    throw new Error(
      `loadModel: ${dir}: tensors the ${config.arch} model does not have: ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''}`,
    );
  }
  const missing = Object.keys(want).filter(
    (n) => !state.has(n) && !(n === 'lm_head.weight' && model.config.tieEmbeddings),
  );
  if (missing.length > 0) {
    throw new Error(
      `loadModel: ${dir}: missing tensors ${missing
        .slice(0, 5)
        .map((n) => `'${n}'`)
        .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}${
        missing.includes('lm_head.weight')
          ? ' (tie_word_embeddings is false: the head is its own tensor)'
          : ''
      }`,
    );
  }
  if (model.config.tieEmbeddings) state.delete('lm_head.weight');
  model.loadStateDict(state, { strict: false });
  return model;
}

function readJson(path: string, op: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${op}: cannot read '${path}': ${(e as Error).message}`, { cause: e });
  }
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${op}: '${path}' is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** The weight entries of a folder: model.safetensors, or the shards its index names. */
function readWeights(dir: string): Map<string, { entry: SafetensorsEntry; file: string }> {
  const out = new Map<string, { entry: SafetensorsEntry; file: string }>();
  const single = join(dir, 'model.safetensors');
  const index = join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (existsSync(single)) files = ['model.safetensors'];
  else if (existsSync(index)) {
    const map = readJson(index, 'loadModel').weight_map;
    if (!map || typeof map !== 'object') {
      throw new Error(`loadModel: '${index}' has no weight_map object`);
    }
    files = [...new Set(Object.values(map as Record<string, string>))];
  } else {
    throw new Error(
      `loadModel: '${dir}' has neither model.safetensors nor model.safetensors.index.json (pytorch_model.bin is not read: convert it to safetensors)`,
    );
  }
  for (const f of files) {
    const parsed = readSafetensors(join(dir, f));
    for (const [name, entry] of parsed.tensors) {
      if (out.has(name))
        throw new Error(
          `loadModel: tensor '${name}' appears in two shards (${out.get(name)!.file}, ${f})`,
        );
      out.set(name, { entry, file: f });
    }
  }
  return out;
}
