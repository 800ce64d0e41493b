/**
 * A small training run for the resume test, run as a child process against the BUILT packages
 * (dist/, through their exports maps), as a user's script would be:
 *
 *   node test/trainer-run.mjs <outDir> fresh|resume [pauseMs]
 *
 * A GPT-2 with dropout 0.1 trains on a character-level corpus with gradient accumulation 2,
 * clipping, a cosine schedule, a held-out TokenWindowSource and a checkpoint every 6 steps.
 * `fresh` starts the run; `resume` continues it from latestCheckpoint(outDir). Each step prints
 * `step <n> <loss>`; pauseMs (default 0) sleeps after each step so that a kill can land
 * between two checkpoints.
 */
import { readFileSync } from 'node:fs';
import { CausalLM } from '@openeurollm/nn';
import { cosineSchedule, latestCheckpoint, TokenWindowSource, Trainer } from '@openeurollm/optim';
import { manualSeed } from '@openeurollm/tensor';

const MAX_STEPS = 40;
const CHECKPOINT_EVERY = 6;

const [outDir, mode, pause = '0'] = process.argv.slice(2);
if (!outDir || (mode !== 'fresh' && mode !== 'resume')) {
  console.error('usage: node trainer-run.mjs <outDir> fresh|resume [pauseMs]');
  process.exit(2);
}
if (typeof Trainer !== 'function') {
  console.error('@openeurollm/optim has no Trainer export: run npm run build in packages/optim');
  process.exit(2);
}
const pauseMs = Number(pause);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const text = readFileSync(new URL('./fixtures/tiny-corpus.txt', import.meta.url), 'utf8');
const chars = [...new Set(text)].sort();
const ids = Array.from(text, (c) => chars.indexOf(c));
const split = Math.floor(ids.length * 0.9);

// the same initial weights in every process (a resumed run overwrites them anyway)
manualSeed(1234);
const model = new CausalLM({
  arch: 'gpt2',
  vocabSize: chars.length,
  contextLength: 16,
  dModel: 32,
  nLayers: 2,
  nHeads: 2,
  dropout: 0.1,
});
const options = {
  model,
  data: new TokenWindowSource(ids.slice(0, split), { batchSize: 4, contextLength: 16, seed: 7 }),
  evalData: new TokenWindowSource(ids.slice(split), { batchSize: 4, contextLength: 16, seed: 8 }),
  evalEvery: 5,
  evalBatches: 2,
  lr: 3e-3,
  schedule: cosineSchedule({ warmupSteps: 5, totalSteps: MAX_STEPS, minLrRatio: 0.1 }),
  maxSteps: MAX_STEPS,
  gradAccumulation: 2,
  maxGradNorm: 1,
  checkpointEvery: CHECKPOINT_EVERY,
  keepCheckpoints: 3,
  outDir,
  seed: 99,
  onLog: (record) => {
    if (!('loss' in record)) return;
    console.log(`step ${record.step} ${record.loss}`);
    if (pauseMs > 0) Atomics.wait(sleeper, 0, 0, pauseMs);
  },
};

let trainer;
if (mode === 'fresh') {
  trainer = new Trainer(options);
} else {
  const dir = latestCheckpoint(outDir);
  if (dir === null) {
    console.error(`no checkpoint in ${outDir}`);
    process.exit(1);
  }
  console.log(`resume ${dir}`);
  trainer = Trainer.resume(dir, options);
}
const summary = await trainer.train();
console.log(`done ${summary.steps}`);
