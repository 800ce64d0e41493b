/**
 * The gpu backend (gpu.js) next to native and js on this machine: matmul GFLOP/s and one
 * training step (forward, backward, AdamW) of a small GPT built from tensor ops, on every gpu.js
 * mode that opens here (headlessgl needs a display: on Linux this suite re-runs itself under
 * `xvfb-run -a` when DISPLAY is unset). `npm run bench -- gpu`, or `npx tsx bench/gpu.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  adamwUpdate,
  arange,
  crossEntropy,
  embedding,
  gelu,
  getBackend,
  layerNorm,
  manualSeed,
  noGrad,
  ones,
  randint,
  randn,
  scaledDotProductAttention,
  setBackend,
  type Tensor,
  zeros,
  zerosLike,
} from '@openeurollm/tensor';
import { registerGpuBackend } from '@openeurollm/tensor/gpu';
import { printTable, time } from './util.js';

const SHAPES: [number, number, number][] = [
  [256, 256, 256],
  [512, 512, 512],
  [1024, 256, 1024],
];

/** A small GPT-2 style model: big enough to time, small enough for a software GL renderer. */
export const GPU_BENCH_GPT = {
  vocab: 512,
  context: 64,
  dModel: 128,
  nLayers: 2,
  nHeads: 4,
  batch: 4,
};

const STEPS = 3;
const WARMUP = 2;

/** Backends to time, in order; gpu once per mode that opens. */
function targets(): { label: string; use: () => void }[] {
  const out: { label: string; use: () => void }[] = [];
  for (const name of ['native', 'js']) out.push({ label: name, use: () => setBackend(name) });
  for (const mode of ['headlessgl', 'webasm'] as const) {
    out.push({
      label: `gpu (${mode})`,
      use: () => {
        registerGpuBackend({ mode });
        setBackend('gpu');
      },
    });
  }
  return out;
}

function gptStepMs(): { ms: number; first: number; last: number } {
  const { vocab, context: T, dModel: d, nLayers, nHeads, batch: B } = GPU_BENCH_GPT;
  manualSeed(0);
  const p: Record<string, Tensor> = {};
  noGrad(() => {
    p.wte = randn([vocab, d]).mul(0.02);
    p.wpe = randn([T, d]).mul(0.02);
    for (let l = 0; l < nLayers; l++) {
      p[`${l}.ln1.w`] = ones([d]);
      p[`${l}.ln1.b`] = zeros([d]);
      p[`${l}.qkv.w`] = randn([d, 3 * d]).mul(0.02);
      p[`${l}.qkv.b`] = zeros([3 * d]);
      p[`${l}.proj.w`] = randn([d, d]).mul(0.02 / Math.sqrt(2 * nLayers));
      p[`${l}.proj.b`] = zeros([d]);
      p[`${l}.ln2.w`] = ones([d]);
      p[`${l}.ln2.b`] = zeros([d]);
      p[`${l}.fc.w`] = randn([d, 4 * d]).mul(0.02);
      p[`${l}.fc.b`] = zeros([4 * d]);
      p[`${l}.out.w`] = randn([4 * d, d]).mul(0.02 / Math.sqrt(2 * nLayers));
      p[`${l}.out.b`] = zeros([d]);
    }
    p.lnf_w = ones([d]);
    p.lnf_b = zeros([d]);
  });
  const params = Object.values(p).map((t) => t.requiresGrad_());
  const state = noGrad(() => params.map((t) => [zerosLike(t), zerosLike(t)] as const));
  const tokens = randint(0, vocab, [B, T + 1]);
  const ids = tokens.slice(1, 0, T).contiguous();
  const targetIds = tokens
    .slice(1, 1, T + 1)
    .contiguous()
    .reshape([B * T]);
  const heads = (t: Tensor) => t.reshape([B, T, nHeads, d / nHeads]).transpose(1, 2);
  const losses: number[] = [];
  const times: number[] = [];
  for (let step = 1; step <= WARMUP + STEPS; step++) {
    const t0 = performance.now();
    let x = embedding(ids, p.wte).add(embedding(arange(0, T), p.wpe));
    for (let l = 0; l < nLayers; l++) {
      const a = layerNorm(x, { weight: p[`${l}.ln1.w`], bias: p[`${l}.ln1.b`] });
      const [q, k, v] = a.matmul(p[`${l}.qkv.w`]).add(p[`${l}.qkv.b`]).split(d, -1);
      const y = scaledDotProductAttention(heads(q), heads(k), heads(v), { causal: true })
        .transpose(1, 2)
        .reshape([B, T, d]);
      x = x.add(y.matmul(p[`${l}.proj.w`]).add(p[`${l}.proj.b`]));
      const m = layerNorm(x, { weight: p[`${l}.ln2.w`], bias: p[`${l}.ln2.b`] });
      const f = gelu(m.matmul(p[`${l}.fc.w`]).add(p[`${l}.fc.b`]), { approximate: 'tanh' });
      x = x.add(f.matmul(p[`${l}.out.w`]).add(p[`${l}.out.b`]));
    }
    x = layerNorm(x, { weight: p.lnf_w, bias: p.lnf_b });
    const loss = crossEntropy(x.matmul(p.wte.transpose(0, 1)).reshape([B * T, vocab]), targetIds);
    loss.backward();
    params.forEach((t, i) => {
      const hyper = { lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, step };
      adamwUpdate(t, t.grad!, state[i][0], state[i][1], {
        ...hyper,
        weightDecay: t.ndim === 2 ? 0.1 : 0,
      });
      t.zeroGrad();
    });
    losses.push(loss.item()); // the read-back ends the step on every backend
    if (step > WARMUP) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[times.length >> 1], first: losses[0], last: losses[losses.length - 1] };
}

