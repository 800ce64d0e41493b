/**
 * Trainer errors: a bad option is named with what was expected and what came; a folder that is
 * not a checkpoint says what is missing and what writes one; a run is never silently mixed.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveModel } from '@openeurollm/nn/node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SGD } from '../src/sgd.js';
import { Trainer, type TrainerOptions } from '../src/trainer.js';
import { latestCheckpoint } from '../src/trainer-checkpoint.js';
import { TokenWindowSource } from '../src/trainer-data.js';
import { removeTempDirs, tempDir, tinyModel } from './trainer-helpers.js';

afterAll(removeTempDirs);

const tokens = Array.from({ length: 64 }, (_, i) => i % 16);

function base(overrides: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    model: tinyModel(),
    data: new TokenWindowSource(tokens, { batchSize: 2, contextLength: 8 }),
    maxSteps: 2,
    outDir: tempDir(),
    ...overrides,
  };
}

/** A finished two-step run; returns its outDir and newest checkpoint. */
async function finishedRun(): Promise<{ outDir: string; dir: string }> {
  const options = base();
  await new Trainer(options).train();
  return { outDir: options.outDir, dir: latestCheckpoint(options.outDir) as string };
}

describe('Trainer options', () => {
  it.each([
    [{ max_steps: 5 }, "Trainer: unknown option 'max_steps' (did you mean 'maxSteps'?)"],
    [{ maxSteps: 0 }, 'Trainer: maxSteps must be an integer >= 1, got 0'],
    [{ maxSteps: undefined }, 'Trainer: maxSteps is required (an integer >= 1)'],
    [{ gradAccumulation: 1.5 }, 'Trainer: gradAccumulation must be an integer >= 1, got 1.5'],
    [{ keepCheckpoints: 0 }, 'Trainer: keepCheckpoints must be an integer >= 1, got 0'],
    [{ checkpointEvery: -1 }, 'Trainer: checkpointEvery must be an integer >= 1, got -1'],
    [{ maxGradNorm: 0 }, 'Trainer: maxGradNorm must be a finite number > 0, got 0'],
    [{ lr: -1 }, 'Trainer: lr must be a finite number > 0, got -1'],
    [{ seed: 0.5 }, 'Trainer: seed must be an integer, got 0.5'],
    [{ outDir: '' }, "Trainer: outDir must be a folder path (a non-empty string), got ''"],
    [
      { model: {} },
      'Trainer: model must be a CausalLM from @openeurollm/nn, got an object (Object)',
    ],
    [
      { data: [[1, 2]] },
      'Trainer: data must be a BatchSource (an object with next(), state() and setState()',
    ],
    [{ evalData: 3 }, 'Trainer: evalData must be a BatchSource or a function'],
    [{ evalEvery: 5 }, 'Trainer: evalEvery is set but evalData is not'],
    [
      { schedule: 0.5 },
      'Trainer: schedule must be a function (step) => multiplier, got number 0.5',
    ],
    [{ onLog: 'log' }, "Trainer: onLog must be a function (record) => void, got 'log'"],
  ] as [Record<string, unknown>, string][])('%j', (bad, message) => {
    expect(() => new Trainer(base(bad as Partial<TrainerOptions>))).toThrow(message);
  });

  it('lr only applies to the default optimizer', () => {
    const model = tinyModel();
    expect(() => new Trainer(base({ model, optimizer: new SGD(model), lr: 0.1 }))).toThrow(
      "Trainer: lr sets the default optimizer's learning rate; with your own optimizer, set lr there",
    );
    expect(() => new Trainer(base({ optimizer: {} as never }))).toThrow(
      'Trainer: optimizer must be an Optimizer (SGD, Adam, AdamW)',
    );
  });

  it('a batch source that returns something else is named', async () => {
    const data = { next: () => [1, 2], state: () => null, setState: () => {} };
    await expect(new Trainer(base({ data: data as never })).train()).rejects.toThrow(
      'Trainer: data.next() must return { input, target } (int32 [B, T] tensors or number[][]), got an array of length 2',
    );
  });

  it('a fresh run refuses an outDir that already holds a run', async () => {
    const { outDir } = await finishedRun();
    await expect(new Trainer(base({ outDir })).train()).rejects.toThrow(
      `Trainer.train: '${outDir}' already holds a run (metrics.jsonl, 1 checkpoint(s)); continue it with Trainer.resume(latestCheckpoint(outDir), options)`,
    );
  });
});

