/**
 * `npm run bench -- data`: @openeurollm/data pipeline throughput (MB/s and documents/s) and
 * peak RSS, per stage and for the whole recipe with packing, on generated corpora of 50 MB and
 * 200 MB (set OELLM_BENCH_DATA_MB, e.g. "20,80", for others), to show that memory stays flat as
 * the input grows.
 *
 * The corpus: JSONL documents of 8-20 lines drawn at random from the embedded corpus's lines of
 * one language (so every document is real text in a known language and distinct), 3% exact
 * copies and 3% lightly edited copies of recent documents, and a PII item in 5%. Deterministic.
 *
 * Each measurement runs in its own process (`node --import tsx bench/data.ts --child ...`)
 * so that peak RSS is its own: the JSONL reader alone, the reader plus one stage, the whole
 * recipe, and the whole recipe packed into an indexed dataset with a 4,000-token BPE trained
 * on the embedded corpus. The ledger streams to a file, as packIndexedDataset does.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decontaminate,
  euCorpusDocuments,
  exactDedup,
  identifyLanguage,
  Ledger,
  LedgerFileSink,
  nearDedup,
  normalize,
  packIndexedDataset,
  pipeline,
  qualityFilter,
  readJsonl,
  redactPii,
  type Stage,
  splitByHash,
} from '@openeurollm/data';
import { Tokenizer, trainBpeTokenizer } from '@openeurollm/tokenizer';
import { printTable } from './util.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Deterministic 32-bit generator. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(file: string, megabytes: number): Promise<{ docs: number; bytes: number }> {
  const docs = await euCorpusDocuments({ excludeUi: true });
  const lines = new Map<string, string[]>();
  for (const d of docs) {
    const own = lines.get(d.lang) ?? [];
    for (const l of d.text.split('\n')) if (l.length >= 40) own.push(l);
    lines.set(d.lang, own);
  }
  const langs = [...lines.keys()].sort();
  const r = rng(42);
  const recent: { text: string; lang: string }[] = [];
  const out = createWriteStream(file);
  const target = megabytes * 1e6;
  let bytes = 0;
  let n = 0;
  while (bytes < target) {
    let text: string;
    let lang: string;
    const u = r();
    if (u < 0.03 && recent.length > 0) {
      ({ text, lang } = recent[Math.floor(r() * recent.length)]);
    } else if (u < 0.06 && recent.length > 0) {
      const base = recent[Math.floor(r() * recent.length)];
      lang = base.lang;
      text = base.text
        .split(' ')
        .map((w) => (r() < 0.01 ? 'edited' : w))
        .join(' ');
    } else {
      lang = langs[Math.floor(r() * langs.length)];
      const pool = lines.get(lang)!;
      const k = 8 + Math.floor(r() * 13);
      const picked: string[] = [];
      for (let i = 0; i < k; i++) picked.push(pool[Math.floor(r() * pool.length)]);
      if (r() < 0.05)
        picked.push(
          `Kontakt: user${n}@example.eu, +49 30 1234 ${String(n % 10000).padStart(4, '0')}.`,
        );
      text = picked.join('\n');
    }
    recent.push({ text, lang });
    if (recent.length > 1000) recent.shift();
    const line = `${JSON.stringify({ id: `gen-${n}`, text, lang, source: { name: `generated-${lang}`, uri: `bench:generated/${n}`, license: 'CC0-1.0' } })}\n`;
    if (!out.write(line)) await new Promise((res) => out.once('drain', res));
    bytes += Buffer.byteLength(line);
    n++;
  }
  await new Promise<void>((res) => out.end(res));
  return { docs: n, bytes };
}

/** The stages measured one at a time after the reader (names as in the ledger). */
function stagesFor(name: string, evalTexts: string[]): Stage[] {
  const all: Record<string, () => Stage> = {
    normalize: () => normalize(),
    'language-id': () => identifyLanguage(),
    quality: () => qualityFilter(),
    pii: () => redactPii(),
    'dedup-exact': () => exactDedup(),
    'dedup-near': () => nearDedup(),
    decontaminate: () => decontaminate({ evalTexts }),
    split: () => splitByHash({ validation: 0.01 }),
  };
  if (name === 'read') return [];
  if (name === 'recipe' || name === 'recipe+pack') return Object.values(all).map((f) => f());
  const f = all[name];
  if (!f) throw new Error(`bench data: unknown stage ${name}`);
  return [f()];
}

const MEASURED = [
  'read',
  'normalize',
  'language-id',
  'quality',
  'pii',
  'dedup-exact',
  'dedup-near',
  'decontaminate',
  'recipe',
  'recipe+pack',
];

