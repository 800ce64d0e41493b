/**
 * Training on the gpu backend follows the js backend: a tiny GPT built from tensor ops (the
 * CausalLM of @openeurollm/nn gets the same check through `trainLosses`) trains for 50 AdamW
 * steps on both, from the same seed, and every step's loss agrees to 1e-3.
 */
import { expect, it } from 'vitest';
import { gpuAvailable, itLoadsWhereRequired } from './gpu-setup.js';
import { tinyGpt, trainLosses } from './tiny-gpt.js';

itLoadsWhereRequired('gpu-training.test.ts');

it.skipIf(!gpuAvailable)(
  'a tiny GPT trains on gpu for 50 steps with losses matching js to 1e-3',
  async () => {
    const js = await trainLosses('js', () => tinyGpt(), { steps: 50 });
    const gpu = await trainLosses('gpu', () => tinyGpt(), { steps: 50 });
    expect(gpu).toHaveLength(50);
    const worst = Math.max(...gpu.map((l, i) => Math.abs(l - js[i])));
    console.info(
      `gpu-training: loss ${js[0].toFixed(4)} -> ${js[49].toFixed(4)} on js; largest gap to gpu ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThanOrEqual(1e-3);
    expect(js[49]).toBeLessThan(js[0] / 2); // it did learn the batch
  },
  300_000,
);
