/** `oellm generate <model> [prompt...]`: continue a prompt, streaming tokens to stdout. */
import { readFileSync } from 'node:fs';
import { checkSampling } from '@openeurollm/nn';
import { UsageError } from '../errors.js';
import { streamTokens, TextStreamer } from '../generation.js';
import { loadModelSource } from '../model-source.js';
import { formatDuration, type Output } from '../output.js';

export interface SamplingCliOptions {
  maxTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

export function samplingFrom(o: SamplingCliOptions) {
  const s = { temperature: o.temperature ?? 0.8, topK: o.topK ?? 40, topP: o.topP ?? 1 };
  try {
    checkSampling(s);
  } catch (e) {
    throw new UsageError(
      (e as Error).message
        .replace(/^generate: /, '--')
        .replace('topK', 'top-k')
        .replace('topP', 'top-p'),
    );
  }
  return { ...s, maxNewTokens: o.maxTokens ?? 64, seed: o.seed ?? 0 };
}

export async function generateCommand(
  out: Output,
  modelPath: string,
  promptWords: string[],
  o: SamplingCliOptions & { samples?: number },
): Promise<void> {
  let prompt = promptWords.join(' ');
  if (prompt === '-' || (promptWords.length === 0 && !process.stdin.isTTY))
    prompt = readFileSync(0, 'utf8').replace(/\n$/, '');
  if (prompt.length === 0)
    throw new UsageError('give a prompt: oellm generate <model> "Once upon a time"');
  const sampling = samplingFrom(o);
  const m = loadModelSource(modelPath);
  const ids = m.tokenizer.encodeIds(prompt, { addSpecialTokens: false });
  if (ids.length === 0) throw new UsageError('the prompt encodes to no tokens');
  const n = o.samples ?? 1;
  const results: { text: string; tokens: number; seconds: number }[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const streamer = new TextStreamer((x) => m.tokenizer.decode(x, { skipSpecialTokens: true }));
    out.write(prompt);
    let tokens = 0;
    for (const id of streamTokens(m.model, ids, { ...sampling, seed: sampling.seed + i })) {
      tokens += 1;
      out.write(out.color ? out.style('cyan', streamer.push(id)) : streamer.push(id));
    }
    out.write(`${streamer.flush()}\n`);
    const seconds = (performance.now() - t0) / 1000;
    results.push({ text: streamer.text, tokens, seconds });
    out.note(
      out.style(
        'dim',
        `${tokens} tokens in ${formatDuration(seconds)} (${(tokens / Math.max(seconds, 1e-9)).toFixed(1)} tokens/s)`,
      ),
    );
  }
  out.result({ prompt, model: m.modelDir, sampling, completions: results });
}
