/**
 * `oellm export <model> --out <dir>`: a clean Hugging Face folder (config.json,
 * model.safetensors, tokenizer files, generation_config.json, README.md) from a model, run or
 * checkpoint folder; with `--adapter`, the LoRA adapter merged into the weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTER_CONFIG_FILE, loadLoraAdapter, mergeLora, saveModel } from '@openeurollm/nn';
import { runDocuments } from '../card.js';
import { UsageError } from '../errors.js';
import { loadModelSource } from '../model-source.js';
import type { Output } from '../output.js';

export interface ExportOptions {
  out: string;
  adapter?: string;
  dtype?: 'float32' | 'float16' | 'bfloat16';
}

export async function exportCommand(
  out: Output,
  modelPath: string,
  o: ExportOptions,
): Promise<void> {
  const m = loadModelSource(modelPath);
  let merged: string[] = [];
  if (o.adapter) {
    if (!existsSync(join(o.adapter, ADAPTER_CONFIG_FILE))) {
      throw new UsageError(
        `--adapter '${o.adapter}' has no ${ADAPTER_CONFIG_FILE}`,
        'give the adapter folder that oellm finetune --lora wrote (<out>/adapter)',
      );
    }
    try {
      loadLoraAdapter(m.model, o.adapter);
    } catch (e) {
      throw new UsageError(`--adapter: ${(e as Error).message}`);
    }
    merged = mergeLora(m.model).modules;
  }
  const files: Record<string, string> = {};
  if (m.runDir) files['README.md'] = runDocuments(m.runDir).card;
  else if (existsSync(join(m.modelDir, 'README.md')))
    files['README.md'] = readFileSync(join(m.modelDir, 'README.md'), 'utf8');
  saveModel(m.model, o.out, { tokenizer: m.tokenizer, dtype: o.dtype ?? 'float32', files });
  out.result(
    {
      out: o.out,
      from: m.modelDir,
      adapter: o.adapter ?? null,
      mergedModules: merged,
      dtype: o.dtype ?? 'float32',
    },
    () => {
      out.print(
        `exported ${m.modelDir}${o.adapter ? ` + adapter ${o.adapter} (merged into ${merged.length} layers)` : ''} to ${o.out} (${o.dtype ?? 'float32'})`,
      );
      out.print(
        'load it in Python: AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)',
      );
    },
  );
}
