/**
 * `oellm quickstart`: the whole path on the embedded 24-language corpus, in minutes: prepare the
 * data with a provenance ledger, train a fair tokenizer, train a small Llama on the fastest
 * backend, evaluate it per language, write report.html and the model card (with the datasheet
 * and the EU AI Act training-content summary), and print samples in several languages.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { chooseBackend, describeBackend } from '../backend.js';
import { applyOverrides, resolveRunConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { evaluateModel, writeEvalOutputs } from '../eval-run.js';
import { loadModelSource } from '../model-source.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { PRESETS } from '../presets.js';
import { RUN_FILES, RunFolder } from '../run-folder.js';
import { stopOnSignals } from '../signals.js';
import { trainRun } from '../train-run.js';
import { writeRunDocuments } from './card.js';

export interface QuickstartOptions {
  runsDir?: string;
  name?: string;
  tiny?: boolean;
  steps?: number;
  languages?: string[];
  set?: string[];
  force?: boolean;
  resume?: boolean;
  backend?: string;
  threads?: number;
  /** Seconds of training at most (default 90; 0: no limit). */
  budget?: number;
}

export async function quickstartCommand(out: Output, o: QuickstartOptions): Promise<void> {
  const t0 = performance.now();
  const preset = structuredClone(PRESETS[o.tiny ? 'tiny' : 'quickstart']) as Record<
    string,
    unknown
  >;
  const overrides = [...(o.set ?? [])];
  if (o.steps !== undefined) overrides.push(`training.steps=${o.steps}`);
  if (o.languages) overrides.push(`data.languages=[${o.languages.join(',')}]`);
  if (o.name) overrides.push(`name=${o.name}`);
  let config = resolveRunConfig(
    applyOverrides(preset, overrides),
    o.tiny ? 'quickstart --tiny' : 'quickstart',
  );
  const runDir = join(o.runsDir ?? 'runs', config.name);
  const saved = join(runDir, RUN_FILES.config);
  if (o.resume && existsSync(saved)) {
    // the run's own config: the steps the time budget chose when it started
    config = resolveRunConfig(
      applyOverrides(parseYaml(readFileSync(saved, 'utf8')) ?? {}, overrides),
      saved,
    );
  }
  if (existsSync(runDir) && !o.resume) {
    if (!o.force) {
      throw new UsageError(
        `'${runDir}' exists already`,
        'pass --force to start it over, --resume to continue it, or --name for a new run',
      );
    }
    rmSync(runDir, { recursive: true, force: true });
  }
  const choice = await chooseBackend(o.backend, o.threads);
  out.note(
    out.style(
      'bold',
      'OpenEuroLLM quickstart: corpus → tokenizer → model → evaluation → model card',
    ),
  );
  out.note(`run folder ${runDir}; backend ${describeBackend(choice)}: ${choice.reason}`);

  const signals = stopOnSignals(out);
  let trained: Awaited<ReturnType<typeof trainRun>>;
  try {
    const budget = o.budget ?? (o.tiny || o.steps !== undefined || o.resume ? 0 : 90);
    trained = await trainRun(
      {
        config,
        configDir: process.cwd(),
        runDir,
        resume: o.resume && existsSync(runDir),
        stop: signals.stop,
        ...(budget > 0 ? { timeBudgetS: budget } : {}),
      },
      out,
    );
  } finally {
    signals.dispose();
  }

  const folder = new RunFolder(runDir);
  const m = loadModelSource(runDir);
  const te = performance.now();
  const results = await evaluateModel(
    m,
    {
      languages: config.eval.languages ?? config.data.languages,
      maxBytesPerLanguage: config.eval.maxBytesPerLanguage,
      sampleTokens: config.eval.sampleTokens,
      prompts: config.eval.prompts,
      seed: config.seed,
    },
    out,
  );
  folder.addSeconds('eval', (performance.now() - te) / 1000);
  const paths = writeEvalOutputs(results, runDir, folder.path('metrics'));
  const docs = writeRunDocuments(runDir);
  const seconds = (performance.now() - t0) / 1000;
  const best = [...results.perplexity.languages].sort((a, b) => a.bitsPerByte - b.bitsPerByte);
  out.result(
    {
      runDir,
      seconds,
      backend: trained.backend,
      training: trained,
      eval: { all: results.perplexity.all, languages: results.perplexity.languages },
      samples: results.samples,
      files: {
        ...paths,
        ...docs,
        model: trained.modelDir,
        config: folder.path('config'),
        ledger: `${folder.path('dataPrefix')}.ledger.jsonl`,
      },
    },
    () => {
      out.print();
      out.print(
        out.style(
          'bold',
          `Samples (${formatCount(trained.parameters)}-parameter model, ${trained.steps} steps):`,
        ),
      );
      for (const s of results.samples)
        out.print(
          `  ${out.style('bold', s.lang)}  ${s.prompt}${out.style('cyan', s.completion.replace(/\s+/g, ' '))}`,
        );
      out.print();
      out.print(
        `bits per byte over ${results.perplexity.languages.length} languages: ${results.perplexity.all.bitsPerByte.toFixed(3)} (best ${best[0]?.lang} ${best[0]?.bitsPerByte.toFixed(3)}, worst ${best[best.length - 1]?.lang} ${best[best.length - 1]?.bitsPerByte.toFixed(3)})`,
      );
      out.print(`report       ${paths.html}`);
      out.print(`model card   ${docs.card}`);
      if (docs.trainingContentSummary) out.print(`AI Act       ${docs.trainingContentSummary}`);
      if (docs.datasheet) out.print(`datasheet    ${docs.datasheet}`);
      out.print(`model        ${trained.modelDir}  (Hugging Face format)`);
      out.print(`ledger       ${folder.path('dataPrefix')}.ledger.jsonl`);
      out.print();
      out.print(
        `done in ${formatDuration(seconds)}. Next: oellm chat ${join(runDir, RUN_FILES.model)}  ·  oellm finetune ${runDir} --lora --out ${join(o.runsDir ?? 'runs', `${config.name}-lora`)}`,
      );
    },
  );
}
