/**
 * `oellm train`: a run config -> tokenizer -> packed data -> CausalLM trained by the optim
 * Trainer, all inside the run folder. Resumable (`--resume`), and Ctrl-C stops between two
 * steps after writing a checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IndexedDataset } from '@openeurollm/data';
import { CausalLM, type ModelConfig, saveModel } from '@openeurollm/nn';
import {
  AdamW,
  constantSchedule,
  cosineSchedule,
  type LogRecord,
  latestCheckpoint,
  linearSchedule,
  paramGroups,
  type Schedule,
  Trainer,
  type TrainerOptions,
  wsdSchedule,
} from '@openeurollm/optim';
import { getBackend, getNumThreads, manualSeed } from '@openeurollm/tensor';
import { Tokenizer } from '@openeurollm/tokenizer';
import { parse as parseYaml } from 'yaml';
import { fixedBatches, LoaderSource, type StopFlag, StopRequested } from './batches.js';
import { END_OF_TEXT } from './chat-format.js';
import { type RunConfig, runConfigToYaml } from './config.js';
import { CliError, InterruptedError, UsageError } from './errors.js';
import { formatCount, type Output } from './output.js';
import { prepareData, tokenizerTexts } from './prepare.js';
import { Progress } from './progress.js';
import { RunFolder, writeFileAtomic } from './run-folder.js';
import { trainTokenizer } from './tokenizer-build.js';
import { versions } from './versions.js';

export interface TrainRunOptions {
  config: RunConfig;
  /** Folder that relative paths of the config (data.files, tokenizer.path) are resolved against. */
  configDir: string;
  runDir: string;
  /** Continue from the newest checkpoint of runDir. */
  resume?: boolean;
  /** Set to stop between two steps (Ctrl-C): a checkpoint is written, then InterruptedError. */
  stop?: StopFlag;
  /**
   * Seconds the training may take (a fresh run only): a few steps are timed first and
   * training.steps is lowered to what fits (never below 50); the steps chosen go into config.yaml.
   */
  timeBudgetS?: number;
}

export interface TrainRunResult {
  runDir: string;
  steps: number;
  loss: number | null;
  evalLoss: number | null;
  tokens: number;
  tokensPerSecond: number;
  seconds: number;
  checkpoint: string | null;
  modelDir: string;
  parameters: number;
  backend: { name: string; threads: number };
  resumed: boolean;
}

/** The sections of a run config that must not change when a run is resumed. */
const FIXED_SECTIONS = ['data', 'tokenizer', 'model', 'seed'] as const;

function checkResumable(folder: RunFolder, config: RunConfig): void {
  const saved = parseYaml(readFileSync(folder.path('config'), 'utf8')) as RunConfig;
  for (const key of FIXED_SECTIONS) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(config[key])) {
      throw new UsageError(
        `cannot resume ${folder.dir}: '${key}' of the config differs from the run's (${folder.path('config')})`,
        'resume with the same data, tokenizer, model and seed; only training settings (e.g. training.steps) may change',
      );
    }
  }
}

/** The model config of a run: the config's model section with the tokenizer's vocabulary. */
export function modelConfigFor(config: RunConfig, tokenizer: Tokenizer): ModelConfig {
  const m = config.model;
  const eos = tokenizer.tokenToId(config.tokenizer.specialTokens[0] ?? END_OF_TEXT);
  return {
    arch: m.arch,
    vocabSize: tokenizer.vocabSize,
    contextLength: m.contextLength,
    dModel: m.dModel,
    nLayers: m.nLayers,
    nHeads: m.nHeads,
    ...(m.nKvHeads !== undefined ? { nKvHeads: m.nKvHeads } : {}),
    ...(m.ffnHidden !== undefined ? { ffnHidden: m.ffnHidden } : {}),
    ...(m.ropeTheta !== undefined ? { ropeTheta: m.ropeTheta } : {}),
    tieEmbeddings: m.tieEmbeddings,
    dropout: m.dropout,
    ...(eos !== undefined ? { eosTokenId: eos } : {}),
  };
}

