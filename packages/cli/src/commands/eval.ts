/** `oellm eval <model>`: per-language perplexity and bits per byte, samples, report.html. */
import { join } from 'node:path';
import { evaluateModel, writeEvalOutputs } from '../eval-run.js';
import { loadModelSource } from '../model-source.js';
import { type Output, table } from '../output.js';
import { RUN_FILES } from '../run-folder.js';

export interface EvalCommandOptions {
  languages?: string[];
  maxBytes?: number;
  files?: string[];
  out?: string;
  sampleTokens?: number;
  samples?: boolean;
  seed?: number;
}

export async function evalCommand(
  out: Output,
  modelPath: string,
  o: EvalCommandOptions,
): Promise<void> {
  const m = loadModelSource(modelPath);
  const r = await evaluateModel(
    m,
    {
      languages: o.languages,
      maxBytesPerLanguage: o.maxBytes ?? 6000,
      files: o.files,
      sampleTokens: o.sampleTokens ?? 40,
      sampleLanguages: o.samples === false ? [] : undefined,
      seed: o.seed,
    },
    out,
  );
  const dir = o.out ?? m.runDir ?? join(modelPath, 'eval');
  const paths = writeEvalOutputs(r, dir, m.runDir ? join(m.runDir, RUN_FILES.metrics) : null);
  out.result({ ...r, files: paths }, () => {
    out.print(
      table([
        ['lang', 'texts', 'tokens', 'perplexity', 'bits/byte'],
        ...[...r.perplexity.languages, r.perplexity.all].map((l) => [
          l.lang,
          String(l.texts),
          String(l.tokens),
          l.perplexity.toFixed(2),
          l.bitsPerByte.toFixed(3),
        ]),
      ]),
    );
    if (r.samples.length) {
      out.print();
      for (const s of r.samples)
        out.print(`${out.style('bold', s.lang)}  ${s.prompt}${out.style('cyan', s.completion)}`);
    }
    out.print(`\nreport: ${paths.html}  ·  ${paths.json}  ·  ${paths.markdown}`);
  });
}
