/**
 * `Trainer`: the training loop of a `CausalLM` (Node only: it writes a metrics log and
 * checkpoints). Each step draws `gradAccumulation` micro-batches, backpropagates their mean
 * losses scaled by 1/k, clips (or only measures) the gradient norm, steps the optimizer and the
 * learning-rate schedule. Every `checkpointEvery` steps and at the end it writes a checkpoint
 * folder atomically; `resume()` restores weights, optimizer, schedule, generators and data
 * position from one, so the resumed run repeats the uninterrupted one bit for bit (same backend
 * and thread count).
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  CausalLM,
  Dropout,
  saveModel,
  toHfConfig,
  writeFolderAtomically,
} from '@openeurollm/nn/node';
import {
  defaultGenerator,
  getBackend,
  manualSeed,
  mul,
  noGrad,
  sum,
  type Tensor,
} from '@openeurollm/tensor';
import { AdamW } from './adamw.js';
import { checkKnownOptions, checkNumber } from './check.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { LRScheduler } from './lr-scheduler.js';
import { Optimizer } from './optimizer.js';
import { paramGroups } from './param-groups.js';
import { optimizerStateToSafetensors } from './safetensors.js';
import type { Schedule } from './schedules.js';
import {
  checkpointName,
  listCheckpoints,
  readCheckpoint,
  TRAINER_STATE_FORMAT,
  TRAINER_STATE_VERSION,
  type TrainerState,
} from './trainer-checkpoint.js';
import { type Batch, type BatchSource, isBatchSource } from './trainer-data.js';

/** Held-out batches: a resumable source (drawn from on), or a function giving the same batches each time. */
export type EvalData = BatchSource | (() => Iterable<Batch>);

/** One line of metrics.jsonl for a training step. */
export interface TrainLogRecord {
  step: number;
  /** Mean of the micro-batches' mean losses. */
  loss: number;
  /** Learning rate of the first param group during this step. */
  lr: number;
  /** Total L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Input tokens trained on so far. */
  tokens: number;
  /** Wall-clock seconds of training so far (over all sessions of the run). */
  elapsedS: number;
}

/** One line of metrics.jsonl for an evaluation. */
export interface EvalLogRecord {
  step: number;
  /** Mean over the eval batches of each batch's mean loss. */
  evalLoss: number;
}

export type LogRecord = TrainLogRecord | EvalLogRecord;

export interface TrainerOptions {
  model: CausalLM;
  /** Training batches. */
  data: BatchSource;
  evalData?: EvalData;
  /**
   * Default: AdamW over `paramGroups(model, { weightDecay: 0.1 })` (no decay for biases, norms
   * and embeddings), betas [0.9, 0.95], learning rate `lr`.
   */
  optimizer?: Optimizer;
  /** Learning rate of the default optimizer (default 3e-4); not allowed with `optimizer`. */
  lr?: number;
  /** Multiplier of the base learning rate by step, driven by an `LRScheduler` (default 1). */
  schedule?: Schedule;
  /** Optimizer steps to train in all (a resumed run continues up to it). */
  maxSteps: number;
  /** Micro-batches per optimizer step, each loss scaled by 1/k (default 1). */
  gradAccumulation?: number;
  /** Clip the total gradient norm to this (`clipGradNorm`); default no clipping. */
  maxGradNorm?: number;
  /** Write a metrics line every this many steps, and at the last step (default 1). */
  logEvery?: number;
  /** Evaluate every this many steps (default: only at the last step); needs evalData. */
  evalEvery?: number;
  /** Batches per evaluation: default 10 from a BatchSource, all of an iterable. */
  evalBatches?: number;
  /** Write a checkpoint every this many steps (default: only at the last step). */
  checkpointEvery?: number;
  /** Complete checkpoints kept; older ones are deleted after a new one is written (default 2). */
  keepCheckpoints?: number;
  /** The run folder: metrics.jsonl and checkpoints/. */
  outDir: string;
  /** Seeds the default generator (dropout) when a fresh run starts (default 0). */
  seed?: number;
  /** Called with each record written to metrics.jsonl. */
  onLog?: (record: LogRecord) => void;
}