export function scheduleFor(t: RunConfig['training']): Schedule {
  const warmupSteps = Math.min(t.warmupSteps, Math.max(0, t.steps - 1));
  switch (t.schedule) {
    case 'constant':
      return constantSchedule({ warmupSteps });
    case 'linear':
      return linearSchedule({ warmupSteps, totalSteps: t.steps, minLrRatio: t.minLrRatio });
    case 'wsd': {
      const decaySteps = Math.max(1, Math.round((t.steps - warmupSteps) * 0.2));
      return wsdSchedule({
        warmupSteps,
        stableSteps: Math.max(0, t.steps - warmupSteps - decaySteps),
        decaySteps,
        minLrRatio: t.minLrRatio,
      });
    }
    default:
      return cosineSchedule({ warmupSteps, totalSteps: t.steps, minLrRatio: t.minLrRatio });
  }
}

/** The run's tokenizer: given by path, already in the run folder, or trained now. */
async function ensureTokenizer(
  o: TrainRunOptions,
  folder: RunFolder,
  out: Output,
): Promise<Tokenizer> {
  const dir = folder.path('tokenizer');
  if (existsSync(join(dir, 'tokenizer.json'))) return Tokenizer.fromFile(dir);
  const c = o.config.tokenizer;
  let tokenizer: Tokenizer;
  if (c.path) {
    const p = join(o.configDir, c.path);
    const path = existsSync(c.path) ? c.path : p;
    if (!existsSync(path)) throw new UsageError(`tokenizer.path: '${c.path}' not found`);
    tokenizer = Tokenizer.fromFile(path);
  } else {
    const docs = await tokenizerTexts(o.config.data, o.configDir);
    out.note(`training a ${c.vocabSize}-token BPE tokenizer on ${docs.length} documents`);
    const r = await trainTokenizer(docs, c, out);
    folder.addSeconds('tokenizer', r.seconds);
    tokenizer = r.tokenizer;
  }
  mkdirSync(dir, { recursive: true });
  tokenizer.save(dir);
  return Tokenizer.fromFile(dir);
}

/** The run's packed training (and validation) data, prepared now when missing. */
async function ensureData(
  o: TrainRunOptions,
  folder: RunFolder,
  tokenizer: Tokenizer,
  out: Output,
): Promise<{ train: IndexedDataset; validation: IndexedDataset | null }> {
  const prefix = folder.path('dataPrefix');
  const ready = existsSync(`${prefix}.train.idx`) || existsSync(`${prefix}.idx`);
  if (!ready) {
    mkdirSync(join(folder.dir, 'data'), { recursive: true });
    out.note('preparing the data (normalize, language id, quality, PII, dedup, split, pack)');
    const r = await prepareData(
      { data: o.config.data, baseDir: o.configDir, tokenizer, outPrefix: prefix },
      out,
    );
    folder.addSeconds('data', r.seconds);
  }
  const trainPrefix = existsSync(`${prefix}.train.idx`) ? `${prefix}.train` : prefix;
  const train = IndexedDataset.open(trainPrefix);
  const validation = existsSync(`${prefix}.validation.idx`)
    ? IndexedDataset.open(`${prefix}.validation`)
    : null;
  const need = o.config.model.contextLength + 1;
  if (train.numTokens < need * o.config.training.batchSize) {
    throw new UsageError(
      `the training data holds ${train.numTokens} tokens, fewer than one batch of ${o.config.training.batchSize} windows of ${need}`,
      'add data, or lower training.batchSize or model.contextLength',
    );
  }
  return { train, validation };
}

