// LoRA instruction tuning: a base model (made here by `oellm quickstart`), translation
// instructions between EU languages built from real parallel text (the UDHR articles of the
// embedded corpus), LoRA adapters on the attention projections, a PEFT adapter folder, and a
// merged Hugging Face model that chats.
//
//   node finetune.mjs           # base model from the full quickstart, 150 LoRA steps
//   node finetune.mjs --smoke   # a tiny base model and a few steps (what `npm test` runs)
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LoaderSource,
  loadModelSource,
  main,
  parallelArticles,
  translationInstructions,
} from '@openeurollm/cli';
import { IndexedDataset, packChatDataset, readChatJsonl } from '@openeurollm/data';
import {
  applyLora,
  loadModel,
  loraParameters,
  mergeLora,
  saveLoraAdapter,
  saveModel,
} from '@openeurollm/nn';
import { AdamW, cosineSchedule, Trainer } from '@openeurollm/optim';
import { noGrad } from '@openeurollm/tensor';

const smoke = process.argv.includes('--smoke');
const work = mkdtempSync(join(tmpdir(), 'oellm-lora-'));
process.chdir(work);

// 1. a base model: the CLI is a library too (the same as running `oellm quickstart --tiny`)
const code = await main(['node', 'oellm', '--quiet', 'quickstart', ...(smoke ? ['--tiny'] : [])]);
assert.equal(code, 0);
const base = loadModelSource(join('runs', smoke ? 'tiny' : 'quickstart'));
const { model, tokenizer } = base;

// 2. instructions from parallel text: "Translate from English to German:\n<article>" -> the German article
const languages = smoke ? ['en', 'de'] : ['en', 'de', 'fr', 'es', 'it', 'pl'];
const examples = translationInstructions(await parallelArticles(), { languages });
writeFileSync('instructions.jsonl', `${examples.map((e) => JSON.stringify(e)).join('\n')}\n`);
console.log(
  `${examples.length} conversations, e.g.`,
  JSON.stringify(examples[0].messages[0].content.slice(0, 60)),
);

// 3. packed with the tokenizer's chat template; the loss mask keeps only the assistant's turns
const { datasets } = await packChatDataset(readChatJsonl('instructions.jsonl'), tokenizer, {
  outPrefix: 'chat',
});
console.log(`packed ${datasets[0].documents} conversations, ${datasets[0].tokens} tokens`);
const dataset = IndexedDataset.open('chat');

// 4. LoRA on the attention's query and value projections; only A and B train
const before = noGrad(() => model.forward([[1, 2, 3]]).data());
const info = applyLora(model, { rank: 8, alpha: 16, targets: ['q_proj', 'v_proj'], seed: 0 });
console.log(
  `LoRA on ${info.modules.length} layers: ${info.trainableParameters} of ${info.totalParameters} parameters train`,
);
const steps = smoke ? 8 : 150;
const trainer = new Trainer({
  model,
  data: new LoaderSource(dataset, {
    batchSize: smoke ? 2 : 8,
    contextLength: model.config.contextLength,
    seed: 0,
  }),
  optimizer: new AdamW(Object.entries(loraParameters(model)), { lr: 2e-3, weightDecay: 0 }),
  schedule: cosineSchedule({ warmupSteps: 2, totalSteps: steps }),
  maxSteps: steps,
  maxGradNorm: 1,
  outDir: 'lora-run',
});
const s = await trainer.train();
console.log(`LoRA: ${s.steps} steps, loss ${s.loss.toFixed(3)}`);

// 5. the adapter as PEFT writes it, then merged into the weights for a plain Hugging Face folder
saveLoraAdapter(model, 'adapter', { baseModelName: base.modelDir });
mergeLora(model);
saveModel(model, 'merged', { tokenizer });
const merged = loadModel('merged');
const after = noGrad(() => merged.forward([[1, 2, 3]]).data());
assert.notDeepEqual(Array.from(after), Array.from(before), 'the adapter changed the model');

// 6. ask it (a model this small answers in the right language at best)
const prompt = tokenizer.applyChatTemplate(
  [{ role: 'user', content: 'Translate from English to German:\nAll human beings are born free' }],
  { addGenerationPrompt: true },
);
const [ids] = merged.generate(tokenizer.encodeIds(prompt), {
  maxNewTokens: 24,
  temperature: 0.7,
  topK: 20,
  seed: 0,
});
console.log(
  'answer:',
  JSON.stringify(
    tokenizer.decode(ids.slice(tokenizer.encodeIds(prompt).length), { skipSpecialTokens: true }),
  ),
);
console.log(`done in ${work}`);
dataset.close();