/** What `train()` returns. */
export interface TrainSummary {
  /** Optimizer steps done (over all sessions). */
  steps: number;
  /** Loss of the last step trained in this call (null when none was). */
  loss: number | null;
  /** Last and best evaluation loss (null without evalData). */
  evalLoss: number | null;
  bestEvalLoss: number | null;
  /** Input tokens trained on (over all sessions). */
  tokens: number;
  /** Input tokens per second of this call. */
  tokensPerSecond: number;
  /** Wall-clock seconds of training (over all sessions). */
  elapsedS: number;
  /** The newest checkpoint folder. */
  checkpoint: string | null;
}

const OPTIONS = [
  'model',
  'data',
  'evalData',
  'optimizer',
  'lr',
  'schedule',
  'maxSteps',
  'gradAccumulation',
  'maxGradNorm',
  'logEvery',
  'evalEvery',
  'evalBatches',
  'checkpointEvery',
  'keepCheckpoints',
  'outDir',
  'seed',
  'onLog',
];

interface Resolved {
  maxSteps: number;
  gradAccumulation: number;
  maxGradNorm: number | null;
  logEvery: number;
  evalEvery: number | null;
  evalBatches: number | null;
  checkpointEvery: number | null;
  keepCheckpoints: number;
  outDir: string;
  seed: number;
}

export class Trainer {
  readonly model: CausalLM;
  readonly data: BatchSource;
  readonly evalData: EvalData | null;
  readonly optimizer: Optimizer;
  readonly scheduler: LRScheduler;
  /** Optimizer steps done. */
  step = 0;
  /** Input tokens trained on so far. */
  tokensSeen = 0;
  /** Wall-clock seconds of training so far. */
  elapsedS = 0;
  bestEvalLoss: number | null = null;
  lastEvalLoss: number | null = null;
  private readonly o: Resolved;
  private readonly onLog: ((record: LogRecord) => void) | null;
  /** True once a fresh run was set up or a checkpoint was loaded. */
  private started = false;
  private lastCheckpoint: string | null = null;

  constructor(options: TrainerOptions) {
    const where = 'Trainer';
    if (typeof options !== 'object' || options === null) {
      throw new Error(`${where}: expected options { model, data, maxSteps, outDir, ... }`);
    }
    checkKnownOptions(where, options, OPTIONS);
    if (!(options.model instanceof CausalLM)) {
      throw new Error(
        `${where}: model must be a CausalLM from @openeurollm/nn, got ${describe(options.model)}`,
      );
    }
    this.model = options.model;
    if (!isBatchSource(options.data)) {
      throw new Error(
        `${where}: data must be a BatchSource (an object with next(), state() and setState(), such as a TokenWindowSource), got ${describe(options.data)}`,
      );
    }
    this.data = options.data;
    const ev = options.evalData;
    if (ev !== undefined && !isBatchSource(ev) && typeof ev !== 'function') {
      throw new Error(
        `${where}: evalData must be a BatchSource or a function returning an iterable of { input, target }, got ${describe(ev)}`,
      );
    }
    this.evalData = ev ?? null;
    const int = (name: keyof TrainerOptions, dflt: number | null): number | null => {
      const v = options[name];
      if (v === undefined) return dflt;
      return checkNumber(where, name, v, { min: 1, integer: true });
    };
    const maxSteps = int('maxSteps', null);
    if (maxSteps === null) throw new Error(`${where}: maxSteps is required (an integer >= 1)`);
    if (typeof options.outDir !== 'string' || options.outDir.length === 0) {
      throw new Error(
        `${where}: outDir must be a folder path (a non-empty string), got ${describe(options.outDir)}`,
      );
    }
    const evalEvery = int('evalEvery', null);
    const evalBatches = int('evalBatches', null);
    if (this.evalData === null && (evalEvery !== null || evalBatches !== null)) {
      throw new Error(
        `${where}: ${evalEvery !== null ? 'evalEvery' : 'evalBatches'} is set but evalData is not; pass evalData or leave it out`,
      );
    }
    const maxGradNorm =
      options.maxGradNorm === undefined
        ? null
        : checkNumber(where, 'maxGradNorm', options.maxGradNorm, { above: 0 });
    this.o = {
      maxSteps,
      gradAccumulation: int('gradAccumulation', 1) as number,
      maxGradNorm,
      logEvery: int('logEvery', 1) as number,
      evalEvery,
      evalBatches:
        evalBatches ?? (this.evalData !== null && isBatchSource(this.evalData) ? 10 : null),
      checkpointEvery: int('checkpointEvery', null),
      keepCheckpoints: int('keepCheckpoints', 2) as number,
      outDir: options.outDir,
      seed: checkNumber(where, 'seed', options.seed ?? 0, { integer: true }),
    };
    if (options.onLog !== undefined && typeof options.onLog !== 'function') {
      throw new Error(
        `${where}: onLog must be a function (record) => void, got ${describe(options.onLog)}`,
      );
    }
    this.onLog = options.onLog ?? null;
    if (options.optimizer !== undefined) {
      if (!(options.optimizer instanceof Optimizer)) {
        throw new Error(
          `${where}: optimizer must be an Optimizer (SGD, Adam, AdamW) over the model's parameters, got ${describe(options.optimizer)}`,
        );
      }
      if (options.lr !== undefined) {
        throw new Error(
          `${where}: lr sets the default optimizer's learning rate; with your own optimizer, set lr there`,
        );
      }
      this.optimizer = options.optimizer;
    } else {
      const lr = checkNumber(where, 'lr', options.lr ?? 3e-4, { above: 0 });
      this.optimizer = new AdamW(paramGroups(this.model, { weightDecay: 0.1 }), {
        lr,
        betas: [0.9, 0.95],
      });
    }
    const schedule = options.schedule ?? (() => 1);
    if (typeof schedule !== 'function') {
      throw new Error(
        `${where}: schedule must be a function (step) => multiplier, got ${describe(schedule)}`,
      );
    }
    this.scheduler = new LRScheduler(this.optimizer, schedule);
  }

