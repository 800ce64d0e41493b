/**
 * `oellm finetune <model>`: instruction tuning on chat JSONL (`{"messages": [...]}` per line),
 * full or LoRA. Without --data it builds real translation instructions between EU languages
 * from the parallel UDHR articles of the embedded corpus. Losses count only assistant turns.
 *
 * Output folder: finetune.json (settings), data/ (instructions.jsonl, packed chat data with
 * loss masks, ledger), metrics.jsonl, checkpoints/, adapter/ (LoRA, PEFT format) and model/
 * (the tuned model, LoRA merged, as a Hugging Face folder).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IndexedDataset, packChatDataset, readChatJsonl } from '@openeurollm/data';
import {
  applyLora,
  getLoraConfig,
  loraParameters,
  mergeLora,
  saveLoraAdapter,
  saveModel,
} from '@openeurollm/nn';
import {
  AdamW,
  cosineSchedule,
  type LogRecord,
  latestCheckpoint,
  paramGroups,
  Trainer,
  type TrainerOptions,
} from '@openeurollm/optim';
import { LoaderSource, StopRequested } from '../batches.js';
import { CHATML_TEMPLATE } from '../chat-format.js';
import { CliError, InterruptedError, UsageError } from '../errors.js';
import { loadModelSource } from '../model-source.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { parallelArticles, translationInstructions } from '../parallel.js';
import { Progress } from '../progress.js';
import { stopOnSignals } from '../signals.js';

export interface FinetuneOptions {
  out: string;
  data?: string[];
  lora?: boolean;
  rank?: number;
  alpha?: number;
  dropout?: number;
  targets?: string[];
  steps?: number;
  lr?: number;
  batchSize?: number;
  context?: number;
  languages?: string[];
  checkpointEvery?: number;
  resume?: boolean;
  seed?: number;
}

export async function finetuneCommand(
  out: Output,
  modelPath: string,
  o: FinetuneOptions,
): Promise<void> {
  const m = loadModelSource(modelPath, 'base model');
  const outDir = o.out;
  const settingsPath = join(outDir, 'finetune.json');
  const metrics = join(outDir, 'metrics.jsonl');
  const started =
    (existsSync(metrics) && statSync(metrics).size > 0) || latestCheckpoint(outDir) !== null;
  if (started && !o.resume) {
    throw new UsageError(
      `'${outDir}' already holds a fine-tuning run`,
      `continue it with --resume, or pick another --out`,
    );
  }
  const arch = m.model.config.arch;
  const settings = {
    base: m.modelDir,
    method: o.lora ? 'lora' : 'full',
    lora: o.lora
      ? {
          rank: o.rank ?? 8,
          alpha: o.alpha ?? 16,
          dropout: o.dropout ?? 0,
          targets: o.targets ?? (arch === 'llama' ? ['q_proj', 'v_proj'] : ['c_attn']),
        }
      : null,
    steps: o.steps ?? 100,
    lr: o.lr ?? (o.lora ? 2e-3 : 3e-4),
    batchSize: o.batchSize ?? 8,
    contextLength: Math.min(
      o.context ?? m.model.config.contextLength,
      m.model.config.contextLength,
    ),
    data: o.data ?? null,
    languages: o.languages ?? null,
    seed: o.seed ?? 0,
    checkpointEvery: o.checkpointEvery ?? 25,
  };
  if (o.resume) {
    if (!existsSync(settingsPath)) throw new UsageError(`cannot resume: no ${settingsPath}`);
    const saved = JSON.parse(readFileSync(settingsPath, 'utf8')) as typeof settings;
    for (const key of [
      'base',
      'method',
      'lora',
      'contextLength',
      'batchSize',
      'data',
      'languages',
      'seed',
    ] as const) {
      if (JSON.stringify(saved[key]) !== JSON.stringify(settings[key])) {
        throw new UsageError(
          `cannot resume ${outDir}: '${key}' differs from the run's (${JSON.stringify(saved[key])})`,
        );
      }
    }
  }
  mkdirSync(join(outDir, 'data'), { recursive: true });
  writeFileSync(settingsPath, `${JSON.stringify(settings, null, 2)}\n`);

  // data: the given chat JSONL, or translation instructions from the parallel corpus
  const prefix = join(outDir, 'data', 'chat');
  if (!existsSync(`${prefix}.idx`)) {
    let files = o.data;
    if (!files || files.length === 0) {
      const examples = translationInstructions(await parallelArticles(), {
        languages: o.languages,
        seed: settings.seed,
      });
      if (examples.length === 0)
        throw new UsageError(
          `no translation instructions for languages ${o.languages?.join(', ')}`,
        );
      const file = join(outDir, 'data', 'instructions.jsonl');
      writeFileSync(file, `${examples.map((e) => JSON.stringify(e)).join('\n')}\n`);
      files = [file];
      out.note(
        `instruction data: ${examples.length} translation conversations from the UDHR articles of the embedded corpus (${file})`,
      );
    } else {
      const missing = files.filter((f) => !existsSync(f));
      if (missing.length)
        throw new UsageError(`--data: ${missing.map((f) => `'${f}'`).join(', ')} not found`);
    }
    const hasTemplate = Boolean(
      (m.tokenizer.config as { chat_template?: unknown } | null)?.chat_template,
    );
    const r = await packChatDataset(readChatJsonl(files), m.tokenizer, {
      outPrefix: prefix,
      ...(hasTemplate ? {} : { chatTemplate: CHATML_TEMPLATE }),
    });
    const t = r.ledger.totals();
    if (r.datasets[0].documents === 0) {
      throw new UsageError(
        `--data: no usable conversations (${t.rejected.docs} rejected: ${Object.entries(
          t.rejected.byReason,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
      );
    }
    out.note(
      `packed ${r.datasets[0].documents} conversations, ${formatCount(r.datasets[0].tokens)} tokens${t.rejected.docs ? `; ${t.rejected.docs} rejected` : ''}`,
    );
  }
  const dataset = IndexedDataset.open(prefix);
  const model = m.model;
  if (settings.lora) {
    const info = applyLora(model, { ...settings.lora, seed: settings.seed });
    out.note(
      `LoRA r=${settings.lora.rank} alpha=${settings.lora.alpha} on ${info.modules.length} layers (${settings.lora.targets.join(', ')}): ${formatCount(info.trainableParameters)} of ${formatCount(info.totalParameters)} parameters train`,
    );
  }
  const params = settings.lora
    ? Object.entries(loraParameters(model))
    : paramGroups(model, { weightDecay: 0.0 });
  const optimizer = new AdamW(params as never, {
    lr: settings.lr,
    betas: [0.9, 0.95],
    weightDecay: 0,
  });
  const signals = stopOnSignals(out, 'fine-tuning');
  const data = new LoaderSource(dataset, {
    batchSize: settings.batchSize,
    contextLength: settings.contextLength,
    seed: settings.seed,
    stop: signals.stop,
  });
  const progress = new Progress(out, { label: 'finetune', total: settings.steps, unit: 'steps' });
  const options: TrainerOptions = {
    model,
    data,
    optimizer,
    schedule: cosineSchedule({
      warmupSteps: Math.min(10, settings.steps - 1),
      totalSteps: settings.steps,
      minLrRatio: 0.1,
    }),
    maxSteps: settings.steps,
    maxGradNorm: 1,
    checkpointEvery: settings.checkpointEvery,
    outDir,
    seed: settings.seed,
    onLog: (r: LogRecord) => {
      if (!('evalLoss' in r)) progress.update(r.step, `loss ${r.loss.toFixed(3)}`);
    },
  };
  const resumeFrom = o.resume ? latestCheckpoint(outDir) : null;
  const trainer = resumeFrom ? Trainer.resume(resumeFrom, options) : new Trainer(options);
  if (resumeFrom) out.note(`resuming from ${resumeFrom}`);
  const t0 = performance.now();
  try {
    const s = await trainer.train();
    progress.finish(`loss ${s.loss?.toFixed(3) ?? '-'}`);
    const adapterDir = join(outDir, 'adapter');
    const modelDir = join(outDir, 'model');
    let merged: string[] = [];
    if (getLoraConfig(model)) {
      saveLoraAdapter(model, adapterDir, { baseModelName: m.modelDir });
      merged = mergeLora(model).modules;
    }
    saveModel(model, modelDir, { tokenizer: m.tokenizer });
    const seconds = (performance.now() - t0) / 1000;
    out.result(
      {
        out: outDir,
        method: settings.method,
        steps: s.steps,
        loss: s.loss,
        tokens: s.tokens,
        seconds,
        adapter: settings.lora ? adapterDir : null,
        model: modelDir,
        mergedModules: merged,
      },
      () => {
        out.print(
          `fine-tuned (${settings.method}) ${s.steps} steps in ${formatDuration(seconds)}: loss ${s.loss?.toFixed(3) ?? '-'}`,
        );
        if (settings.lora) out.print(`adapter (PEFT): ${adapterDir}`);
        out.print(`model${settings.lora ? ' (LoRA merged)' : ''}: ${modelDir}`);
        out.print(`try it: oellm chat ${modelDir}`);
      },
    );
  } catch (e) {
    progress.clear();
    if (e instanceof StopRequested) {
      const dir = trainer.saveCheckpoint();
      throw new InterruptedError(
        `fine-tuning stopped at step ${trainer.step}; checkpoint ${dir}`,
        `continue with the same command and --resume`,
      );
    }
    if (e instanceof CliError) throw e;
    throw new CliError(`fine-tuning failed: ${(e as Error).message}`, { cause: e });
  } finally {
    signals.dispose();
    dataset.close();
  }
}
