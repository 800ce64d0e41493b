/**
 * One training step (forward + backward + AdamW) of the reference GPT, tokens/s and peak RSS,
 * ours (native backend) against PyTorch on the identical model and batch, at 1 and 2 threads.
 * Each side runs in its own process with the thread count set before start.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torchGptStep } from './anchors.js';
import type { GptStepResult } from './gpt-step.js';
import { printTable } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));

function ours(
  threads: number,
  steps: number,
  backend: string,
  impl: 'ops' | 'causallm',
): GptStepResult | string {
  try {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, 'gpt-child.ts'),
        '--steps',
        String(steps),
        '--backend',
        backend,
        '--impl',
        impl,
      ],
      {
        env: { ...process.env, OELLM_NUM_THREADS: String(threads) },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return JSON.parse(out.trim().split('\n').at(-1)!) as GptStepResult;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

export function benchGpt(steps = 5): void {
  const rows: string[][] = [];
  const notes: string[] = [];
  const fmt = (r: GptStepResult | null, f: (r: GptStepResult) => string) => (r ? f(r) : 'n/a');
  for (const threads of [1, 2]) {
    const t = torchGptStep(threads, steps);
    if (t.missing) notes.push(`PyTorch: ${t.missing}`);
    const tr = t.result ?? null;
    for (const impl of ['causallm', 'ops'] as const) {
      const o = ours(threads, steps, 'native', impl);
      if (typeof o === 'string') notes.push(`ours (${impl}, ${threads} thread): ${o}`);
      const oo = typeof o === 'string' ? null : o;
      rows.push([
        String(threads),
        impl === 'causallm' ? 'CausalLM + AdamW' : 'tensor ops + adamwUpdate',
        fmt(oo, (r) => r.tokensPerS.toFixed(0)),
        fmt(tr, (r) => r.tokensPerS.toFixed(0)),
        oo && tr ? (oo.tokensPerS / tr.tokensPerS).toFixed(2) : 'n/a',
        fmt(oo, (r) => r.peakRssMb.toFixed(0)),
        fmt(tr, (r) => r.peakRssMb.toFixed(0)),
        fmt(oo, (r) => `${r.lossFirst.toFixed(3)} -> ${r.lossLast.toFixed(3)}`),
        fmt(tr, (r) => `${r.lossFirst.toFixed(3)} -> ${r.lossLast.toFixed(3)}`),
      ]);
    }
  }
  printTable(
    `GPT training step (vocab 8192, ctx 128, d 256, 4 layers, 4 heads, batch 8, AdamW, fp32), median of ${steps} steps after 2 warm-up`,
    [
      'threads',
      'ours',
      'ours tok/s',
      'PyTorch tok/s',
      'ours/PyTorch',
      'ours RSS MiB',
      'PyTorch RSS MiB',
      'ours loss',
      'PyTorch loss',
    ],
    rows,
  );
  for (const n of notes) console.log(n);
}
