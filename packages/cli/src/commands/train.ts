/** `oellm train [config]`: train (or resume) a run described by a YAML/JSON run config. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { chooseBackend, describeBackend } from '../backend.js';
import { applyOverrides, loadRunConfig, type RunConfig, resolveRunConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { RUN_FILES } from '../run-folder.js';
import { stopOnSignals } from '../signals.js';
import { trainRun } from '../train-run.js';

export interface TrainCommandOptions {
  resume?: boolean | string;
  runsDir?: string;
  name?: string;
  set?: string[];
  steps?: number;
  backend?: string;
  threads?: number;
}

/** The config and run folder that `oellm train` arguments mean. */
export function resolveTrainTarget(
  configFile: string | undefined,
  o: TrainCommandOptions,
): { config: RunConfig; configDir: string; runDir: string } {
  const overrides = [...(o.set ?? [])];
  if (o.steps !== undefined) overrides.push(`training.steps=${o.steps}`);
  if (o.name !== undefined) overrides.push(`name=${o.name}`);
  if (!configFile) {
    if (typeof o.resume !== 'string') {
      throw new UsageError(
        'give a run config file (oellm train run.yaml), or a run folder to resume (oellm train --resume runs/<name>)',
      );
    }
    const runDir = o.resume;
    const file = join(runDir, RUN_FILES.config);
    if (!existsSync(file))
      throw new UsageError(
        `cannot resume: '${runDir}' is not a run folder (no ${RUN_FILES.config})`,
      );
    const raw = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
    return {
      config: resolveRunConfig(applyOverrides(raw, overrides), file),
      configDir: resolve(runDir),
      runDir,
    };
  }
  const config = loadRunConfig(configFile, overrides);
  const runDir = typeof o.resume === 'string' ? o.resume : join(o.runsDir ?? 'runs', config.name);
  return { config, configDir: dirname(resolve(configFile)), runDir };
}

export async function trainCommand(
  out: Output,
  configFile: string | undefined,
  o: TrainCommandOptions,
): Promise<void> {
  const { config, configDir, runDir } = resolveTrainTarget(configFile, o);
  const choice = await chooseBackend(o.backend ?? config.backend, o.threads ?? config.threads);
  out.note(`run ${config.name} in ${runDir}; backend ${describeBackend(choice)}: ${choice.reason}`);
  const signals = stopOnSignals(out);
  try {
    const r = await trainRun(
      {
        config,
        configDir,
        runDir,
        resume: o.resume !== undefined && o.resume !== false,
        stop: signals.stop,
      },
      out,
    );
    out.result({ ...r }, () => {
      out.print(
        `trained ${r.steps} steps in ${formatDuration(r.seconds)} (${formatCount(r.tokensPerSecond)} tokens/s): loss ${r.loss?.toFixed(3) ?? '-'}${r.evalLoss !== null ? `, validation loss ${r.evalLoss.toFixed(3)}` : ''}`,
      );
      out.print(`model: ${r.modelDir}`);
      out.print(
        `next: oellm generate ${runDir} "…"  ·  oellm eval ${runDir}  ·  oellm card ${runDir}`,
      );
    });
  } finally {
    signals.dispose();
  }
}