  /** A trainer for `options` continued from the checkpoint folder `checkpointDir`. */
  static resume(checkpointDir: string, options: TrainerOptions): Trainer {
    return new Trainer(options).resume(checkpointDir);
  }

  private get metricsPath(): string {
    return join(this.o.outDir, 'metrics.jsonl');
  }

  /**
   * Trains until `maxSteps` optimizer steps are done, writing metrics.jsonl and checkpoints;
   * yields to the event loop after every step. A fresh run needs an outDir without a run in
   * it (resume that one instead).
   */
  async train(): Promise<TrainSummary> {
    if (!this.started) this.startFresh();
    const o = this.o;
    const t0 = performance.now();
    const elapsedBefore = this.elapsedS;
    const tokensBefore = this.tokensSeen;
    let loss: number | null = null;
    this.model.train();
    while (this.step < o.maxSteps) {
      const r = this.trainStep();
      loss = r.loss;
      this.step += 1;
      this.elapsedS = elapsedBefore + (performance.now() - t0) / 1000;
      const last = this.step === o.maxSteps;
      if (this.step % o.logEvery === 0 || last) {
        this.log({ step: this.step, ...r, tokens: this.tokensSeen, elapsedS: this.elapsedS });
      }
      if (
        this.evalData !== null &&
        ((o.evalEvery !== null && this.step % o.evalEvery === 0) || last)
      ) {
        const evalLoss = this.evaluate();
        this.log({ step: this.step, evalLoss });
      }
      if ((o.checkpointEvery !== null && this.step % o.checkpointEvery === 0) || last) {
        this.saveCheckpoint();
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      steps: this.step,
      loss,
      evalLoss: this.lastEvalLoss,
      bestEvalLoss: this.bestEvalLoss,
      tokens: this.tokensSeen,
      tokensPerSecond: seconds > 0 ? (this.tokensSeen - tokensBefore) / seconds : 0,
      elapsedS: this.elapsedS,
      checkpoint: this.lastCheckpoint ?? latestOf(o.outDir),
    };
  }

  /** One optimizer step over gradAccumulation micro-batches. */
  private trainStep(): { loss: number; lr: number; gradNorm: number } {
    const k = this.o.gradAccumulation;
    let lossSum = 0;
    for (let micro = 0; micro < k; micro++) {
      const batch = this.data.next();
      checkBatch(batch, 'data.next()');
      const loss = this.model.loss(batch.input, batch.target);
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new Error(
          `Trainer: the loss of step ${this.step + 1} (micro-batch ${micro + 1} of ${k}) is ${value}; lower the learning rate or set maxGradNorm, and resume from latestCheckpoint(outDir)`,
        );
      }
      lossSum += value;
      (k === 1 ? loss : loss.mul(1 / k)).backward();
      this.tokensSeen += countTokens(batch.input);
    }
    const params = this.optimizer.parameters();
    const gradNorm =
      this.o.maxGradNorm !== null ? clipGradNorm(params, this.o.maxGradNorm) : totalNorm(params);
    const lr = this.optimizer.paramGroups[0].lr;
    this.optimizer.step();
    this.scheduler.step();
    this.optimizer.zeroGrad();
    return { loss: lossSum / k, lr, gradNorm };
  }

