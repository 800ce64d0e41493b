/**
 * The `oellm` command line: commander wiring, global options, exit codes. Each command's work
 * lives in commands/<name>.ts as a function of its options and an Output, so tests and other
 * programs can call it without a process.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { chooseBackend } from './backend.js';
import { CliError, EXIT, UsageError } from './errors.js';
import { colorEnabled, Output } from './output.js';
import { cliVersion } from './versions.js';

export interface GlobalOptions {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  backend?: string;
  threads?: number;
}

/** Parses a positive integer option value. */
export function intOption(name: string, min = 1) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${value}'`);
    }
    return n;
  };
}

/** Parses a number option value. */
export function numberOption(name: string, min = Number.NEGATIVE_INFINITY) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min) {
      throw new InvalidArgumentError(
        `${name} must be a number${min > Number.NEGATIVE_INFINITY ? ` >= ${min}` : ''}, got '${value}'`,
      );
    }
    return n;
  };
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Splits "en,de, fr" into ['en', 'de', 'fr']. */
export function listOption(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

type Action = (out: Output, ...args: unknown[]) => Promise<void>;

/** Wraps a command's work: makes the Output, applies --backend/--threads, then runs it. */
function action(work: Action, options: { backend?: boolean } = {}) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const g = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    const out = new Output({ json: g.json, quiet: g.quiet, color: g.color });
    if (options.backend !== false && (g.backend !== undefined || g.threads !== undefined)) {
      await chooseBackend(g.backend, g.threads);
    }
    // positional arguments, then the command's own options merged with the global ones
    await work(out, ...args.slice(0, -2), g);
  };
}

export function buildProgram(): Command {
  const program = new Command('oellm');
  const colored = colorEnabled(process.stderr);
  program
    .description(
      'OpenEuroLLM toolkit: prepare an EU corpus, train a tokenizer and a multilingual model, evaluate it per language, publish it with a model card',
    )
    .version(cliVersion(), '-V, --version')
    .option('--json', 'print the result as one JSON object on stdout')
    .option('-q, --quiet', 'no progress or notes on stderr')
    .option('--no-color', 'no colors (also: NO_COLOR=1)')
    .option(
      '--backend <name>',
      'tensor backend: native, js, gpu (default: the fastest that loads; OELLM_BACKEND)',
    )
    .option(
      '--threads <n>',
      'threads of the native backend (default: all cores; OELLM_NUM_THREADS)',
      intOption('--threads'),
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      outputError: (str, write) => write(colored ? `\u001b[31m${str}\u001b[39m` : str),
    })
    .exitOverride();

  program
    .command('info')
    .description('backends (which one runs and why), CPU model and features, threads, versions')
    .option('--gpu', 'also load the gpu.js backend to report on it')
    .action(
      action(async (out, opts) => {
        const { infoCommand } = await import('./commands/info.js');
        await infoCommand(out, opts as { gpu?: boolean });
      }),
    );

  registerCommands(program);
  return program;
}

