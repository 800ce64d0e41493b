/**
 * @openeurollm/optim: optimizers (SGD, Adam, AdamW) with PyTorch's semantics, learning-rate
 * schedules, gradient clipping and accumulation, and optimizer state that saves and restores
 * exactly. Browser-safe: no `node:` imports (file helpers live in the `node` entry).
 */
export { Adam } from './adam.js';
export type { AdamHyperparameters, AdamOptions } from './adam-base.js';
export { AdamW } from './adamw.js';
export { type ClipGradNormOptions, clipGradNorm, type GradSource } from './clip-grad-norm.js';
export {
  GradientAccumulator,
  type GradientAccumulatorOptions,
} from './gradient-accumulator.js';
export {
  LR_SCHEDULER_STATE_FORMAT,
  LRScheduler,
  type LRSchedulerState,
} from './lr-scheduler.js';
export {
  type BaseHyperparameters,
  type Json,
  OPTIMIZER_STATE_FORMAT,
  OPTIMIZER_STATE_VERSION,
  Optimizer,
  type OptimizerMeta,
  type OptimizerStateDict,
  type ParamState,
  type ZeroGradOptions,
} from './optimizer.js';
export {
  EMBEDDING_NAME,
  isNoDecay,
  type NamedParamGroup,
  type ParamGroupsOptions,
  paramGroups,
} from './param-groups.js';
export type {
  NamedParameters,
  ParamGroup,
  ParamGroupInput,
  ParamSource,
  ParamsInput,
} from './params.js';
export {
  META_KEY,
  optimizerStateFromSafetensors,
  optimizerStateToSafetensors,
  type ReadOptimizerStateOptions,
} from './safetensors.js';
export {
  constantSchedule,
  cosineSchedule,
  type DecayOptions,
  type DecayShape,
  linearSchedule,
  type Schedule,
  type WarmupOptions,
  type WsdOptions,
  wsdSchedule,
} from './schedules.js';
export { SGD, type SGDHyperparameters, type SGDOptions } from './sgd.js';
export {
  type Batch,
  type BatchSource,
  isBatchSource,
  TOKEN_WINDOW_SOURCE_FORMAT,
  TokenWindowSource,
  type TokenWindowSourceOptions,
  type TokenWindowSourceState,
} from './trainer-data.js';
