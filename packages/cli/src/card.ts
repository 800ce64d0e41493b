/**
 * The model card of a run (Hugging Face README.md with YAML metadata) and the data documents
 * the data package generates from the run's provenance ledger: the datasheet and the EU AI Act
 * public summary of training content. What the run cannot know is left as `[TO FILL: …]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  datasheet,
  type Ledger,
  readLedger,
  TO_FILL,
  trainingContentSummary,
} from '@openeurollm/data';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { RunConfig } from './config.js';
import { UsageError } from './errors.js';
import type { EvalResults } from './report.js';
import { readMetrics } from './report.js';
import { RunFolder, type RunStatus } from './run-folder.js';

export interface CardOptions {
  /** Who provides the model (AI Act Art. 53: name and contact). */
  provider?: { name?: string; contact?: string };
  /** The model's name on the card (default: the run name). */
  modelName?: string;
  license?: string;
}

export interface RunDocuments {
  card: string;
  datasheet: string | null;
  summaryMarkdown: string | null;
  summaryJson: unknown;
}

const toFill = (what: string) => `[${TO_FILL}: ${what}]`;

/** Builds the model card, datasheet and training-content summary of the run in `runDir`. */
export function runDocuments(runDir: string, o: CardOptions = {}): RunDocuments {
  const folder = new RunFolder(runDir);
  if (!existsSync(folder.path('config'))) {
    throw new UsageError(
      `'${runDir}' is not a run folder (no config.yaml)`,
      'make one with oellm train or oellm quickstart',
    );
  }
  const config = parseYaml(readFileSync(folder.path('config'), 'utf8')) as RunConfig;
  const status = folder.readStatus();
  const evalPath = folder.path('evalJson');
  const evalResults = existsSync(evalPath)
    ? (JSON.parse(readFileSync(evalPath, 'utf8')) as EvalResults)
    : null;
  const ledgerPath = `${folder.path('dataPrefix')}.ledger.jsonl`;
  const ledger: Ledger | null = existsSync(ledgerPath) ? readLedger(ledgerPath) : null;
  const name = o.modelName ?? config.name;
  let sheet: string | null = null;
  let summary: { markdown: string; json: unknown } | null = null;
  if (ledger) {
    sheet = datasheet(ledger, { title: `${name} training data` });
    summary = trainingContentSummary(ledger, {
      provider: o.provider,
      model: { name, dependencies: 'none (trained from scratch with the OpenEuroLLM toolkit)' },
    });
  }
  const metrics = readMetrics(folder.path('metrics'));
  return {
    card: modelCard({
      name,
      config,
      status,
      evalResults,
      ledger,
      metrics,
      license: o.license,
      provider: o.provider,
    }),
    datasheet: sheet,
    summaryMarkdown: summary?.markdown ?? null,
    summaryJson: summary?.json ?? null,
  };
}

interface CardInput {
  name: string;
  config: RunConfig;
  status: RunStatus | null;
  evalResults: EvalResults | null;
  ledger: Ledger | null;
  metrics: ReturnType<typeof readMetrics>;
  license?: string;
  provider?: { name?: string; contact?: string };
}

