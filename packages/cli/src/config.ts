/**
 * Run configs: one YAML or JSON file that says what data, tokenizer, model and training a run
 * uses. Validated with a zod schema: an unknown key or a wrong type is an error that names the
 * key path, what was expected and what was found. Defaults are filled in; the resolved config
 * is written into the run folder so a run can be repeated and resumed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { EU_LANGUAGES } from '@openeurollm/data';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from './errors.js';

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const fraction = z.number().min(0).max(1);
const language = z.enum(EU_LANGUAGES as unknown as [string, ...string[]]);

export const dataConfigSchema = z.strictObject({
  /** The embedded 24-language corpus ('eu24'); used when no `files` are given. */
  corpus: z.enum(['eu24']).optional(),
  /** Text, JSONL, gzip or Parquet files, folders or globs (relative to the config file). */
  files: z.array(z.string()).optional(),
  /** Licence recorded for documents read from `files` (the corpus carries its own). */
  license: z.string().optional(),
  /** Keep only these languages (ISO 639-1 codes of the EU languages). Default: all 24. */
  languages: z.array(language).min(1).optional(),
  /** Share of documents held out for validation (by document hash). */
  validation: fraction.default(0.05),
  /** Pipeline stages to run; each records what it kept and removed in the ledger. */
  stages: z
    .strictObject({
      normalize: z.boolean().default(true),
      identifyLanguage: z.boolean().default(true),
      quality: z.boolean().default(true),
      pii: z.boolean().default(true),
      dedup: z.boolean().default(true),
      nearDedup: z.boolean().default(true),
    })
    .prefault({}),
});

export const tokenizerConfigSchema = z.strictObject({
  /** An existing tokenizer.json (or a folder holding one); otherwise one is trained. */
  path: z.string().optional(),
  /** Vocabulary of a trained tokenizer (special tokens and 256 bytes included). */
  vocabSize: z.number().int().min(300).max(1_000_000).default(4096),
  /** A pair is merged only when seen at least this often. */
  minFrequency: posInt.default(2),
  /** Give every language the same weight in training, whatever its share of the text. */
  balanceLanguages: z.boolean().default(true),
  /** Special tokens, ids 0..n-1; the first ends a document. */
  specialTokens: z
    .array(z.string().min(1))
    .min(1)
    .default(['<|endoftext|>', '<|im_start|>', '<|im_end|>']),
});

export const modelConfigSchema = z.strictObject({
  arch: z.enum(['llama', 'gpt2']).default('llama'),
  contextLength: posInt.default(128),
  dModel: posInt.default(128),
  nLayers: posInt.default(4),
  nHeads: posInt.default(4),
  nKvHeads: posInt.optional(),
  ffnHidden: posInt.optional(),
  ropeTheta: z.number().positive().optional(),
  tieEmbeddings: z.boolean().default(true),
  dropout: z.number().min(0).lt(1).default(0),
});

export const trainingConfigSchema = z.strictObject({
  /** Optimizer steps in all (a resumed run continues up to it). */
  steps: posInt.default(300),
  batchSize: posInt.default(8),
  gradAccumulation: posInt.default(1),
  /** Peak learning rate of AdamW. */
  lr: z.number().positive().default(3e-3),
  /** The schedule ends at lr * minLrRatio. */
  minLrRatio: fraction.default(0.1),
  warmupSteps: nonNegInt.default(20),
  schedule: z.enum(['cosine', 'linear', 'constant', 'wsd']).default('cosine'),
  weightDecay: z.number().min(0).default(0.1),
  /** Clip the gradient norm to this; 0 turns clipping off. */
  maxGradNorm: z.number().min(0).default(1),
  logEvery: posInt.default(1),
  /** Evaluate on held-out batches every this many steps (and at the end). */
  evalEvery: posInt.optional(),
  evalBatches: posInt.default(4),
  checkpointEvery: posInt.default(50),
  keepCheckpoints: posInt.default(2),
});

export const evalConfigSchema = z.strictObject({
  /** Languages to report (default: every language of the validation split). */
  languages: z.array(language).min(1).optional(),
  /** Validation text per language scored, in UTF-8 bytes. */
  maxBytesPerLanguage: posInt.default(6000),
  /** Prompts for the samples in the report, by language. */
  prompts: z.record(z.string(), z.string()).optional(),
  /** New tokens per sample. */
  sampleTokens: posInt.default(40),
});

export const runConfigSchema = z.strictObject({
  /** The run folder is runs/<name>/. */
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'letters, digits, ".", "_" and "-", starting with a letter or digit',
    )
    .default('run'),
  seed: z.number().int().default(0),
  /** Tensor backend ('native', 'js', …); default the fastest that loads. */
  backend: z.string().optional(),
  /** Threads of the native backend; default all cores (or OELLM_NUM_THREADS). */
  threads: posInt.optional(),
  data: dataConfigSchema.prefault({}),
  tokenizer: tokenizerConfigSchema.prefault({}),
  model: modelConfigSchema.prefault({}),
  training: trainingConfigSchema.prefault({}),
  eval: evalConfigSchema.prefault({}),
});

