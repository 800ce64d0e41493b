/**
 * @openeurollm/nn: PyTorch-like modules, GPT-2 and Llama causal language models with Hugging
 * Face parameter names, LoRA adapters, and safetensors. Browser-safe: file I/O lives in the
 * Node entry (`saveModel`, `loadModel`, `readSafetensors`, …).
 */
export { causalAttention, KVCache, RotaryTable } from './attention.js';
export { CausalLM, type GenerateOptions, type LossOptions } from './causal-lm.js';
export {
  type Arch,
  fromHfConfig,
  type ModelConfig,
  type ResolvedConfig,
  resolveConfig,
  toHfConfig,
} from './config.js';
export {
  Conv1D,
  Dropout,
  Embedding,
  type InitOptions,
  LayerNorm,
  Linear,
  RMSNorm,
} from './layers.js';
export {
  applyLora,
  findLoraTargets,
  getLoraConfig,
  type LinearLayer,
  type LoraConfig,
  type LoraInfo,
  LoraLinear,
  type LoraLinearOptions,
  loraParameters,
  mergeLora,
  type ResolvedLoraConfig,
} from './lora.js';
export { GPT2Model } from './models/gpt2.js';
export { LlamaModel } from './models/llama.js';
export {
  type LoadStateDictOptions,
  type LoadStateDictResult,
  Module,
  ModuleList,
} from './module.js';
export * from './safetensors.js';
export { checkSampling, type SamplingOptions, sampleToken } from './sampling.js';
