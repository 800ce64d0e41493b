/**
 * `npm run bench -- eval`: scoring throughput of @openeurollm/eval, in scored tokens per second:
 * `perplexity()` end to end (windows, batching, forward, cross-entropy) on real text of the 24
 * languages (shared/corpus/eu24, UTF-8 bytes as token ids), a GPT-2 of vocab 8192, ctx 256,
 * d 256, 4 layers, 4 heads (random weights: speed does not depend on them), batch 8, fp32.
 * Ours on the native backend at 1 and 2 threads (and on js), against PyTorch (eager, no grad)
 * running the same model through packages/nn/scripts/torch_reference.py on the same windows;
 * the total negative log-likelihoods of the two are compared before anything is timed.
 *
 * Alone: `npx tsx bench/eval.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { perplexity, slidingWindows } from '@openeurollm/eval';
import { CausalLM, saveModel } from '@openeurollm/nn/node';
import { getNumThreads, manualSeed, setNumThreads, withBackend } from '@openeurollm/tensor';
import { printTable } from './util.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(BENCH_DIR, '..');
const CORPUS_DIRS = [
  path.join(ROOT, '..', 'shared', 'corpus', 'eu24'),
  path.join(ROOT, 'shared', 'corpus', 'eu24'),
];
const REFERENCE = path.join(ROOT, 'packages', 'nn', 'scripts');
const PYTHON = '/usr/bin/python3';
const LANGS = 'bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv'.split(' ');
const CONFIG = {
  arch: 'gpt2' as const,
  vocabSize: 8192,
  contextLength: 256,
  dModel: 256,
  nLayers: 4,
  nHeads: 4,
  bosTokenId: 0,
};
const BATCH = 8;

/** UTF-8 bytes as token ids: throughput depends on token counts, not on which tokens. */
const bytesTokenizer = { encode: (t: string) => ({ ids: [...new TextEncoder().encode(t)] }) };

