/**
 * `npm run bench [-- name...]`: side-by-side benchmarks against the anchors, in one run.
 * Not tests: figures go into closing notes and docs, never into assertions.
 */
import os from 'node:os';
import { benchData } from './data.js';
import { benchGpt } from './gpt.js';
import { benchMatmul } from './matmul.js';
import { benchSgemm } from './sgemm.js';
import { benchTokenizer } from './tokenizer.js';

const suites: Record<string, () => void | Promise<void>> = {
  matmul: () => benchMatmul('js'),
  sgemm: () => benchSgemm(),
  gpt: () => benchGpt(),
  tokenizer: () => benchTokenizer(),
  data: () => benchData(),
  gpu: async () => (await import('./gpu.js')).benchGpu(),
  eval: async () => (await import('./eval.js')).benchEval(),
};

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = asked.length > 0 ? asked : Object.keys(suites);
console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${os.platform()}-${os.arch()}`,
);
for (const name of names) {
  const run = suites[name];
  if (!run) {
    console.error(`bench: unknown suite '${name}'; available: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  await run();
}
