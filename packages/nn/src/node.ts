/**
 * The Node.js entry of @openeurollm/nn: everything of the browser-safe core, plus reading and
 * writing safetensors files and Hugging Face model folders.
 */

export { writeFolderAtomically } from './fs-atomic.js';
export {
  checkpointTensors,
  type LoadModelOptions,
  loadModel,
  type SaveModelOptions,
  saveModel,
  type TokenizerLike,
} from './hf-io.js';
export * from './index.js';
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  type LoadLoraAdapterResult,
  loadLoraAdapter,
  PEFT_PREFIX,
  type SaveLoraAdapterOptions,
  saveLoraAdapter,
} from './lora-node.js';
export { readSafetensors, readTensors, writeSafetensors } from './safetensors-node.js';
