/** Running the built `oellm` (dist/cli.js) as users do: a child process in a temp folder. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(PKG_DIR, 'dist', 'cli.js');

if (!existsSync(CLI))
  throw new Error(`${CLI} is missing: build the package first (npm run build -w @openeurollm/cli)`);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Separate writes to stdout, in order (to see streaming). */
  chunks: string[];
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Called with the child once it runs (to signal it). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Runs `node dist/cli.js ...args`; resolves when it exits. */
export function runCli(args: string[], o: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: undefined,
      FORCE_COLOR: undefined,
      ...o.env,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: o.cwd,
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    const err: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`oellm ${args.join(' ')} timed out; stderr:\n${err.join('')}`));
    }, o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.join(''), stderr: err.join(''), chunks: out });
    });
    if (o.input !== undefined) child.stdin.end(o.input);
    else child.stdin.end();
    o.onSpawn?.(child);
  });
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'oellm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A seconds-long run config (3 languages, a 1-layer model). */
export const TINY_CONFIG = `name: tiny
seed: 0
data:
  languages: [en, de, fr]
  validation: 0.1
  stages: { nearDedup: false }
tokenizer:
  vocabSize: 512
model:
  contextLength: 32
  dModel: 32
  nLayers: 1
  nHeads: 2
training:
  steps: 20
  batchSize: 4
  lr: 0.005
  warmupSteps: 2
  evalEvery: 10
  evalBatches: 2
  checkpointEvery: 10
`;

/** Writes the tiny config into `dir` and returns its path. */
export function writeTinyConfig(dir: string, text = TINY_CONFIG, name = 'tiny.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