function corpusTexts(bytesPerLang: number): Record<string, string[]> {
  const dir = CORPUS_DIRS.find((d) => existsSync(path.join(d, 'en.jsonl')));
  if (!dir) throw new Error(`bench eval: corpus not found in ${CORPUS_DIRS.join(' or ')}`);
  const out: Record<string, string[]> = {};
  for (const lang of LANGS) {
    const docs = readFileSync(path.join(dir, `${lang}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { text: string });
    const texts: string[] = [];
    let n = 0;
    for (const d of docs) {
      if (n >= bytesPerLang) break;
      texts.push(d.text);
      n += new TextEncoder().encode(d.text).length;
    }
    out[lang] = texts;
  }
  return out;
}

interface Run {
  tokensPerS: number;
  forwardTokensPerS: number;
  nll: number;
  tokens: number;
}

async function ours(
  model: CausalLM,
  texts: Record<string, string[]>,
  stride: number,
): Promise<Run> {
  await perplexity(
    model,
    bytesTokenizer,
    { en: texts.en[0].slice(0, 2000) },
    { stride, batchSize: BATCH },
  ); // warm-up
  const t0 = performance.now();
  const r = await perplexity(model, bytesTokenizer, texts, { stride, batchSize: BATCH });
  const s = (performance.now() - t0) / 1000;
  return {
    tokensPerS: r.all.tokens / s,
    forwardTokensPerS: r.stats.forwardTokens / s,
    nll: r.all.nll,
    tokens: r.all.tokens,
  };
}

const TORCH_SCRIPT = `
import json, sys, time, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[1])
import torch_reference as ref
modeldir, windows, threads, batch = sys.argv[2], json.load(open(sys.argv[3])), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
cfg = ref.load_config(modeldir)
p = ref.check_params(cfg, ref.load_state_dict(modeldir), modeldir)
order = sorted(range(len(windows)), key=lambda i: (-len(windows[i]["tokens"]), i))
def run():
    nll, ntok = 0.0, 0
    with torch.no_grad():
        for at in range(0, len(order), batch):
            b = [windows[i] for i in order[at:at + batch]]
            T = len(b[0]["tokens"]) - 1
            ids = torch.zeros(len(b), T, dtype=torch.int64)
            tgt = torch.full((len(b), T), -100, dtype=torch.int64)
            for r, w in enumerate(b):
                n = len(w["tokens"]) - 1
                ids[r, :n] = torch.tensor(w["tokens"][:n])
                tgt[r, n - w["scored"]:n] = torch.tensor(w["tokens"][n - w["scored"] + 1:n + 1])
                ntok += w["scored"]
            logits = ref.gpt2_forward(p, cfg, ids)
            nll += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100, reduction="sum"))
    return nll, ntok
run()
t0 = time.perf_counter(); nll, ntok = run(); s = time.perf_counter() - t0
print(json.dumps({"tokens_per_s": ntok / s, "nll": nll, "tokens": ntok, "torch": torch.__version__}))
`;

function torchRun(
  modelDir: string,
  windowsFile: string,
  threads: number,
): { run?: Run & { version: string }; missing?: string } {
  if (!existsSync(PYTHON))
    return {
      missing: `PyTorch anchor skipped: ${PYTHON} not found (apt-get install python3-torch)`,
    };
  const env = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
  const r = spawnSync(
    PYTHON,
    ['-c', TORCH_SCRIPT, REFERENCE, modelDir, windowsFile, String(threads), String(BATCH)],
    {
      encoding: 'utf8',
      env,
      timeout: 600_000,
    },
  );
  if (r.status !== 0) {
    return {
      missing: /No module named ['"]?torch/.test(r.stderr)
        ? 'PyTorch anchor skipped: python3-torch not installed (apt-get install python3-torch)'
        : `PyTorch anchor failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`,
    };
  }
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  return {
    run: {
      tokensPerS: j.tokens_per_s,
      forwardTokensPerS: Number.NaN,
      nll: j.nll,
      tokens: j.tokens,
      version: j.torch,
    },
  };
}

export async function benchEval(bytesPerLang = 1200): Promise<void> {
  const texts = corpusTexts(bytesPerLang);
  const ctx = CONFIG.contextLength;
  const rows: string[][] = [];
  const notes: string[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'oellm-bench-eval-'));
  try {
    manualSeed(0);
    const model = withBackend('native', () => new CausalLM(CONFIG));
    model.eval();
    saveModel(model, path.join(dir, 'model'));
    // the windows ours scores (stride = ctx), for PyTorch to score the same way
    const windows = Object.values(texts)
      .flat()
      .flatMap((t) => slidingWindows(bytesTokenizer.encode(t).ids, CONFIG.bosTokenId, ctx, ctx));
    writeFileSync(path.join(dir, 'windows.json'), JSON.stringify(windows));
    const fmtRel = (a: number, b: number) =>
      (Number.isFinite(b) ? Math.abs(a - b) / Math.abs(b) : Number.NaN).toExponential(1);
    const startThreads = getNumThreads();
    let check: Run | null = null;
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const full = await ours(model, texts, ctx);
      const half = await ours(model, texts, ctx / 2);
      const t = torchRun(path.join(dir, 'model'), path.join(dir, 'windows.json'), threads);
      if (t.missing && threads === 1) notes.push(t.missing);
      check ??= full;
      rows.push([
        String(threads),
        full.tokensPerS.toFixed(0),
        half.tokensPerS.toFixed(0),
        t.run ? t.run.tokensPerS.toFixed(0) : 'n/a',
        t.run ? (full.tokensPerS / t.run.tokensPerS).toFixed(2) : 'n/a',
        t.run ? fmtRel(full.nll, t.run.nll) : 'n/a',
      ]);
      if (t.run && t.run.tokens !== full.tokens && threads === 1) {
        notes.push(`token counts differ: ours ${full.tokens}, PyTorch ${t.run.tokens}`);
      }
      if (t.run && threads === 1)
        notes.push(`PyTorch ${t.run.version}, eager, no grad, torch_reference.gpt2_forward`);
    }
    setNumThreads(startThreads);
    const js = await withBackend('js', async () => {
      manualSeed(0);
      const m = new CausalLM(CONFIG);
      m.eval();
      const small = { en: texts.en };
      const t0 = performance.now();
      const r = await perplexity(m, bytesTokenizer, small, { batchSize: BATCH });
      return r.all.tokens / ((performance.now() - t0) / 1000);
    });
    printTable(
      `Scoring throughput, scored tokens/s: perplexity() on ${check?.tokens ?? '?'} tokens of the 24-language corpus, GPT-2 vocab 8192, ctx 256, d 256, 4 layers, batch ${BATCH}, fp32 (native backend)`,
      [
        'threads',
        'ours stride 256',
        'ours stride 128',
        'PyTorch stride 256',
        'ours/PyTorch',
        'NLL rel. diff',
      ],
      rows,
    );
    console.log(`\njs backend (English only): ${js.toFixed(0)} scored tokens/s`);
    for (const n of notes) console.log(`note: ${n}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) await benchEval();