/** Commands beyond `info` (each in commands/). */
function registerCommands(program: Command): void {
  const tokenizer = program.command('tokenizer').description('train tokenizers');
  tokenizer
    .command('train')
    .description(
      'train a byte-level BPE tokenizer (default: on the embedded 24-language corpus) and report its parity across languages',
    )
    .argument(
      '[files...]',
      'text, JSONL, gzip or Parquet files, folders or globs (default: the embedded eu24 corpus)',
    )
    .requiredOption(
      '-o, --out <dir>',
      'folder to write tokenizer.json and tokenizer_config.json into',
    )
    .option(
      '--vocab-size <n>',
      'vocabulary size, special tokens and 256 bytes included',
      intOption('--vocab-size', 300),
      4096,
    )
    .option(
      '--min-frequency <n>',
      'merge a pair only when seen this often',
      intOption('--min-frequency'),
    )
    .option('--languages <list>', 'only these languages (comma-separated ISO codes)', listOption)
    .option('--no-balance', 'weight languages by their size instead of equally')
    .option('--license <id>', 'licence of the given files (recorded in the ledger)')
    .action(
      action(async (out, files, opts) => {
        const { tokenizerTrainCommand } = await import('./commands/tokenizer-train.js');
        await tokenizerTrainCommand(out, files as string[], opts as never);
      }),
    );

  const data = program.command('data').description('prepare training data');
  data
    .command('prepare')
    .description(
      'run the corpus pipeline (normalize, language id, quality, PII, dedup, split) and pack Megatron indexed datasets, with a ledger, datasheet and AI Act training-content summary',
    )
    .argument(
      '[files...]',
      'text, JSONL, gzip or Parquet files, folders or globs (default: the embedded eu24 corpus)',
    )
    .requiredOption(
      '-o, --out <prefix>',
      'output prefix: writes <prefix>.train.bin/.idx, <prefix>.validation.*, <prefix>.ledger.jsonl',
    )
    .requiredOption('-t, --tokenizer <path>', 'tokenizer.json or a folder holding one')
    .option('--languages <list>', 'only these languages (comma-separated ISO codes)', listOption)
    .option(
      '--validation <fraction>',
      'share of documents held out (0 for none)',
      numberOption('--validation', 0),
    )
    .option('--shard <i/N>', 'only shard i of N of the input (for job arrays)')
    .option('--license <id>', 'licence of the given files')
    .option('--no-normalize', 'skip Unicode normalization')
    .option('--no-langid', 'skip language identification')
    .option('--no-quality', 'skip the quality filters')
    .option('--no-pii', 'skip PII redaction')
    .option('--no-dedup', 'skip exact deduplication')
    .option('--no-near-dedup', 'skip MinHash near-duplicate removal')
    .action(
      action(async (out, files, opts) => {
        const { dataPrepareCommand } = await import('./commands/data-prepare.js');
        await dataPrepareCommand(out, files as string[], opts as never);
      }),
    );

  program
    .command('train')
    .description('train a model from a run config (YAML or JSON) in runs/<name>/; resumable')
    .argument(
      '[config]',
      'run config file (see docs/packages/cli.md); optional with --resume <runDir>',
    )
    .option(
      '--resume [runDir]',
      'continue from the newest checkpoint (of runs/<name>, or of runDir)',
    )
    .option('--runs-dir <dir>', 'where run folders go', 'runs')
    .option('--name <name>', 'run name (overrides the config)')
    .option('--steps <n>', 'total training steps (overrides training.steps)', intOption('--steps'))
    .option(
      '--set <key=value>',
      'override a config key, e.g. --set model.dModel=64 (repeatable)',
      collect,
    )
    .action(
      action(
        async (out, config, opts) => {
          const { trainCommand } = await import('./commands/train.js');
          await trainCommand(out, config as string | undefined, opts as never);
        },
        { backend: false },
      ),
    );

  program
    .command('quickstart')
    .description(
      'the whole path on the embedded 24-language corpus in a few minutes: data, tokenizer, model, per-language evaluation, report.html, model card, samples',
    )
    .option('--runs-dir <dir>', 'where run folders go', 'runs')
    .option('--name <name>', 'run name (default quickstart)')
    .option('--tiny', 'a seconds-long version (3 languages, a tiny model) for smoke tests')
    .option(
      '--steps <n>',
      'training steps (default 600, fewer where they would not fit --budget)',
      intOption('--steps'),
    )
    .option(
      '--budget <seconds>',
      'seconds of training at most: the steps are chosen to fit (default 90; 0: no limit)',
      intOption('--budget', 0),
    )
    .option('--languages <list>', 'only these languages (comma-separated ISO codes)', listOption)
    .option('--set <key=value>', 'override a run config key (repeatable)', collect)
    .option('--force', 'delete an existing run folder of the same name first')
    .option('--resume', 'continue an interrupted quickstart run')
    .action(
      action(
        async (out, opts) => {
          const { quickstartCommand } = await import('./commands/quickstart.js');
          await quickstartCommand(out, opts as never);
        },
        { backend: false },
      ),
    );

  const sampling = (cmd: Command, maxTokens: number, temperature: number) =>
    cmd
      .option('-n, --max-tokens <n>', 'new tokens at most', intOption('--max-tokens'), maxTokens)
      .option(
        '-t, --temperature <t>',
        'sampling temperature (0: greedy)',
        numberOption('--temperature', 0),
        temperature,
      )
      .option(
        '--top-k <k>',
        'sample among the k most likely tokens (0: all)',
        intOption('--top-k', 0),
        40,
      )
      .option('--top-p <p>', 'nucleus sampling threshold in (0, 1]', numberOption('--top-p', 0), 1)
      .option('--seed <n>', 'sampling seed', intOption('--seed', 0), 0);

  sampling(
    program
      .command('generate')
      .description('continue a prompt with a model, streaming the tokens to stdout')
      .argument('<model>', 'model folder, run folder or checkpoint')
      .argument('[prompt...]', "the prompt ('-' or nothing with piped input: read stdin)"),
    64,
    0.8,
  )
    .option('--samples <n>', 'how many continuations', intOption('--samples'), 1)
    .action(
      action(async (out, model, prompt, opts) => {
        const { generateCommand } = await import('./commands/generate.js');
        await generateCommand(out, model as string, prompt as string[], opts as never);
      }),
    );

  sampling(
    program
      .command('chat')
      .description(
        'talk with a model: one message per line on stdin, the answer streamed to stdout (/reset, /exit)',
      )
      .argument(
        '<model>',
        'model folder, run folder or checkpoint (an instruction-tuned one answers best)',
      ),
    96,
    0.7,
  )
    .option('--system <text>', 'a system message')
    .action(
      action(async (out, model, opts) => {
        const { chatCommand } = await import('./commands/chat.js');
        await chatCommand(out, model as string, opts as never);
      }),
    );

  program
    .command('eval')
    .description(
      'per-language perplexity and bits per byte (embedded validation split by default), samples, tokenizer parity; writes eval.json, eval.md, report.html',
    )
    .argument('<model>', 'model folder, run folder or checkpoint')
    .option('--languages <list>', 'only these languages', listOption)
    .option(
      '--max-bytes <n>',
      'UTF-8 bytes of text scored per language',
      intOption('--max-bytes'),
      6000,
    )
    .option(
      '--files <files...>',
      'score these text/JSONL/Parquet files instead (grouped by their lang)',
    )
    .option(
      '-o, --out <dir>',
      'where to write the reports (default: the run folder, else <model>/eval)',
    )
    .option('--sample-tokens <n>', 'new tokens per sample', intOption('--sample-tokens'), 40)
    .option('--no-samples', 'skip the generated samples')
    .option('--seed <n>', 'sampling seed', intOption('--seed', 0), 0)
    .action(
      action(async (out, model, opts) => {
        const { evalCommand } = await import('./commands/eval.js');
        await evalCommand(out, model as string, opts as never);
      }),
    );

  program
    .command('finetune')
    .description(
      'instruction-tune a model on chat JSONL (default: translation instructions built from the parallel UDHR text of the embedded corpus), fully or with LoRA',
    )
    .argument('<model>', 'base model: model folder, run folder or checkpoint')
    .requiredOption(
      '-o, --out <dir>',
      'output folder (adapter/, model/, metrics.jsonl, checkpoints/)',
    )
    .option(
      '--data <files...>',
      'chat JSONL files: {"messages": [{"role": "user", "content": …}, …]} per line',
    )
    .option('--lora', 'train LoRA adapters instead of every weight')
    .option('--rank <r>', 'LoRA rank', intOption('--rank'), 8)
    .option(
      '--alpha <a>',
      'LoRA alpha (the update is scaled by alpha / rank)',
      numberOption('--alpha', 0),
      16,
    )
    .option('--dropout <p>', 'LoRA dropout', numberOption('--dropout', 0))
    .option(
      '--targets <list>',
      'layers to adapt (default q_proj,v_proj for Llama, c_attn for GPT-2)',
      listOption,
    )
    .option('--steps <n>', 'optimizer steps', intOption('--steps'), 100)
    .option(
      '--lr <lr>',
      'peak learning rate (default 2e-3 with LoRA, 3e-4 full)',
      numberOption('--lr', 0),
    )
    .option('--batch-size <n>', 'sequences per step', intOption('--batch-size'), 8)
    .option(
      '--context <n>',
      'tokens per sequence (default: the model context)',
      intOption('--context'),
    )
    .option('--languages <list>', 'languages of the default translation data', listOption)
    .option(
      '--checkpoint-every <n>',
      'steps between checkpoints',
      intOption('--checkpoint-every'),
      25,
    )
    .option('--resume', 'continue an interrupted run in --out')
    .option('--seed <n>', 'seed', intOption('--seed', 0), 0)
    .action(
      action(async (out, model, opts) => {
        const { finetuneCommand } = await import('./commands/finetune.js');
        await finetuneCommand(out, model as string, opts as never);
      }),
    );

  program
    .command('export')
    .description(
      'write a clean Hugging Face model folder (weights, tokenizer, generation config, model card); --adapter merges a LoRA adapter',
    )
    .argument('<model>', 'model folder, run folder or checkpoint')
    .requiredOption('-o, --out <dir>', 'the folder to write')
    .option('--adapter <dir>', 'a LoRA adapter folder (PEFT format) to merge into the weights')
    .addOption(
      new Option('--dtype <dtype>', 'weight dtype')
        .choices(['float32', 'float16', 'bfloat16'])
        .default('float32'),
    )
    .action(
      action(async (out, model, opts) => {
        const { exportCommand } = await import('./commands/export.js');
        await exportCommand(out, model as string, opts as never);
      }),
    );

  program
    .command('card')
    .description(
      'write the model card (MODEL_CARD.md, model/README.md), datasheet and EU AI Act training-content summary of a run folder',
    )
    .argument('<runDir>', 'a run folder (runs/<name>)')
    .option('--provider <name>', 'provider name for the card and the AI Act summary')
    .option('--contact <address>', 'provider contact')
    .option('--license <id>', 'licence of the weights (SPDX id)')
    .option('--model-name <name>', 'the model name (default: the run name)')
    .action(
      action(async (out, runDir, opts) => {
        const { cardCommand } = await import('./commands/card.js');
        await cardCommand(out, runDir as string, opts as never);
      }),
    );
}

