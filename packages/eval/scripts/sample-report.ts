/**
 * A sample evaluation report for a tiny model trained here and now on the embedded corpus:
 * a byte-level BPE tokenizer and a small Llama trained for a few hundred steps (its
 * metrics.jsonl gives the loss curve), evaluated for perplexity / bits per byte on the
 * validation split in every language, the UDHR translation smoke task (multiple choice and
 * generation), and tokenizer fairness. Writes <out>/eval-report.{json,md,html} and
 * <out>/eval-metrics.jsonl. The tests call `makeSampleReport` with fewer steps.
 *
 *   npx tsx packages/eval/scripts/sample-report.ts docs/examples [steps, default 1000]
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { euCorpusDocuments, sha256Hex } from '@openeurollm/data/node';
import { CausalLM } from '@openeurollm/nn';
import { AdamW, cosineSchedule, LRScheduler } from '@openeurollm/optim';
import { Generator, manualSeed, noGrad, tensor } from '@openeurollm/tensor';
import { type Tokenizer, trainBpeTokenizer } from '@openeurollm/tokenizer';
import {
  buildReport,
  evaluateGeneration,
  evaluateMultipleChoice,
  perplexity,
  readMetricsJsonl,
  tokenizerReport,
  udhrSmokeTask,
  type WrittenReport,
  writeReport,
} from '../src/node.js';

export interface SampleOptions {
  /** Training steps. Default 300 (the committed sample: 1000). */
  steps?: number;
  /** Characters of training text per language. Default 40,000. */
  charsPerLang?: number;
  /** UDHR articles per language in the smoke task. Default 6. */
  articles?: number;
  /** Characters of validation text per language for perplexity. Default 3,000. */
  evalCharsPerLang?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface TinyRun {
  model: CausalLM;
  tokenizer: Tokenizer;
  metricsFile: string;
  config: Record<string, unknown>;
}

const EOS = '<|endoftext|>';

/** Trains the tokenizer and the model, writing one metrics.jsonl line per step. */
export async function trainTinyModel(outDir: string, o: SampleOptions = {}): Promise<TinyRun> {
  const steps = o.steps ?? 300;
  const seed = o.seed ?? 0;
  const charsPerLang = o.charsPerLang ?? 40_000;
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const train = await euCorpusDocuments({ split: 'train', excludeUi: true });
  const byLang = new Map<string, string[]>();
  for (const d of train) {
    const have = byLang.get(d.lang) ?? [];
    if (have.join('').length < charsPerLang) have.push(d.text);
    byLang.set(d.lang, have);
  }
  const texts = [...byLang].flatMap(([lang, ts]) => ts.map((text) => ({ text, lang })));
  const tokenizer = await trainBpeTokenizer(texts, { vocabSize: 512, specialTokens: [EOS] });
  const eos = tokenizer.tokenToId(EOS)!;
  log(`tokenizer: ${tokenizer.vocabSize} tokens from ${texts.length} documents (${elapsed()})`);

  // one token stream; validation windows from its last tenth
  const stream: number[] = [];
  for (const t of texts) stream.push(...tokenizer.encodeIds(t.text), eos);
  const ctx = 256; // the smoke task's passages need ~250 tokens with a 512-token vocabulary
  const seqLen = 128;
  const config = {
    arch: 'llama' as const,
    vocabSize: tokenizer.vocabSize,
    contextLength: ctx,
    dModel: 64,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    eosTokenId: eos,
    bosTokenId: eos,
  };
  manualSeed(seed);
  const model = new CausalLM(config);
  const opt = new AdamW(model.parameters(), { lr: 3e-3, betas: [0.9, 0.95], weightDecay: 0.1 });
  const sched = new LRScheduler(
    opt,
    cosineSchedule({
      warmupSteps: Math.min(20, Math.floor(steps / 10)),
      totalSteps: steps,
      minLrRatio: 0.1,
    }),
  );
  const split = Math.floor(stream.length * 0.9);
  const rng = new Generator(seed + 1);
  const batch = (from: number, to: number, n: number, g: Generator) => {
    const ids: number[][] = [];
    const targets: number[][] = [];
    for (let b = 0; b < n; b++) {
      const s = g.int(from, to - seqLen - 1);
      ids.push(stream.slice(s, s + seqLen));
      targets.push(stream.slice(s + 1, s + seqLen + 1));
    }
    return { ids, targets };
  };
  const evalBatch = batch(split, stream.length, 16, new Generator(seed + 2));
  mkdirSync(outDir, { recursive: true });
  const metricsFile = join(outDir, 'eval-metrics.jsonl');
  writeFileSync(metricsFile, '');
  for (let step = 1; step <= steps; step++) {
    const { ids, targets } = batch(0, split, 8, rng);
    model.train();
    const loss = model.loss(ids, targets);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    const lr = opt.paramGroups[0].lr;
    sched.step();
    const line: Record<string, number> = { step, loss: loss.item(), lr };
    if (step % 10 === 0 || step === steps) {
      model.eval();
      line.evalLoss = noGrad(() =>
        model.loss(evalBatch.ids, tensor(evalBatch.targets, { dtype: 'int32' })).item(),
      );
      log(
        `step ${step}: loss ${line.loss.toFixed(3)}, eval ${line.evalLoss.toFixed(3)} (${elapsed()})`,
      );
    }
    appendFileSync(metricsFile, `${JSON.stringify(line)}\n`);
  }
  model.eval();
  return {
    model,
    tokenizer,
    metricsFile,
    config: {
      model: config,
      tokenizer: { type: 'byte-level BPE', vocabSize: 512 },
      steps,
      batch: 8,
      seqLen,
      lr: 3e-3,
      seed,
      charsPerLang,
    },
  };
}