/** The model card text (README.md of the model folder). */
export function modelCard(c: CardInput): string {
  const t = c.ledger?.totals();
  const languages = t
    ? Object.keys(t.byLanguage)
        .filter((l) => l !== 'und')
        .sort()
    : (c.config.data.languages ?? []);
  const meta: Record<string, unknown> = {
    language: languages,
    license: c.license ?? 'other',
    library_name: 'transformers',
    pipeline_tag: 'text-generation',
    tags: ['openeurollm', c.config.model.arch, 'multilingual'],
  };
  if (c.evalResults) {
    meta['model-index'] = [
      {
        name: c.name,
        results: [
          {
            task: { type: 'text-generation', name: 'Language modelling' },
            dataset: {
              type: 'eu24',
              name: c.evalResults.data.source,
              split: c.evalResults.data.split,
            },
            metrics: [
              {
                type: 'bits_per_byte',
                value: round(c.evalResults.perplexity.all.bitsPerByte),
                name: 'bits per byte (all languages)',
              },
            ],
          },
        ],
      },
    ];
  }
  const m = c.config.model;
  const tr = c.config.training;
  const lastTrain = [...c.metrics].reverse().find((x) => typeof x.loss === 'number');
  const lastEval = [...c.metrics].reverse().find((x) => typeof x.evalLoss === 'number');
  const lines: string[] = [
    '---',
    stringifyYaml(meta).trimEnd(),
    '---',
    '',
    `# ${c.name}`,
    '',
    `A small ${m.arch === 'llama' ? 'Llama' : 'GPT-2'}-architecture causal language model trained with the OpenEuroLLM toolkit (\`oellm\`) on text in ${languages.length} EU language${languages.length === 1 ? '' : 's'}. It is a demonstration of a transparent training run, not a model for production use.`,
    '',
    '## Model details',
    '',
    `- Provider: ${c.provider?.name ?? toFill('the provider of the model (name)')}`,
    `- Contact: ${c.provider?.contact ?? toFill('contact address')}`,
    `- Architecture: ${m.arch}, ${m.nLayers} layers, d_model ${m.dModel}, ${m.nHeads} heads${m.nKvHeads ? ` (${m.nKvHeads} key/value heads)` : ''}, context ${m.contextLength} tokens, tied embeddings: ${m.tieEmbeddings}`,
    `- Tokenizer: byte-level BPE, vocabulary ${c.evalResults?.model.vocabSize ?? c.config.tokenizer.vocabSize}, trained on the same corpus with languages ${c.config.tokenizer.balanceLanguages ? 'weighted equally' : 'weighted by size'}`,
    c.evalResults ? `- Parameters: ${c.evalResults.model.parameters}` : '',
    `- Licence: ${c.license ?? toFill('licence of the weights')}`,
    '- Files: `config.json`, `model.safetensors`, `tokenizer.json`, `generation_config.json` (Hugging Face transformers format)',
    '',
    '## Intended use and limitations',
    '',
    `${toFill('intended uses and users')}`,
    '',
    'The model is tiny and was trained for minutes: it produces text that looks like the languages it was trained on but is not reliable, factual or safe. Do not use it to make decisions about people.',
    '',
    '## Training data',
    '',
  ];
  if (t) {
    lines.push(
      `${t.written.docs || t.out.docs} documents (${t.written.tokens} tokens) after the data pipeline, from ${t.records} records read. Per-document provenance is in the ledger; the datasheet and the EU AI Act public summary of training content are generated from it (\`datasheet.md\`, \`training-content-summary.md\`).`,
      '',
      '| language | documents read | removed | kept | bytes kept | tokens |',
      '|---|---:|---:|---:|---:|---:|',
      ...Object.entries(t.byLanguage)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([lang, v]) =>
            `| ${lang} | ${v.read} | ${v.removed} | ${v.out} | ${v.outBytes} | ${v.tokens} |`,
        ),
      '',
    );
  } else {
    lines.push(toFill('the training data (no ledger was found in the run folder)'), '');
  }
  lines.push(
    '## Training procedure',
    '',
    `AdamW (β = 0.9, 0.95, weight decay ${tr.weightDecay}), peak learning rate ${tr.lr}, ${tr.schedule} schedule with ${tr.warmupSteps} warm-up steps, ${tr.steps} steps of ${tr.batchSize}${tr.gradAccumulation > 1 ? ` × ${tr.gradAccumulation}` : ''} sequences of ${m.contextLength} tokens, gradient clipping ${tr.maxGradNorm || 'off'}, seed ${c.config.seed}.`,
    c.status?.backend
      ? `Trained on the ${String(c.status.backend.name ?? '')} backend (${String(c.status.backend.threads ?? 1)} threads) with Node ${c.status.versions?.node ?? ''}${c.status.seconds?.train ? ` in ${Math.round(c.status.seconds.train)} s` : ''}.`
      : '',
    lastTrain
      ? `Final training loss ${lastTrain.loss?.toFixed(3)} (step ${lastTrain.step})${lastEval ? `, validation loss ${lastEval.evalLoss?.toFixed(3)}` : ''} nats per token.`
      : '',
    '',
    '## Evaluation',
    '',
  );
  if (c.evalResults) {
    const e = c.evalResults;
    lines.push(
      `Per-language perplexity and bits per byte on ${e.data.source} (${e.data.split} split, up to ${e.data.maxBytesPerLanguage} bytes per language). Bits per byte do not depend on the tokenizer.`,
      '',
      '| language | perplexity | bits per byte |',
      '|---|---:|---:|',
      ...[...e.perplexity.languages, e.perplexity.all].map(
        (l) => `| ${l.lang} | ${l.perplexity.toFixed(2)} | ${l.bitsPerByte.toFixed(3)} |`,
      ),
      '',
    );
    if (e.samples.length) {
      lines.push('Samples (temperature 0.8, top-k 40):', '');
      for (const s of e.samples)
        lines.push(`- ${s.lang}: *${s.prompt}*${s.completion.replace(/\s+/g, ' ')}`);
      lines.push('');
    }
  } else {
    lines.push('Not evaluated yet: run `oellm eval <run folder>`, then `oellm card` again.', '');
  }
  lines.push(
    '## Environmental impact',
    '',
    `${c.status?.seconds ? `Training took ${Math.round(Object.values(c.status.seconds).reduce((a, b) => a + b, 0))} s of wall-clock time on a CPU. ` : ''}${toFill('hardware, energy and emissions estimate')}`,
    '',
    '## Reproduce',
    '',
    '```sh',
    'npx @openeurollm/cli train config.yaml   # config.yaml of the run folder',
    '```',
    '',
  );
  return `${lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n')}`;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
