/**
 * The Trainer in one process: a tiny Llama learns a character-level corpus well below its
 * unigram entropy, checkpoints are complete Hugging Face folders that reload to the same
 * logits and generations, gradient accumulation equals one large batch, and TokenWindowSource
 * restarts exactly from its state.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@openeurollm/nn/node';
import { getBackend, type Tensor } from '@openeurollm/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { cosineSchedule } from '../src/schedules.js';
import type { LogRecord, TrainLogRecord } from '../src/trainer.js';
import { Trainer } from '../src/trainer.js';
import { listCheckpoints, readCheckpoint } from '../src/trainer-checkpoint.js';
import { TokenWindowSource } from '../src/trainer-data.js';
import {
  corpus,
  FixedBatches,
  removeTempDirs,
  tempDir,
  tinyModel,
  unigramEntropy,
  windows,
} from './trainer-helpers.js';

function readMetrics(outDir: string): LogRecord[] {
  return readFileSync(join(outDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

const isTrain = (r: LogRecord): r is TrainLogRecord => 'loss' in r;

afterAll(removeTempDirs);

describe(`Trainer on ${getBackend().name}`, () => {
  it('a tiny Llama learns a character corpus to well below its unigram entropy', async () => {
    const { chars, ids } = corpus();
    const H = unigramEntropy(ids);
    // hold out a stretch of the English paragraphs (English is seen in training elsewhere)
    const [from, to] = [300, 480];
    const T = 32;
    const model = tinyModel(
      {
        arch: 'llama',
        vocabSize: chars.length,
        contextLength: T,
        dModel: 64,
        nLayers: 2,
        nHeads: 4,
      },
      0,
    );
    const heldOut = ids.slice(from, to);
    const evalBatch = windows(heldOut, [0, 40, 80, 120, 140], T);
    const outDir = tempDir();
    const maxSteps = 200;
    const logged: LogRecord[] = [];
    const trainer = new Trainer({
      model,
      data: new TokenWindowSource([...ids.slice(0, from), ...ids.slice(to)], {
        batchSize: 8,
        contextLength: T,
        seed: 1,
      }),
      evalData: () => [evalBatch],
      evalEvery: 100,
      lr: 6e-3,
      schedule: cosineSchedule({ warmupSteps: 20, totalSteps: maxSteps, minLrRatio: 0.1 }),
      maxSteps,
      maxGradNorm: 1,
      checkpointEvery: 50,
      keepCheckpoints: 2,
      outDir,
      onLog: (r) => logged.push(r),
    });
    const summary = await trainer.train();

    const metrics = readMetrics(outDir);
    expect(metrics).toEqual(logged);
    const train = metrics.filter(isTrain);
    expect(train.map((r) => r.step)).toEqual(Array.from({ length: maxSteps }, (_, i) => i + 1));
    expect(metrics.filter((r) => !isTrain(r)).map((r) => r.step)).toEqual([100, 200]);
    // untrained: close to uniform over the vocabulary, above the unigram entropy
    expect(train[0].loss).toBeGreaterThan(H);
    expect(Math.abs(train[0].loss - Math.log(chars.length))).toBeLessThan(0.1);
    // trained: the mean of the last 10 steps far below H (a context-free model cannot beat H)
    const final = train.slice(-10).reduce((s, r) => s + r.loss, 0) / 10;
    expect(final, `final loss ${final}, unigram entropy ${H}`).toBeLessThan(0.7 * H);
    // and some of it carries over to held-out text (by step 200 it overfits a little)
    expect(summary.bestEvalLoss as number).toBeLessThan(0.9 * H);
    expect(summary).toMatchObject({ steps: maxSteps, tokens: maxSteps * 8 * T });
    expect(summary.loss).toBe(train[maxSteps - 1].loss);
    expect(summary.tokensPerSecond).toBeGreaterThan(0);
    expect(train[maxSteps - 1].tokens).toBe(maxSteps * 8 * T);

    // checkpoints at 50, 100, 150, 200; the two newest kept
    expect(listCheckpoints(outDir).map((c) => c.step)).toEqual([150, 200]);
    expect(readdirSync(join(outDir, 'checkpoints')).sort()).toEqual([
      'step-00000150',
      'step-00000200',
    ]);
    const dir = join(outDir, 'checkpoints', 'step-00000200');
    expect(summary.checkpoint).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);
    const state = readCheckpoint(dir).state;
    expect(state).toMatchObject({
      format: 'oellm-trainer-state',
      formatVersion: 1,
      step: 200,
      seed: 0,
      tokensSeen: maxSteps * 8 * T,
      bestEvalLoss: Math.min(
        ...metrics.filter((r) => !isTrain(r)).map((r) => (r as { evalLoss: number }).evalLoss),
      ),
      scheduler: { lastStep: 200 },
      config: { maxSteps, gradAccumulation: 1, checkpointEvery: 50, optimizer: 'AdamW' },
    });
    expect(state.provenance.backend.name).toBe(getBackend().name);

    // the checkpoint is a Hugging Face folder: it reloads to the same logits, bit for bit
    const loaded = loadModel(dir);
    const prompt = Array.from('The baker ', (c) => chars.indexOf(c));
    model.eval();
    expect(Array.from(loaded.forward(prompt).data())).toEqual(
      Array.from(model.forward(prompt).data()),
    );
    // generation with a seed repeats exactly, in this model and in the reloaded one
    const gen = { maxNewTokens: 20, temperature: 0.8, seed: 7 };
    const a = model.generate(prompt, gen);
    expect(model.generate(prompt, gen)).toEqual(a);
    expect(loaded.generate(prompt, gen)).toEqual(a);
    expect(a[0]).toHaveLength(prompt.length + 20);
  });

  it('gradAccumulation k with batches of b equals one step over batches of k * b', async () => {
    const { ids } = corpus();
    const T = 16;
    const starts = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100];
    const rows = (i: number, n: number) => starts.slice(i * n, (i + 1) * n);
    const config = { vocabSize: 64, contextLength: T, dModel: 32, nLayers: 2, nHeads: 2 };
    const run = async (k: number): Promise<{ metrics: TrainLogRecord[]; weights: Tensor[] }> => {
      const b = 4 / k;
      const model = tinyModel(config, 5); // same initial weights for both
      const batches = Array.from({ length: starts.length / b }, (_, i) =>
        windows(ids, rows(i, b), T),
      );
      const outDir = tempDir();
      await new Trainer({
        model,
        data: new FixedBatches(batches),
        lr: 1e-3,
        maxSteps: 3,
        gradAccumulation: k,
        outDir,
      }).train();
      return { metrics: readMetrics(outDir).filter(isTrain), weights: model.parameters() };
    };
    const one = await run(1);
    for (const k of [2, 4]) {
      const acc = await run(k);
      for (let s = 0; s < 3; s++) {
        const [x, y] = [acc.metrics[s], one.metrics[s]];
        expect(x.tokens).toBe(y.tokens);
        expect(Math.abs(x.loss - y.loss), `k=${k} step ${s + 1} loss`).toBeLessThan(1e-5);
        expect(Math.abs(x.gradNorm - y.gradNorm) / y.gradNorm).toBeLessThan(1e-5);
      }
      let worst = 0;
      acc.weights.forEach((w, i) => {
        const u = w.data();
        const v = one.weights[i].data();
        for (let j = 0; j < u.length; j++) worst = Math.max(worst, Math.abs(u[j] - v[j]));
      });
      expect(worst, `k=${k}: largest weight difference`).toBeLessThan(1e-5);
    }
  });

  it('logs every logEvery steps and at the last, and evaluates a BatchSource evalBatches times', async () => {
    const { ids } = corpus();
    const evalData = new TokenWindowSource(ids.slice(0, 300), { batchSize: 2, contextLength: 8 });
    const outDir = tempDir();
    await new Trainer({
      model: tinyModel({ vocabSize: 64 }),
      data: new TokenWindowSource(ids, { batchSize: 2, contextLength: 8, seed: 3 }),
      evalData,
      evalEvery: 4,
      evalBatches: 3,
      maxSteps: 7,
      logEvery: 3,
      outDir,
    }).train();
    expect(readMetrics(outDir).map((r) => `${r.step}${isTrain(r) ? '' : 'e'}`)).toEqual([
      '3',
      '4e',
      '6',
      '7',
      '7e',
    ]);
    expect((evalData.state() as { batches: number }).batches).toBe(6);
    // no checkpointEvery: one checkpoint, at the end
    expect(listCheckpoints(outDir).map((c) => c.step)).toEqual([7]);
    expect(existsSync(join(outDir, 'checkpoints', 'step-00000007', 'trainer_state.json'))).toBe(
      true,
    );
  });
});

describe('Trainer.resume in one process', () => {
  it('resuming from an older checkpoint drops later log lines and checkpoints, then repeats them', async () => {
    const { ids } = corpus();
    const outDir = tempDir();
    const options = () => ({
      model: tinyModel({ vocabSize: 64, dropout: 0.2 }, 1),
      data: new TokenWindowSource(ids, { batchSize: 2, contextLength: 8, seed: 4 }),
      evalData: new TokenWindowSource(ids, { batchSize: 2, contextLength: 8, seed: 5 }),
      evalEvery: 2,
      evalBatches: 1,
      maxSteps: 5,
      checkpointEvery: 1,
      keepCheckpoints: 5,
      gradAccumulation: 2,
      outDir,
    });
    await new Trainer(options()).train();
    const before = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8');
    const from = join(outDir, 'checkpoints', 'step-00000002');
    const trainer = Trainer.resume(from, options());
    expect(trainer.step).toBe(2);
    expect(listCheckpoints(outDir).map((c) => c.step)).toEqual([1, 2]);
    expect(readMetrics(outDir).map((r) => r.step)).toEqual([1, 2, 2]);
    const summary = await trainer.train();
    expect(summary.steps).toBe(5);
    expect(
      readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').replace(/"elapsedS":[^}]*/g, ''),
    ).toBe(before.replace(/"elapsedS":[^}]*/g, ''));
    expect(listCheckpoints(outDir).map((c) => c.step)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('TokenWindowSource', () => {
  const tokens = Array.from({ length: 100 }, (_, i) => i);

  it('gives windows of contextLength + 1 tokens: input, and target shifted by one', () => {
    const src = new TokenWindowSource(tokens, { batchSize: 3, contextLength: 5, seed: 1 });
    for (let n = 0; n < 20; n++) {
      const { input, target } = src.next();
      expect(input.shape).toEqual([3, 5]);
      expect(input.dtype).toBe('int32');
      const x = input.data();
      const y = target.data();
      for (let b = 0; b < 3; b++) {
        const start = x[b * 5];
        expect(start + 5).toBeLessThan(100);
        for (let t = 0; t < 5; t++) {
          expect(x[b * 5 + t]).toBe(start + t);
          expect(y[b * 5 + t]).toBe(start + t + 1);
        }
      }
    }
  });

  it('repeats for a seed and continues exactly from state()', () => {
    const make = (seed: number) =>
      new TokenWindowSource(Int32Array.from(tokens), { batchSize: 4, contextLength: 8, seed });
    const draw = (s: TokenWindowSource, n: number) =>
      Array.from({ length: n }, () => Array.from(s.next().input.data()));
    const a = make(11);
    draw(a, 3);
    const saved = JSON.parse(JSON.stringify(a.state()));
    expect(saved).toMatchObject({ batches: 3, seed: 11, batchSize: 4, contextLength: 8 });
    const next = draw(a, 5);
    const b = make(11);
    b.setState(saved);
    expect(draw(b, 5)).toEqual(next);
    expect(draw(make(11), 3)).toEqual(draw(make(11), 3));
    expect(draw(make(11), 3)).not.toEqual(draw(make(12), 3));
  });

  it('rejects bad options and states from another source, naming them', () => {
    expect(() => new TokenWindowSource(tokens, { batchSize: 0, contextLength: 4 })).toThrow(
      'TokenWindowSource: batchSize must be an integer >= 1, got 0',
    );
    expect(() => new TokenWindowSource([1, 2, 3], { batchSize: 1, contextLength: 4 })).toThrow(
      'a window needs contextLength + 1 = 5 tokens, got 3 tokens',
    );
    expect(() => new TokenWindowSource([1, -2, 3], { batchSize: 1, contextLength: 1 })).toThrow(
      'tokens[1] must be a non-negative integer id, got -2',
    );
    expect(
      () =>
        new TokenWindowSource(tokens, {
          batchSize: 1,
          contextLength: 4,
          context_length: 4,
        } as never),
    ).toThrow("unknown option 'context_length' (did you mean 'contextLength'?)");
    const state = new TokenWindowSource(tokens, { batchSize: 2, contextLength: 4 }).state();
    const other = new TokenWindowSource(tokens, { batchSize: 2, contextLength: 6 });
    expect(() => other.setState(state)).toThrow(
      'TokenWindowSource.setState: the state is for contextLength 4, this source has 6',
    );
    expect(() => other.setState({ index: 3 })).toThrow(
      "expected format 'oellm-token-window-source'",
    );
  });
});
