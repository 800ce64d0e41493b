// Makes the model the page loads: a tokenizer and a tiny Llama trained for a few seconds on the
// embedded corpus, saved as a Hugging Face folder in model/, plus the text Node generates from
// the page's default prompt (the oracle the browser test compares with).
import { mkdirSync, writeFileSync } from 'node:fs';
import { euCorpusDocuments } from '@openeurollm/data';
import { CausalLM, saveModel } from '@openeurollm/nn';
import { AdamW } from '@openeurollm/optim';
import { manualSeed, tensor } from '@openeurollm/tensor';
import { trainBpeTokenizer } from '@openeurollm/tokenizer';

const docs = await euCorpusDocuments({ split: 'train', languages: ['en', 'de', 'fr'] });
const tokenizer = await trainBpeTokenizer(docs, {
  vocabSize: 512,
  specialTokens: ['<|endoftext|>'],
});
manualSeed(0);
const T = 32;
const model = new CausalLM({
  arch: 'llama',
  vocabSize: tokenizer.vocabSize,
  contextLength: 64,
  dModel: 32,
  nLayers: 2,
  nHeads: 4,
  tieEmbeddings: true,
});
const ids = docs.flatMap((d) => tokenizer.encodeIds(d.text).concat([0]));
const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
for (let step = 0; step < 60; step++) {
  const rows = Array.from({ length: 8 }, (_, b) => {
    const start = ((step * 8 + b) * 997) % (ids.length - T - 1);
    return ids.slice(start, start + T + 1);
  });
  const loss = model.loss(
    tensor(
      rows.map((r) => r.slice(0, T)),
      { dtype: 'int32' },
    ),
    tensor(
      rows.map((r) => r.slice(1)),
      { dtype: 'int32' },
    ),
  );
  loss.backward();
  optimizer.step();
  optimizer.zeroGrad();
}
saveModel(model, 'model', { tokenizer });
const prompt = 'All human beings';
const [out] = model.generate(tokenizer.encodeIds(prompt), {
  maxNewTokens: 24,
  temperature: 0.8,
  topK: 40,
  seed: 0,
});
mkdirSync('dist', { recursive: true });
writeFileSync(
  'dist/expected.json',
  `${JSON.stringify({ prompt, seed: 0, text: tokenizer.decode(out, { skipSpecialTokens: true }) }, null, 2)}\n`,
);
console.log(
  'model/ written; Node generates:',
  JSON.stringify(tokenizer.decode(out, { skipSpecialTokens: true })),
);