/** A run config as written (every key optional). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
/** A run config with its defaults filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;

/** What a value is, for error messages: `string "abc"`, `array`, `null`. */
function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string')
    return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function pathString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || '(top level)';
}

/** The keys a strict object schema at `path` allows. */
function allowedKeys(path: readonly PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal shape
  let schema: any = runConfigSchema;
  for (const k of path) {
    while (schema?.def?.innerType) schema = schema.def.innerType;
    schema = schema?.shape?.[k as string];
    if (!schema) return [];
  }
  while (schema?.def?.innerType) schema = schema.def.innerType;
  return schema?.shape ? Object.keys(schema.shape) : [];
}

/** One line per problem: `model.dModel: expected an integer > 0, got string "big"`. */
export function formatConfigIssues(error: z.ZodError, input: unknown): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const found = valueAt(input, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          lines.push(
            `${pathString([...issue.path, key])}: unknown key (allowed here: ${allowedKeys(issue.path).join(', ')})`,
          );
        }
        break;
      case 'invalid_type': {
        const expected =
          issue.expected === 'int'
            ? 'an integer'
            : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
        lines.push(`${pathString(issue.path)}: expected ${expected}, got ${describeValue(found)}`);
        break;
      }
      case 'invalid_value':
        lines.push(
          `${pathString(issue.path)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(found)}`,
        );
        break;
      case 'too_small':
      case 'too_big': {
        const op =
          issue.code === 'too_small'
            ? issue.inclusive
              ? '>='
              : '>'
            : issue.inclusive
              ? '<='
              : '<';
        const bound = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
        const what =
          issue.origin === 'array'
            ? `an array with length ${op} ${bound}`
            : issue.origin === 'string'
              ? `a string with length ${op} ${bound}`
              : `a number ${op} ${bound}`;
        lines.push(`${pathString(issue.path)}: expected ${what}, got ${describeValue(found)}`);
        break;
      }
      default:
        lines.push(`${pathString(issue.path)}: ${issue.message}, got ${describeValue(found)}`);
    }
  }
  return lines;
}

/** Validates a parsed config object; throws a UsageError listing every problem. */
export function resolveRunConfig(input: unknown, source = 'run config'): RunConfig {
  const parsed = runConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const lines = formatConfigIssues(parsed.error, input);
    throw new UsageError(
      `${source}: ${lines.length === 1 ? lines[0] : `${lines.length} problems:\n  ${lines.join('\n  ')}`}`,
      'see `oellm train --help` and docs/packages/cli.md for the run config keys',
    );
  }
  const c = parsed.data;
  if (c.model.dModel % c.model.nHeads !== 0) {
    throw new UsageError(
      `${source}: model.dModel (${c.model.dModel}) must be divisible by model.nHeads (${c.model.nHeads})`,
    );
  }
  if (c.model.nKvHeads !== undefined && c.model.nHeads % c.model.nKvHeads !== 0) {
    throw new UsageError(
      `${source}: model.nHeads (${c.model.nHeads}) must be divisible by model.nKvHeads (${c.model.nKvHeads})`,
    );
  }
  if (c.data.files && c.data.corpus) {
    throw new UsageError(`${source}: data.corpus and data.files exclude each other; give one`);
  }
  return c;
}

/** Parses YAML or JSON text (by extension; YAML is a superset of JSON, so unknown means YAML). */
export function parseConfigText(text: string, file: string): unknown {
  const ext = extname(file).toLowerCase();
  try {
    return ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(
      `${file}: not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/** Reads, parses and validates a run config file, applying `--set key=value` overrides. */
export function loadRunConfig(file: string, overrides: string[] = []): RunConfig {
  if (!existsSync(file)) {
    throw new UsageError(
      `config file '${file}' does not exist`,
      'write one (see `oellm train --help`) or run `oellm quickstart`',
    );
  }
  const raw = parseConfigText(readFileSync(file, 'utf8'), file) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(
      `${file}: expected a mapping of keys (name, data, tokenizer, model, training, eval), got ${describeValue(raw)}`,
    );
  }
  return resolveRunConfig(applyOverrides(raw as Record<string, unknown>, overrides), file);
}

/**
 * Applies `key.path=value` overrides (values parsed as YAML: `training.steps=20`,
 * `data.languages=[en,fr]`) to a config object, in place; returns it.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  overrides: string[],
): Record<string, unknown> {
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`--set ${o}: expected key.path=value (e.g. training.steps=20)`);
    const keys = o.slice(0, eq).split('.');
    let value: unknown;
    try {
      value = parseYaml(o.slice(eq + 1));
    } catch {
      value = o.slice(eq + 1);
    }
    let obj = raw;
    for (const k of keys.slice(0, -1)) {
      if (obj[k] === undefined) obj[k] = {};
      if (typeof obj[k] !== 'object' || obj[k] === null || Array.isArray(obj[k])) {
        throw new UsageError(`--set ${o}: '${k}' is not a mapping`);
      }
      obj = obj[k] as Record<string, unknown>;
    }
    obj[keys[keys.length - 1]] = value;
  }
  return raw;
}

/** The resolved config as YAML, with a header saying what it is. */
export function runConfigToYaml(config: RunConfig): string {
  return `# resolved run config written by oellm (defaults filled in)\n${stringifyYaml(config)}`;
}