/** Trains, evaluates and writes the sample report into `outDir`. */
export async function makeSampleReport(
  outDir: string,
  o: SampleOptions = {},
): Promise<WrittenReport> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const run = await trainTinyModel(outDir, o);
  const { model, tokenizer } = run;
  const evalChars = o.evalCharsPerLang ?? 3000;
  const validation = await euCorpusDocuments({ split: 'validation', excludeUi: true });
  const texts: Record<string, string[]> = {};
  for (const d of validation) {
    texts[d.lang] ??= [];
    const have = texts[d.lang];
    const left = evalChars - have.reduce((n, t) => n + t.length, 0);
    if (left > 0) have.push(d.text.slice(0, left));
  }
  const ppl = await perplexity(model, tokenizer, texts, { stride: 128 });
  log(
    `perplexity: bits/byte ${ppl.all.bitsPerByte.toFixed(3)}, ${ppl.stats.scoredTokens} tokens (${elapsed()})`,
  );
  const all = await euCorpusDocuments();
  const smoke = udhrSmokeTask(all, { articles: o.articles ?? 6, seed: o.seed ?? 0 });
  const mc = await evaluateMultipleChoice(model, tokenizer, smoke, { seed: o.seed ?? 0 });
  log(
    `smoke task: acc ${mc.metrics.acc.value.toFixed(3)}, ${mc.stats.forwardTokens} tokens (${elapsed()})`,
  );
  // the same questions as generation: the first article per language, the translation as reference
  const genDocs = smoke.docs
    .filter((_, i) => i % (o.articles ?? 6) === 0)
    .map((d) => ({ prompt: d.context, references: [d.choices[d.gold]], lang: d.lang! }));
  const gen = await evaluateGeneration(
    model,
    tokenizer,
    {
      name: 'eu24-udhr-translation-smoke-generation',
      smoke: true,
      docs: genDocs,
      source: {
        derivedFrom: smoke.name,
        note: 'smoke task, not a benchmark: the first article per language of the smoke task, as generation',
        sha256: sha256Hex(genDocs.map((d) => `${d.prompt}\u0000${d.references[0]}`).join('\n')),
      },
    },
    // a model this small starts its answer with a newline: stop at a blank line instead, to
    // show what it writes
    { maxNewTokens: 24, stopSequences: ['\n\n'] },
  );
  log(`generation: chrF ${gen.metrics.chrf.score.toFixed(2)} (${elapsed()})`);
  const fairness = await tokenizerReport(tokenizer);
  const metrics = readMetricsJsonl(run.metricsFile);
  const report = buildReport({
    title: 'Sample evaluation report: tiny Llama trained on the embedded eu24 corpus',
    model,
    modelName: `tiny llama (${run.config.steps} steps on the eu24 corpus)`,
    perplexity: ppl,
    multipleChoice: [mc],
    generation: [gen],
    tokenizer: fairness,
    training: metrics,
    config: { training: run.config },
    seeds: { training: (run.config.seed as number) ?? 0 },
    notes: [
      `A ${run.config.steps}-step model with ${model
        .parameters()
        .reduce((s, p) => s + p.size, 0)
        .toLocaleString(
          'en-US',
        )} parameters: the numbers show what the report looks like, not what a real model scores.`,
    ],
  });
  const files = await writeReport(report, outDir, { baseName: 'eval-report' });
  log(`report written (${elapsed()})`);
  return files;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const out = process.argv[2] ?? 'docs/examples';
  const steps = Number(process.argv[3] ?? 1000);
  const t = performance.now();
  const files = await makeSampleReport(out, { steps, log: (l) => console.log(l) });
  console.log(
    `wrote ${Object.values(files).join(', ')} in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}
