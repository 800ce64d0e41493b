/** `oellm train`: the run folder, refusing to overwrite, Ctrl-C with a readable checkpoint, --resume. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@openeurollm/nn';
import { readCheckpoint } from '@openeurollm/optim';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli, tempDir, writeTinyConfig } from './helpers.js';

function trainLosses(runDir: string): { step: number; loss: number }[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => 'loss' in r);
}

describe('oellm train', () => {
  const dir = tempDir();
  writeTinyConfig(dir);

  it('trains from a config into runs/<name>/ with config, ledger, metrics, checkpoints and the model', async () => {
    const r = await runCli(['train', 'tiny.yaml', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.steps).toBe(20);
    expect(j.loss).toBeLessThan(Math.log(512));
    const run = join(dir, 'runs', 'tiny');
    const config = parseYaml(readFileSync(join(run, 'config.yaml'), 'utf8'));
    expect(config.training.schedule).toBe('cosine'); // defaults written out
    expect(existsSync(join(run, 'tokenizer', 'tokenizer.json'))).toBe(true);
    expect(existsSync(join(run, 'data', 'corpus.train.bin'))).toBe(true);
    expect(existsSync(join(run, 'data', 'corpus.ledger.jsonl'))).toBe(true);
    expect(trainLosses(run).map((x) => x.step)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(readdirSync(join(run, 'checkpoints'))).toEqual(['step-00000010', 'step-00000020']);
    const model = loadModel(join(run, 'model'));
    expect(model.config.vocabSize).toBe(512);
    const status = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect(status.state).toBe('trained');
    expect(status.seconds.train).toBeGreaterThan(0);
    // progress went to stderr as plain lines (not a TTY), the result to stdout
    expect(r.stderr).toMatch(/train\s+100%\s+20\/20 steps/);
    expect(r.stderr).not.toContain('\r');
  });

  it('refuses to start over an existing run (exit 2) and says how to resume', async () => {
    const r = await runCli(['train', 'tiny.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("run folder 'runs/tiny' already holds a run");
    expect(r.stderr).toContain('--resume');
  });

  it('refuses to resume with another model or data', async () => {
    const r = await runCli(['train', 'tiny.yaml', '--resume', '--set', 'model.dModel=64'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'model' of the config differs");
  });

  it('Ctrl-C stops between steps with a readable checkpoint; --resume continues to the same losses as an uninterrupted run', async () => {
    const steps = 240;
    const straight = await runCli(
      ['train', 'tiny.yaml', '--name', 'straight', '--steps', String(steps), '-q'],
      { cwd: dir },
    );
    expect(straight.code, straight.stderr).toBe(0);

    const run = join(dir, 'runs', 'cut');
    const metrics = join(run, 'metrics.jsonl');
    const cut = await runCli(['train', 'tiny.yaml', '--name', 'cut', '--steps', String(steps)], {
      cwd: dir,
      onSpawn: (child) => {
        // interrupt once training is under way (a few steps in metrics.jsonl)
        const timer = setInterval(() => {
          if (
            existsSync(metrics) &&
            statSync(metrics).size > 0 &&
            readFileSync(metrics, 'utf8').split('\n').length > 12
          ) {
            clearInterval(timer);
            child.kill('SIGINT');
          }
        }, 20);
        child.on('exit', () => clearInterval(timer));
      },
    });
    expect(cut.code, cut.stderr).toBe(130);
    expect(cut.stderr).toMatch(/SIGINT: stopping training after the current step/);
    const m = cut.stderr.match(
      /training stopped at step (\d+) of 240; checkpoint written to (\S+)/,
    );
    expect(m, cut.stderr).not.toBeNull();
    const stoppedAt = Number(m![1]);
    expect(stoppedAt).toBeGreaterThan(10);
    expect(stoppedAt).toBeLessThan(steps);
    expect(cut.stderr).toContain('oellm train --resume runs/cut');
    // the checkpoint is complete and readable
    const ckpt = readCheckpoint(join(dir, m![2]));
    expect(ckpt.state.step).toBe(stoppedAt);
    expect(loadModel(join(dir, m![2])).config.dModel).toBe(32);
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).state).toBe('interrupted');

    const resumed = await runCli(['train', '--resume', 'runs/cut', '--json'], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `resuming from runs/cut/checkpoints/step-${String(stoppedAt).padStart(8, '0')}`,
    );
    expect(JSON.parse(resumed.stdout).steps).toBe(steps);
    const a = trainLosses(join(dir, 'runs', 'straight'));
    const b = trainLosses(run);
    expect(b.map((x) => x.step)).toEqual(a.map((x) => x.step)); // no step twice, none missing
    expect(b.map((x) => x.loss)).toEqual(a.map((x) => x.loss)); // same batches, same weights
  });

  it('--resume of a folder that is not a run exits 2', async () => {
    const r = await runCli(['train', '--resume', 'runs/none'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'runs/none' is not a run folder");
  });

  it('reports a run config whose data is too small for one batch (exit 2)', async () => {
    const r = await runCli(
      [
        'train',
        'tiny.yaml',
        '--name',
        'huge',
        '--set',
        'model.contextLength=100000',
        '--set',
        'training.batchSize=64',
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fewer than one batch');
  });
});