/** Runs `oellm` with `argv` (node, script, ...args); resolves to the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    return reportError(e, argv);
  }
}

/** Prints an error the way the user asked for (text on stderr, or JSON on stdout) and returns its exit code. */
export function reportError(e: unknown, argv: string[]): number {
  if (e instanceof CommanderError) {
    // commander has printed the message (or the help / version) already
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0)
      return EXIT.ok;
    return EXIT.usage;
  }
  const json = argv.includes('--json');
  const code = e instanceof CliError ? e.exitCode : EXIT.failure;
  const message = e instanceof Error ? e.message : String(e);
  const hint = e instanceof CliError ? e.hint : undefined;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: { message, hint: hint ?? null, exitCode: code, kind: e instanceof Error ? e.name : typeof e } }, null, 2)}\n`,
    );
  }
  const out = new Output({ color: argv.includes('--no-color') ? false : undefined });
  const label = code === EXIT.usage ? 'error' : code === EXIT.interrupted ? 'interrupted' : 'error';
  process.stderr.write(`${out.style('red', `oellm: ${label}:`)} ${message}\n`);
  if (hint) process.stderr.write(`${out.style('dim', `hint: ${hint}`)}\n`);
  if (!(e instanceof CliError) && process.env.OELLM_DEBUG && e instanceof Error && e.stack) {
    process.stderr.write(`${e.stack}\n`);
  }
  return code;
}

export { UsageError };