/** Runs (or resumes) the training a run config describes. */
export async function trainRun(o: TrainRunOptions, out: Output): Promise<TrainRunResult> {
  const folder = new RunFolder(o.runDir);
  const config = o.config;
  const metricsPath = folder.path('metrics');
  const started =
    (existsSync(metricsPath) && statSync(metricsPath).size > 0) ||
    latestCheckpoint(o.runDir) !== null;
  let resumeFrom: string | null = null;
  if (o.resume) {
    if (!existsSync(folder.path('config'))) {
      throw new UsageError(
        `cannot resume: '${o.runDir}' is not a run folder (no ${folder.path('config')})`,
      );
    }
    checkResumable(folder, config);
    resumeFrom = latestCheckpoint(o.runDir);
    if (!resumeFrom && started) {
      throw new UsageError(
        `cannot resume ${o.runDir}: it has metrics but no complete checkpoint`,
        `start over in another folder (--name) or delete ${o.runDir}`,
      );
    }
  } else if (started) {
    throw new UsageError(
      `run folder '${o.runDir}' already holds a run`,
      `continue it with \`oellm train --resume ${o.runDir}\`, or pick another --name`,
    );
  }
  mkdirSync(o.runDir, { recursive: true });
  const backend = getBackend();
  const backendInfo = { name: backend.name, threads: getNumThreads() };
  writeFileAtomic(folder.path('config'), runConfigToYaml(config));
  folder.updateStatus({
    name: config.name,
    state: 'preparing',
    backend: { ...backend.info(), threads: backendInfo.threads },
    versions: versions(),
  });

  const stopped = (what: string) => {
    if (o.stop?.requested) {
      folder.updateStatus({ state: 'interrupted' });
      throw new InterruptedError(
        `stopped after ${what}, before training; what was made is kept in ${o.runDir}`,
        `continue with: oellm train --resume ${o.runDir}`,
      );
    }
  };
  const tokenizer = await ensureTokenizer(o, folder, out);
  stopped('the tokenizer');
  const { train, validation } = await ensureData(o, folder, tokenizer, out);
  try {
    stopped('the data preparation');
  } catch (e) {
    train.close();
    validation?.close();
    throw e;
  }
  if (o.timeBudgetS !== undefined && !resumeFrom) {
    const perStep = timeSteps(
      modelConfigFor(config, tokenizer),
      config.training.batchSize * config.training.gradAccumulation,
    );
    // the trainer adds logging, evaluation and checkpoints, and a busy machine varies: 20% headroom
    const fit = Math.floor(o.timeBudgetS / (perStep * 1.2));
    const steps = Math.max(
      Math.min(50, config.training.steps),
      Math.min(config.training.steps, fit),
    );
    if (steps < config.training.steps) {
      out.note(
        `${(perStep * 1000).toFixed(0)} ms per step here: ${steps} of ${config.training.steps} steps fit the ${o.timeBudgetS} s budget`,
      );
      config.training.steps = steps;
      config.training.warmupSteps = Math.min(config.training.warmupSteps, Math.floor(steps / 10));
      writeFileAtomic(folder.path('config'), runConfigToYaml(config));
    }
  }
  const t = config.training;

  manualSeed(config.seed);
  const model = new CausalLM(modelConfigFor(config, tokenizer));
  const parameters = model.parameters().reduce((s, p) => s + p.size, 0);
  const optimizer = new AdamW(paramGroups(model, { weightDecay: t.weightDecay }), {
    lr: t.lr,
    betas: [0.9, 0.95],
  });
  const stop = o.stop ?? { requested: false };
  const data = new LoaderSource(train, {
    batchSize: t.batchSize,
    contextLength: config.model.contextLength,
    seed: config.seed,
    gradAccumulation: t.gradAccumulation,
    stop,
  });
  const evalData = validation
    ? fixedBatches(validation, {
        batchSize: t.batchSize,
        contextLength: config.model.contextLength,
        count: t.evalBatches,
      })
    : null;
  const hasEval = evalData !== null && [...evalData()].length > 0;
  const progress = new Progress(out, { label: 'train', total: t.steps, unit: 'steps' });
  let lastLoss = Number.NaN;
  let lastEval: number | null = null;
  const options: TrainerOptions = {
    model,
    data,
    optimizer,
    schedule: scheduleFor(t),
    maxSteps: t.steps,
    gradAccumulation: t.gradAccumulation,
    ...(t.maxGradNorm > 0 ? { maxGradNorm: t.maxGradNorm } : {}),
    logEvery: t.logEvery,
    checkpointEvery: t.checkpointEvery,
    keepCheckpoints: t.keepCheckpoints,
    outDir: o.runDir,
    seed: config.seed,
    onLog: (r: LogRecord) => {
      if ('evalLoss' in r) lastEval = r.evalLoss;
      else {
        lastLoss = r.loss;
        const rate = r.elapsedS > 0 ? r.tokens / r.elapsedS : 0;
        progress.update(
          r.step,
          `loss ${r.loss.toFixed(3)}${lastEval !== null ? ` val ${(lastEval as number).toFixed(3)}` : ''}  ${formatCount(rate)} tok/s`,
        );
      }
    },
  };
  if (hasEval && evalData) {
    options.evalData = evalData;
    if (t.evalEvery !== undefined) options.evalEvery = t.evalEvery;
  }
  const trainer = resumeFrom ? Trainer.resume(resumeFrom, options) : new Trainer(options);
  if (resumeFrom) out.note(`resuming from ${resumeFrom} (step ${trainer.step} of ${t.steps})`);
  out.note(
    `model: ${config.model.arch}, ${formatCount(parameters)} parameters, vocabulary ${tokenizer.vocabSize}, context ${config.model.contextLength}; backend ${backendInfo.name} (${backendInfo.threads} thread${backendInfo.threads === 1 ? '' : 's'})`,
  );
  folder.updateStatus({ state: 'training' });
  const t0 = performance.now();
  progress.update(trainer.step);
  try {
    const summary = await trainer.train();
    progress.finish(
      `loss ${Number.isFinite(lastLoss) ? lastLoss.toFixed(3) : '-'}${summary.evalLoss !== null ? ` val ${summary.evalLoss.toFixed(3)}` : ''}`,
    );
    folder.addSeconds('train', (performance.now() - t0) / 1000);
    const modelDir = folder.path('model');
    saveModel(model, modelDir, { tokenizer });
    folder.updateStatus({ state: 'trained', steps: summary.steps });
    return {
      runDir: o.runDir,
      steps: summary.steps,
      loss: summary.loss,
      evalLoss: summary.evalLoss,
      tokens: summary.tokens,
      tokensPerSecond: summary.tokensPerSecond,
      seconds: summary.elapsedS,
      checkpoint: summary.checkpoint,
      modelDir,
      parameters,
      backend: backendInfo,
      resumed: resumeFrom !== null,
    };
  } catch (e) {
    progress.clear();
    if (e instanceof StopRequested) {
      const dir = trainer.saveCheckpoint();
      folder.addSeconds('train', (performance.now() - t0) / 1000);
      folder.updateStatus({ state: 'interrupted', steps: trainer.step });
      throw new InterruptedError(
        `training stopped at step ${trainer.step} of ${t.steps}; checkpoint written to ${dir}`,
        `continue with: oellm train --resume ${o.runDir}`,
      );
    }
    folder.updateStatus({ state: 'failed' });
    if (e instanceof CliError) throw e;
    throw new CliError(`training failed: ${(e as Error).message}`, { cause: e });
  } finally {
    train.close();
    validation?.close();
  }
}

/** Seconds per training step of a model of `config` on `rows` random sequences. */
function timeSteps(config: ModelConfig, rows: number): number {
  manualSeed(12345);
  const model = new CausalLM(config);
  const optimizer = new AdamW(model.parameters(), { lr: 1e-4 });
  const T = config.contextLength;
  const ids = Array.from({ length: rows }, (_, b) =>
    Array.from({ length: T }, (_, i) => (b * 31 + i * 17) % config.vocabSize),
  );
  let t0 = 0;
  // two warm-up steps (allocator, caches), then three timed
  for (let i = 0; i < 5; i++) {
    if (i === 2) t0 = performance.now();
    const loss = model.loss(ids, ids);
    loss.backward();
    optimizer.step();
    optimizer.zeroGrad();
    loss.item();
  }
  return (performance.now() - t0) / 3000;
}