describe('Trainer.resume from a folder that is not a checkpoint', () => {
  const remakes =
    'a checkpoint folder is written by Trainer.train() under <outDir>/checkpoints/step-NNNNNNNN every checkpointEvery steps and at the end; find the newest with latestCheckpoint(outDir)';

  it('an empty folder: every file is missing', () => {
    const dir = tempDir();
    expect(() => Trainer.resume(dir, base())).toThrow(
      `Trainer.resume: '${dir}' is not a training checkpoint: missing config.json, generation_config.json, model.safetensors, optimizer.safetensors, trainer_state.json (found nothing); ${remakes}`,
    );
  });

  it('a Hugging Face model folder: the optimizer and trainer state are missing', () => {
    const dir = join(tempDir(), 'model');
    saveModel(tinyModel(), dir);
    expect(() => Trainer.resume(dir, base())).toThrow(
      `'${dir}' is not a training checkpoint: missing optimizer.safetensors, trainer_state.json (found config.json, generation_config.json, model.safetensors); ${remakes}`,
    );
  });

  it('a folder that does not exist, and the temporary folder of an unfinished write', async () => {
    expect(() => Trainer.resume('/nonexistent/step-00000001', base())).toThrow(
      `Trainer.resume: '/nonexistent/step-00000001' is not a folder; ${remakes}`,
    );
    const { dir } = await finishedRun();
    const tmp = join(dir, '..', '.step-00000004.tmp-123-abc');
    cpSync(dir, tmp, { recursive: true });
    expect(() => Trainer.resume(tmp, base())).toThrow(
      'is the temporary folder of an unfinished checkpoint write (it was never renamed into place), not a checkpoint',
    );
  });

  it('another format version, another model, a missing tensor', async () => {
    const { dir } = await finishedRun();
    const copy = (edit: (d: string) => void) => {
      const d = join(tempDir(), 'step-00000002');
      cpSync(dir, d, { recursive: true });
      edit(d);
      return d;
    };
    const v2 = copy((d) => {
      const p = join(d, 'trainer_state.json');
      writeFileSync(
        p,
        JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), formatVersion: 2 }),
      );
    });
    expect(() => Trainer.resume(v2, base())).toThrow(
      "trainer_state.json' has format \"oellm-trainer-state\" version 2, expected 'oellm-trainer-state' version 1",
    );
    expect(() => Trainer.resume(dir, base({ model: tinyModel({ dModel: 32 }) }))).toThrow(
      'config.json describes another model: n_embd 16 (model: 32); build the model from the checkpoint',
    );
    const torn = copy((d) => writeFileSync(join(d, 'optimizer.safetensors'), 'oops'));
    expect(() => Trainer.resume(torn, base())).toThrow('optimizer.safetensors');
    const sgd = base();
    sgd.optimizer = new SGD(sgd.model, { lr: 0.1 });
    expect(() => Trainer.resume(dir, sgd)).toThrow(
      'optimizer.safetensors does not fit the optimizer',
    );
  });

  it('a checkpoint from another backend or thread count resumes, with one warning', async () => {
    const { dir } = await finishedRun();
    const d = join(tempDir(), 'step-00000002');
    cpSync(dir, d, { recursive: true });
    const p = join(d, 'trainer_state.json');
    const state = JSON.parse(readFileSync(p, 'utf8'));
    state.provenance.backend = { name: 'elsewhere', threads: 999 };
    writeFileSync(p, JSON.stringify(state));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(Trainer.resume(d, base()).step).toBe(2);
      Trainer.resume(d, base());
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toContain(
        'Trainer.resume: the checkpoint was written on the elsewhere backend with 999 thread(s)',
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('latestCheckpoint is null for a folder without checkpoints', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'checkpoints', '.step-00000001.tmp-1-x'), { recursive: true });
    expect(latestCheckpoint(dir)).toBe(null);
  });
});