  /**
   * The mean loss over evalBatches held-out batches, in eval mode (no dropout) without
   * autograd; updates lastEvalLoss and bestEvalLoss.
   */
  evaluate(): number {
    const ev = this.evalData;
    if (ev === null) throw new Error('Trainer.evaluate: no evalData was given');
    const limit = this.o.evalBatches ?? Number.POSITIVE_INFINITY;
    const wasTraining = this.model.training;
    this.model.eval();
    let total = 0;
    let n = 0;
    try {
      noGrad(() => {
        const score = (b: Batch, what: string) => {
          checkBatch(b, what);
          total += this.model.loss(b.input, b.target).item();
          n += 1;
        };
        if (typeof ev === 'function') {
          for (const b of ev()) {
            if (n >= limit) break;
            score(b, 'evalData()');
          }
        } else {
          while (n < limit) score(ev.next(), 'evalData.next()');
        }
      });
    } finally {
      this.model.train(wasTraining);
    }
    if (n === 0) throw new Error('Trainer.evaluate: evalData() gave no batches');
    const evalLoss = total / n;
    this.lastEvalLoss = evalLoss;
    if (this.bestEvalLoss === null || evalLoss < this.bestEvalLoss) this.bestEvalLoss = evalLoss;
    return evalLoss;
  }

  /**
   * Writes the checkpoint of the current step to `<outDir>/checkpoints/step-NNNNNNNN` through a
   * temporary folder and a rename, then deletes the oldest beyond keepCheckpoints. Returns the
   * folder.
   */
  saveCheckpoint(): string {
    const dir = join(this.o.outDir, 'checkpoints', checkpointName(this.step));
    const state = this.trainerState();
    let stateJson: string;
    try {
      stateJson = `${JSON.stringify(state, null, 2)}\n`;
    } catch (e) {
      throw new Error(
        `Trainer: the trainer state is not JSON (data.state() and evalData.state() must return plain JSON): ${(e as Error).message}`,
        { cause: e },
      );
    }
    const optimizerBytes = optimizerStateToSafetensors(this.optimizer.stateDict());
    writeFolderAtomically(dir, (tmp) => {
      // config.json, generation_config.json, model.safetensors, exactly as saveModel writes them
      // (saveModel replaces the still empty tmp folder atomically itself)
      saveModel(this.model, tmp);
      writeFileSync(join(tmp, 'optimizer.safetensors'), optimizerBytes);
      // last: a folder with trainer_state.json is complete
      writeFileSync(join(tmp, 'trainer_state.json'), stateJson);
    });
    this.lastCheckpoint = dir;
    this.prune();
    return dir;
  }

  private trainerState(): TrainerState {
    const modules: Record<string, number[]> = {};
    for (const [path, m] of this.model.namedModules()) {
      if (m instanceof Dropout && m.generator) modules[path] = m.generator.getState();
    }
    const backend = getBackend();
    const o = this.o;
    return {
      format: TRAINER_STATE_FORMAT,
      formatVersion: TRAINER_STATE_VERSION,
      step: this.step,
      seed: o.seed,
      rng: { global: defaultGenerator.getState(), modules },
      data: this.data.state(),
      evalData:
        this.evalData !== null && isBatchSource(this.evalData) ? this.evalData.state() : null,
      scheduler: this.scheduler.stateDict(),
      tokensSeen: this.tokensSeen,
      elapsedS: this.elapsedS,
      bestEvalLoss: this.bestEvalLoss,
      lastEvalLoss: this.lastEvalLoss,
      config: {
        maxSteps: o.maxSteps,
        gradAccumulation: o.gradAccumulation,
        maxGradNorm: o.maxGradNorm,
        logEvery: o.logEvery,
        evalEvery: o.evalEvery,
        evalBatches: o.evalBatches,
        checkpointEvery: o.checkpointEvery,
        keepCheckpoints: o.keepCheckpoints,
        seed: o.seed,
        optimizer: this.optimizer.name,
        groups: this.optimizer.paramGroups.map((g) => {
          const { params: _p, keys: _k, ...hyper } = g;
          return hyper;
        }),
      },
      provenance: {
        backend: { name: backend.name, ...backend.info() },
        node: process.version,
        writtenAt: new Date().toISOString(),
      },
    };
  }

