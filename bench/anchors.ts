/**
 * External anchors for `npm run bench`: OpenBLAS sgemm (C harness in bench/anchors/) and the
 * PyTorch GPT training step (bench/anchors/gpt_step_torch.py). Each returns `{ missing }` with
 * the reason and the command that fixes it when the toolchain or library is absent, so a bench
 * run without them still prints our own figures.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ANCHOR_DIR = path.join(BENCH_DIR, 'anchors');
const CACHE_DIR = path.join(BENCH_DIR, '..', 'node_modules', '.cache', 'oellm-bench');
const PYTHON = '/usr/bin/python3';
const APT_OPENBLAS = 'sudo apt-get install -y build-essential libopenblas-dev';
const APT_TORCH = 'sudo apt-get install -y python3-torch';

export interface SgemmRow {
  m: number;
  k: number;
  n: number;
  threads: number;
  gflops: number;
}

export interface TorchGptResult {
  tokensPerS: number;
  stepMs: number;
  /** MiB (ru_maxrss KiB / 1024). */
  peakRssMb: number;
  threads: number;
  torchVersion: string;
  lossFirst: number;
  lossLast: number;
  params: number;
  /** 'sdpa' (F.scaled_dot_product_attention) or 'math' (composed, torch < 2.0). */
  attention: string;
}

function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function parseJsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

let sgemmBinary: { path?: string; missing?: string } | null = null;

/** Compiles the harness once per source version into the cache folder. */
function buildSgemm(): { path?: string; missing?: string } {
  if (sgemmBinary) return sgemmBinary;
  const src = path.join(ANCHOR_DIR, 'sgemm_openblas.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const exe = path.join(CACHE_DIR, `sgemm_openblas-${hash}`);
  if (existsSync(exe)) {
    sgemmBinary = { path: exe };
    return sgemmBinary;
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${exe}.tmp-${process.pid}`;
  const cc = spawnSync('cc', ['-O2', '-o', tmp, src, '-lopenblas'], { encoding: 'utf8' });
  if (cc.error) {
    const why =
      (cc.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no C compiler (cc) on PATH'
        : `cc failed to start: ${cc.error.message}`;
    sgemmBinary = { missing: `OpenBLAS anchor skipped: ${why}; install with: ${APT_OPENBLAS}` };
    return sgemmBinary;
  }
  if (cc.status !== 0) {
    const err = `${cc.stderr}${cc.stdout}`;
    const noLib = /cblas\.h|-lopenblas|openblas/i.test(err);
    const why = noLib
      ? 'OpenBLAS headers or library not found (libopenblas-dev)'
      : 'compiling the sgemm harness failed';
    sgemmBinary = {
      missing: `OpenBLAS anchor skipped: ${why}; install with: ${APT_OPENBLAS}\n${tail(err)}`,
    };
    return sgemmBinary;
  }
  renameSync(tmp, exe);
  sgemmBinary = { path: exe };
  return sgemmBinary;
}

/**
 * GFLOP/s of OpenBLAS `cblas_sgemm` (row-major, no transposes) for each [m, k, n]: best of
 * repeated runs, about one second per shape, on `threads` threads.
 */
export function openblasSgemm(
  shapes: [number, number, number][],
  threads: number,
): { rows?: SgemmRow[]; missing?: string } {
  const bin = buildSgemm();
  if (!bin.path) return { missing: bin.missing };
  const args = [String(threads), ...shapes.map(([m, k, n]) => `${m}x${k}x${n}`)];
  const run = spawnSync(bin.path, args, {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
    timeout: 600_000,
  });
  if (run.error || run.status !== 0) {
    return {
      missing: `OpenBLAS anchor failed (${run.error?.message ?? `exit ${run.status}`}): ${tail(run.stderr ?? '')}`,
    };
  }
  return { rows: parseJsonLines(run.stdout) as SgemmRow[] };
}

/**
 * The PyTorch reference GPT training step on `threads` threads, median of `steps` steps after 2
 * warm-up steps. Runs /usr/bin/python3 (Debian's python3-torch).
 */
export function torchGptStep(
  threads: number,
  steps: number,
): { result?: TorchGptResult; missing?: string } {
  if (!existsSync(PYTHON)) {
    return { missing: `PyTorch anchor skipped: ${PYTHON} not found; install with: ${APT_TORCH}` };
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (threads >= 2) {
    env.OMP_WAIT_POLICY = 'PASSIVE';
  } else {
    env.OPENBLAS_NUM_THREADS = '1';
    env.OMP_NUM_THREADS = '1';
  }
  const script = path.join(ANCHOR_DIR, 'gpt_step_torch.py');
  const run = spawnSync(PYTHON, [script, '--threads', String(threads), '--steps', String(steps)], {
    encoding: 'utf8',
    env,
    timeout: 600_000,
  });
  if (run.error) {
    return { missing: `PyTorch anchor failed to start: ${run.error.message}` };
  }
  if (run.status !== 0) {
    if (/No module named ['"]?torch/.test(run.stderr)) {
      return {
        missing: `PyTorch anchor skipped: python3-torch not installed; install with: ${APT_TORCH}`,
      };
    }
    return { missing: `PyTorch anchor failed (exit ${run.status}): ${tail(run.stderr)}` };
  }
  const [j] = parseJsonLines(run.stdout) as Record<string, number | string>[];
  if (!j) return { missing: `PyTorch anchor printed no result: ${tail(run.stdout)}` };
  return {
    result: {
      tokensPerS: j.tokens_per_s as number,
      stepMs: j.step_ms as number,
      peakRssMb: j.peak_rss_mb as number,
      threads: j.threads as number,
      torchVersion: j.torch_version as string,
      lossFirst: j.loss_first as number,
      lossLast: j.loss_last as number,
      params: j.params as number,
      attention: j.attention as string,
    },
  };
}