/** Runs the suite here (the gpu modes that open in this process). */
function runHere(): void {
  const gflops: string[][] = SHAPES.map(([m, k, n]) => [`[${m}x${k}]x[${k}x${n}]`]);
  const steps: string[][] = [];
  const header = ['shape'];
  const notes: string[] = [];
  for (const t of targets()) {
    try {
      t.use();
    } catch (e) {
      notes.push(`${t.label}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    header.push(t.label);
    SHAPES.forEach(([m, k, n], row) => {
      const a = randn([m, k]);
      const b = randn([k, n]);
      const s = time(() => noGrad(() => a.matmul(b).data()), 1.5, 2);
      gflops[row].push(((2 * m * n * k) / s / 1e9).toFixed(2));
    });
    const g = gptStepMs();
    const { batch, context } = GPU_BENCH_GPT;
    steps.push([
      t.label,
      g.ms.toFixed(0),
      ((batch * context) / (g.ms / 1000)).toFixed(0),
      `${g.first.toFixed(4)} -> ${g.last.toFixed(4)}`,
    ]);
    if (t.label.startsWith('gpu')) {
      const info = getBackend().info();
      notes.push(`${t.label}: ${info.renderer ?? info.description}; ${info.precision}`);
    }
  }
  printTable(
    'matmul, float32, through the public API with the read-back of the result, GFLOP/s (best of runs)',
    header,
    gflops,
  );
  const { vocab, context, dModel, nLayers, nHeads, batch } = GPU_BENCH_GPT;
  printTable(
    `training step of a GPT (vocab ${vocab}, context ${context}, d_model ${dModel}, ${nLayers} layers, ${nHeads} heads, batch ${batch}), median of ${STEPS} steps after ${WARMUP} warm-up`,
    ['backend', 'step ms', 'tokens/s', `loss over ${WARMUP + STEPS} steps`],
    steps,
  );
  for (const n of notes) console.log(`  ${n}`);
}

function hasXvfbRun(): boolean {
  try {
    execFileSync('xvfb-run', ['--help'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { code?: string }).code !== 'ENOENT';
  }
}

export function benchGpu(): void {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: not a turbo task; DISPLAY only says whether X runs
  const display = process.env.DISPLAY;
  if (process.platform === 'linux' && !display && hasXvfbRun()) {
    // headless GL needs an X display: run this suite again under a virtual one
    const r = spawnSync(
      'xvfb-run',
      ['-a', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) console.error(`bench gpu: xvfb-run exited with ${r.status}`);
    return;
  }
  runHere();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) runHere();
