/**
 * Exact resume across a crash. test/trainer-run.mjs (a user's script against the built
 * packages) trains a GPT-2 with dropout and gradient accumulation, checkpointing every 6 steps.
 * One run is killed with SIGKILL at a random step between two checkpoints and resumed from
 * latestCheckpoint; another runs uninterrupted. Both logs must agree step for step with ===,
 * and the final weights and optimizer state byte for byte (same backend and thread count:
 * the children inherit this environment).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@openeurollm/nn/node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOptimizerState } from '../src/node.js';
import type { EvalLogRecord, LogRecord, TrainLogRecord } from '../src/trainer.js';
import { latestCheckpoint, listCheckpoints, readCheckpoint } from '../src/trainer-checkpoint.js';
import { removeTempDirs, tempDir } from './trainer-helpers.js';

const script = join(dirname(fileURLToPath(import.meta.url)), 'trainer-run.mjs');
// as in trainer-run.mjs
const MAX_STEPS = 40;
const CHECKPOINT_EVERY = 6;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the script; with killAtStep, sends SIGKILL as soon as it prints that step. */
function run(outDir: string, mode: 'fresh' | 'resume', pauseMs = 0, killAtStep?: number) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(process.execPath, [script, outDir, mode, String(pauseMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (killAtStep !== undefined && stdout.includes(`step ${killAtStep} `)) {
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function metrics(outDir: string): { train: TrainLogRecord[]; evals: EvalLogRecord[] } {
  const records: LogRecord[] = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  return {
    train: records.filter((r): r is TrainLogRecord => 'loss' in r),
    evals: records.filter((r): r is EvalLogRecord => 'evalLoss' in r),
  };
}

afterAll(removeTempDirs);

describe('Trainer resume after SIGKILL', () => {
  it('repeats the uninterrupted run exactly: every loss, lr, grad norm, eval loss and weight', async () => {
    // a step strictly between two checkpoints, after the first one
    const killAt =
      CHECKPOINT_EVERY * (1 + Math.floor(Math.random() * 3)) +
      1 +
      Math.floor(Math.random() * (CHECKPOINT_EVERY - 1));
    const why = `killed at step ${killAt}`;
    const refDir = tempDir();
    const outDir = tempDir();
    // the pause makes the kill land within a step or two of killAt
    const [ref, killed] = await Promise.all([
      run(refDir, 'fresh'),
      run(outDir, 'fresh', 40, killAt),
    ]);
    expect(ref.code, ref.stderr).toBe(0);
    expect(killed.signal, `${why}: ${killed.stderr}`).toBe('SIGKILL');
    const lastLogged = metrics(outDir).train.at(-1)?.step ?? 0;
    expect(lastLogged, why).toBeGreaterThanOrEqual(killAt);
    expect(lastLogged, why).toBeLessThan(MAX_STEPS);

    // every checkpoint left by the kill is complete and loads
    const root = join(outDir, 'checkpoints');
    const complete = listCheckpoints(outDir);
    expect(complete.length, why).toBeGreaterThan(0);
    expect(
      readdirSync(root).filter((n) => !n.startsWith('.')),
      why,
    ).toEqual(complete.map((c) => c.dir.slice(root.length + 1)));
    for (const { step, dir } of complete) {
      expect(step % CHECKPOINT_EVERY, dir).toBe(0);
      expect(step, dir).toBeLessThanOrEqual(lastLogged);
      const ckpt = readCheckpoint(dir);
      expect(ckpt.state.step).toBe(step);
      expect(ckpt.state.scheduler.lastStep).toBe(step);
      expect(ckpt.state.config).toMatchObject({ gradAccumulation: 2, checkpointEvery: 6 });
      expect(ckpt.config.resid_pdrop).toBe(0.1);
      expect(loadModel(dir).config.nLayers).toBe(2);
      expect(loadOptimizerState(join(dir, 'optimizer.safetensors')).meta.optimizer).toBe('AdamW');
    }
    const newest = complete.at(-1) as { step: number; dir: string };
    // a temporary folder of a write cut short, complete inside, is never taken for a checkpoint
    const tmp = join(root, '.step-00000099.tmp-4242-kx3-a1b2c3');
    cpSync(newest.dir, tmp, { recursive: true });
    expect(latestCheckpoint(outDir)).toBe(newest.dir);

    const resumed = await run(outDir, 'resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout.split('\n')[0]).toBe(`resume ${newest.dir}`);
    expect(resumed.stdout).toContain(`step ${newest.step + 1} `);
    expect(resumed.stdout).not.toContain(`step ${newest.step} `);
    expect(existsSync(tmp)).toBe(false);

    const a = metrics(refDir);
    const b = metrics(outDir);
    const steps = Array.from({ length: MAX_STEPS }, (_, i) => i + 1);
    expect(a.train.map((r) => r.step)).toEqual(steps);
    expect(
      b.train.map((r) => r.step),
      `${why}: no step twice, none missing`,
    ).toEqual(steps);
    for (let i = 0; i < MAX_STEPS; i++) {
      const [x, y] = [b.train[i], a.train[i]];
      const at = `${why}, resumed at ${newest.step}: step ${i + 1}`;
      expect(x.loss === y.loss, `${at}: loss ${x.loss} vs ${y.loss}`).toBe(true);
      expect(x.lr === y.lr, `${at}: lr`).toBe(true);
      expect(x.gradNorm === y.gradNorm, `${at}: gradNorm`).toBe(true);
      expect(x.tokens === y.tokens, `${at}: tokens`).toBe(true);
    }
    expect(b.evals, why).toEqual(a.evals);
    expect(a.evals.map((r) => r.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);

    // the end states agree byte for byte; keepCheckpoints 3 holds in both runs
    const final = (d: string) => join(d, 'checkpoints', 'step-00000040');
    for (const file of ['model.safetensors', 'optimizer.safetensors']) {
      expect(
        Buffer.compare(
          readFileSync(join(final(outDir), file)),
          readFileSync(join(final(refDir), file)),
        ),
        `${why}: ${file}`,
      ).toBe(0);
    }
    expect(listCheckpoints(outDir).map((c) => c.step)).toEqual([30, 36, 40]);
    expect(listCheckpoints(refDir).map((c) => c.step)).toEqual([30, 36, 40]);
    const sa = readCheckpoint(final(outDir)).state;
    const sb = readCheckpoint(final(refDir)).state;
    expect(sa.provenance.backend, 'both runs on one backend and thread count').toEqual(
      sb.provenance.backend,
    );
    for (const key of [
      'rng',
      'data',
      'evalData',
      'scheduler',
      'tokensSeen',
      'bestEvalLoss',
    ] as const) {
      expect(sa[key], `${why}: trainer_state ${key}`).toEqual(sb[key]);
    }
  });
});
