/**
 * The run folder, `runs/<name>/`: everything a run made, in one place.
 *
 * ```text
 * config.yaml                 the resolved run config (defaults filled in)
 * run.json                    status, timings, backend, versions (updated as the run goes)
 * tokenizer/                  tokenizer.json, tokenizer_config.json
 * data/corpus.train.*         packed training data (Megatron .bin/.idx, .json, .docs.jsonl)
 * data/corpus.validation.*    held-out data
 * data/corpus.ledger.jsonl    provenance ledger of the data preparation
 * metrics.jsonl               one JSON line per logged step / evaluation
 * checkpoints/step-NNNNNNNN/  training checkpoints (Hugging Face folder + optimizer + state)
 * model/                      the final model as a Hugging Face folder (+ README.md model card)
 * eval.json, eval.md          per-language evaluation
 * report.html                 the evaluation and training curves, one self-contained page
 * MODEL_CARD.md, datasheet.md, training-content-summary.{md,json}
 * ```
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const RUN_FILES = {
  config: 'config.yaml',
  status: 'run.json',
  tokenizer: 'tokenizer',
  dataPrefix: join('data', 'corpus'),
  metrics: 'metrics.jsonl',
  checkpoints: 'checkpoints',
  model: 'model',
  evalJson: 'eval.json',
  evalMarkdown: 'eval.md',
  report: 'report.html',
  card: 'MODEL_CARD.md',
  datasheet: 'datasheet.md',
  summaryMarkdown: 'training-content-summary.md',
  summaryJson: 'training-content-summary.json',
} as const;

export const RUN_STATUS_FORMAT = 'oellm-run';
export const RUN_STATUS_VERSION = 1;

export interface RunStatus {
  format: typeof RUN_STATUS_FORMAT;
  version: typeof RUN_STATUS_VERSION;
  name: string;
  state: 'preparing' | 'training' | 'interrupted' | 'trained' | 'failed';
  createdAt: string;
  updatedAt: string;
  /** Seconds per phase (tokenizer, data, train, eval, …) over all sessions. */
  seconds: Record<string, number>;
  steps?: number;
  backend?: Record<string, unknown>;
  versions?: Record<string, string | null>;
  [key: string]: unknown;
}

/** Paths of a run folder. */
export class RunFolder {
  constructor(readonly dir: string) {}

  path(name: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[name]);
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  readStatus(): RunStatus | null {
    const p = this.path('status');
    if (!existsSync(p)) return null;
    try {
      return JSON.parse(readFileSync(p, 'utf8')) as RunStatus;
    } catch {
      return null;
    }
  }

  /** Merges `patch` into run.json (written atomically). */
  updateStatus(patch: Partial<RunStatus>): RunStatus {
    const now = new Date().toISOString();
    const old = this.readStatus();
    const next: RunStatus = {
      format: RUN_STATUS_FORMAT,
      version: RUN_STATUS_VERSION,
      name: patch.name ?? old?.name ?? '',
      state: patch.state ?? old?.state ?? 'preparing',
      createdAt: old?.createdAt ?? now,
      ...old,
      ...patch,
      seconds: { ...old?.seconds, ...patch.seconds },
      updatedAt: now,
    };
    writeFileAtomic(this.path('status'), `${JSON.stringify(next, null, 2)}\n`);
    return next;
  }

  /** Adds seconds to a phase's time in run.json. */
  addSeconds(phase: string, seconds: number): void {
    const old = this.readStatus()?.seconds?.[phase] ?? 0;
    this.updateStatus({ seconds: { [phase]: round(old + seconds) } });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Writes a file through a temporary name and a rename, so readers never see half of it. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