  /**
   * Continues from a checkpoint folder: weights (in place), optimizer, scheduler, generators,
   * data positions and counters. Lines of metrics.jsonl after the checkpoint's step, newer
   * checkpoints (an abandoned future) and temporary folders of unfinished writes are removed,
   * so the run reads as if it had never stopped. Check everything it can before changing
   * anything; if it throws after that, build a new Trainer.
   */
  resume(checkpointDir: string): this {
    const where = 'Trainer.resume';
    const ckpt = readCheckpoint(checkpointDir, where);
    const s = ckpt.state;
    this.checkConfig(ckpt.config, checkpointDir, where);
    this.checkWeights(ckpt.weights, checkpointDir, where);
    try {
      this.optimizer.loadStateDict(ckpt.optimizer);
    } catch (e) {
      throw new Error(
        `${where}: ${join(checkpointDir, 'optimizer.safetensors')} does not fit the optimizer: ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.data.setState(s.data);
    if (this.evalData !== null && isBatchSource(this.evalData) && s.evalData !== null) {
      this.evalData.setState(s.evalData);
    }
    this.model.loadStateDict(ckpt.weights, { strict: false });
    this.scheduler.loadStateDict(s.scheduler);
    defaultGenerator.setState(s.rng.global);
    for (const [path, m] of this.model.namedModules()) {
      const saved = s.rng.modules?.[path];
      if (m instanceof Dropout && m.generator && saved) m.generator.setState(saved);
    }
    this.step = s.step;
    this.tokensSeen = s.tokensSeen;
    this.elapsedS = s.elapsedS;
    this.bestEvalLoss = s.bestEvalLoss ?? null;
    this.lastEvalLoss = s.lastEvalLoss ?? null;
    this.started = true;
    this.lastCheckpoint = null;
    warnIfOtherBackend(s, where);

    mkdirSync(this.o.outDir, { recursive: true });
    this.truncateMetrics(s.step);
    for (const c of listCheckpoints(this.o.outDir)) {
      if (c.step > s.step) removeFolder(c.dir);
    }
    this.removeUnfinished();
    return this;
  }

  private checkConfig(saved: Record<string, unknown>, dir: string, where: string): void {
    const mine = toHfConfig(this.model.modelConfig, 'float32');
    const diffs = Object.keys(mine)
      .filter((k) => k !== 'torch_dtype' && JSON.stringify(saved[k]) !== JSON.stringify(mine[k]))
      .map((k) => `${k} ${JSON.stringify(saved[k])} (model: ${JSON.stringify(mine[k])})`);
    if (diffs.length > 0) {
      throw new Error(
        `${where}: ${join(dir, 'config.json')} describes another model: ${diffs.slice(0, 5).join(', ')}${diffs.length > 5 ? ` and ${diffs.length - 5} more` : ''}; build the model from the checkpoint's config (loadModel(dir).modelConfig)`,
      );
    }
  }

  private checkWeights(weights: Record<string, Tensor>, dir: string, where: string): void {
    const own = this.model.stateDict();
    const tied = this.model.config.tieEmbeddings;
    const problems: string[] = [];
    for (const name of Object.keys(own)) {
      if (tied && name === 'lm_head.weight') continue;
      const w = weights[name];
      if (!w) problems.push(`'${name}' is missing`);
      else if (w.shape.join(',') !== own[name].shape.join(',')) {
        problems.push(
          `'${name}' has shape [${w.shape.join(', ')}], the model [${own[name].shape.join(', ')}]`,
        );
      }
    }
    for (const name of Object.keys(weights)) {
      if (!(name in own)) problems.push(`'${name}' is not in the model`);
    }
    if (problems.length > 0) {
      throw new Error(
        `${where}: ${join(dir, 'model.safetensors')} does not fit the model: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` and ${problems.length - 5} more` : ''}`,
      );
    }
  }