interface ChildResult {
  what: string;
  seconds: number;
  docsIn: number;
  docsOut: number;
  peakRssMb: number;
  tokens: number;
}

async function child(what: string, file: string, work: string, tokFile: string): Promise<void> {
  // eval texts: a few real paragraphs, as a decontamination set would be
  const evalTexts = (
    await euCorpusDocuments({ split: 'validation', languages: ['en', 'fr', 'de'] })
  )
    .slice(0, 50)
    .map((d) => d.text);
  const ledger = new Ledger();
  const t0 = performance.now();
  let docsOut = 0;
  let tokens = 0;
  const p = pipeline(readJsonl(file), ...stagesFor(what, evalTexts), {
    ledger,
    onReject: () => {},
  });
  if (what === 'recipe+pack') {
    const tok = Tokenizer.fromFile(tokFile);
    const res = await packIndexedDataset(p, tok, {
      outPrefix: path.join(work, `packed-${process.pid}`),
    });
    docsOut = res.datasets[0].documents;
    tokens = res.datasets[0].tokens;
  } else {
    const sink = new LedgerFileSink(path.join(work, `ledger-${process.pid}.jsonl`));
    ledger.sink = sink.write;
    for await (const _ of p) docsOut++;
    await sink.commit();
  }
  const seconds = (performance.now() - t0) / 1000;
  const result: ChildResult = {
    what,
    seconds,
    docsIn: ledger.totals().read.docs,
    docsOut,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    tokens,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

export async function benchData(): Promise<void> {
  const sizes = (process.env.OELLM_BENCH_DATA_MB ?? '50,200').split(',').map(Number);
  const work = mkdtempSync(path.join(tmpdir(), 'oellm-bench-data-'));
  try {
    // the tokenizer for packing: 4,000 tokens trained on the embedded corpus's train split
    const train = await euCorpusDocuments({ split: 'train' });
    const tok = await trainBpeTokenizer(train, {
      vocabSize: 4000,
      specialTokens: ['<|endoftext|>'],
    });
    const tokFile = path.join(work, 'tokenizer.json');
    writeFileSync(tokFile, JSON.stringify(tok.toJSON()));
    const rows: string[][] = [];
    const rss: Record<string, Record<number, number>> = {};
    for (const mb of sizes) {
      const file = path.join(work, `corpus-${mb}.jsonl`);
      const g = await generate(file, mb);
      console.log(
        `generated ${(statSync(file).size / 1e6).toFixed(1)} MB, ${g.docs} documents -> ${file}`,
      );
      for (const what of MEASURED) {
        const r = spawnSync(
          process.execPath,
          ['--import', 'tsx', path.join(here, 'data.ts'), '--child', what, file, work, tokFile],
          { encoding: 'utf8', maxBuffer: 1 << 26 },
        );
        const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (r.status !== 0 || !line) {
          console.error(`bench data: ${what} on ${mb} MB failed\n${r.stderr.slice(-2000)}`);
          continue;
        }
        const res = JSON.parse(line.slice(7)) as ChildResult;
        const size = statSync(file).size / 1e6;
        rows.push([
          `${mb} MB`,
          what,
          (size / res.seconds).toFixed(1),
          Math.round(res.docsIn / res.seconds).toLocaleString('en-US'),
          res.seconds.toFixed(1),
          res.docsOut.toLocaleString('en-US'),
          res.peakRssMb.toFixed(0),
          res.tokens > 0 ? `${(res.tokens / 1e6).toFixed(1)}M` : '',
        ]);
        rss[what] ??= {};
        rss[what][mb] = res.peakRssMb;
        console.log(rows[rows.length - 1].join('  '));
      }
      rmSync(file, { force: true });
    }
    printTable(
      'data pipeline: generated JSONL, one process per row (read = JSONL reader alone; other rows = reader + that stage; recipe = all stages; recipe+pack = recipe + tokenize + pack)',
      ['input', 'stages', 'MB/s', 'docs/s', 'seconds', 'docs out', 'peak RSS MB', 'tokens'],
      rows,
    );
    if (sizes.length >= 2) {
      const [a, b] = [Math.min(...sizes), Math.max(...sizes)];
      printTable(
        `peak RSS, ${a} MB vs ${b} MB of input`,
        ['stages', `${a} MB`, `${b} MB`, 'growth'],
        Object.entries(rss)
          .filter(([, v]) => v[a] !== undefined && v[b] !== undefined)
          .map(([k, v]) => [
            k,
            v[a].toFixed(0),
            v[b].toFixed(0),
            `${(((v[b] - v[a]) / v[a]) * 100).toFixed(0)}%`,
          ]),
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await child(argv[1], argv[2], argv[3], argv[4]);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchData();
}