  /** Keeps only the lines of metrics.jsonl with step <= `step` (rewritten atomically). */
  private truncateMetrics(step: number): void {
    const path = this.metricsPath;
    if (!existsSync(path)) {
      writeFileSync(path, '');
      return;
    }
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    const kept: string[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let record: { step?: unknown };
      try {
        record = JSON.parse(line);
      } catch (e) {
        // a line cut short by a kill can only be the last one
        if (i === lines.length - 1) return;
        throw new Error(
          `Trainer.resume: ${path} line ${i + 1} is not JSON (${(e as Error).message}); metrics.jsonl holds one JSON object per line, written by Trainer.train()`,
        );
      }
      if (typeof record.step === 'number' && record.step <= step) kept.push(line);
    });
    const out = kept.map((l) => `${l}\n`).join('');
    if (out === text) return;
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, out);
    renameSync(tmp, path);
  }

  /** Deletes complete checkpoints beyond keepCheckpoints, oldest first, and unfinished writes. */
  private prune(): void {
    const all = listCheckpoints(this.o.outDir);
    for (const c of all.slice(0, Math.max(0, all.length - this.o.keepCheckpoints))) {
      removeFolder(c.dir);
    }
  }

  /** Removes temporary folders left by a write or delete that a kill interrupted. */
  private removeUnfinished(): void {
    const root = join(this.o.outDir, 'checkpoints');
    if (!existsSync(root)) return;
    for (const name of readdirSync(root)) {
      if (name.startsWith('.') && (name.includes('.tmp-') || name.includes('.deleting-'))) {
        rmSync(join(root, name), { recursive: true, force: true });
      }
    }
  }

  private startFresh(): void {
    const path = this.metricsPath;
    const checkpoints = listCheckpoints(this.o.outDir);
    const hasMetrics = existsSync(path) && statSync(path).size > 0;
    if (hasMetrics || checkpoints.length > 0) {
      const found = [
        hasMetrics ? 'metrics.jsonl' : '',
        checkpoints.length > 0 ? `${checkpoints.length} checkpoint(s)` : '',
      ].filter(Boolean);
      throw new Error(
        `Trainer.train: '${this.o.outDir}' already holds a run (${found.join(', ')}); continue it with Trainer.resume(latestCheckpoint(outDir), options), or pass another outDir (or delete this one) to start over`,
      );
    }
    mkdirSync(this.o.outDir, { recursive: true });
    writeFileSync(path, '');
    manualSeed(this.o.seed);
    this.started = true;
  }

  private log(record: LogRecord): void {
    appendFileSync(this.metricsPath, `${JSON.stringify(record)}\n`);
    this.onLog?.(record);
  }
}

/** Deletes a checkpoint folder by renaming it to a hidden name first, so it never looks complete while half gone. */
function removeFolder(dir: string): void {
  const doomed = join(dirname(dir), `.${basename(dir)}.deleting-${process.pid}`);
  renameSync(dir, doomed);
  rmSync(doomed, { recursive: true, force: true });
}

function latestOf(outDir: string): string | null {
  const all = listCheckpoints(outDir);
  return all.length === 0 ? null : all[all.length - 1].dir;
}

/** The total L2 norm of the gradients, as clipGradNorm measures it, without clipping. */
function totalNorm(params: readonly Tensor[]): number {
  return noGrad(() => {
    let acc = 0;
    for (const p of params) if (p.grad) acc += sum(mul(p.grad, p.grad)).item();
    return Math.sqrt(acc);
  });
}

function countTokens(input: Tensor | number[][]): number {
  return Array.isArray(input) ? input.reduce((n, row) => n + row.length, 0) : input.size;
}

function checkBatch(batch: unknown, what: string): asserts batch is Batch {
  const b = batch as Batch | null;
  if (typeof b !== 'object' || b === null || b.input === undefined || b.target === undefined) {
    throw new Error(
      `Trainer: ${what} must return { input, target } (int32 [B, T] tensors or number[][]), got ${describe(batch)}`,
    );
  }
}

let warned = false;

function warnIfOtherBackend(s: TrainerState, where: string): void {
  const then = s.provenance?.backend ?? {};
  const backend = getBackend();
  const now: Record<string, unknown> = { name: backend.name, ...backend.info() };
  if (warned || (then.name === now.name && then.threads === now.threads)) return;
  warned = true;
  console.warn(
    `${where}: the checkpoint was written on the ${String(then.name)} backend with ${String(then.threads ?? 1)} thread(s), this process runs ${String(now.name)} with ${String(now.threads ?? 1)}; training continues, but its losses will not repeat an uninterrupted run's bit for bit`,
  );
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return `an object (${x.constructor?.name ?? 'no constructor'})`;
  if (typeof x === 'string') return `'${x}'`;
  return `${typeof x} ${String(x)}`;
}
