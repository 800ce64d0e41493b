// Train a small multilingual language model with the OpenEuroLLM packages as a library:
// embedded corpus -> tokenizer -> data pipeline with a ledger -> packed dataset -> CausalLM
// trained by the optim Trainer (checkpoints, metrics.jsonl) -> samples -> Hugging Face folder.
//
//   node train.mjs            # ~1 minute on a laptop CPU
//   node train.mjs --smoke    # a few seconds (what `npm test` runs)
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  euCorpus,
  euCorpusDocuments,
  exactDedup,
  IndexedDataset,
  identifyLanguage,
  normalize,
  packIndexedDataset,
  pipeline,
  qualityFilter,
  splitByHash,
  trainingContentSummary,
} from '@openeurollm/data';
import { CausalLM, loadModel, saveModel } from '@openeurollm/nn';
import { AdamW, cosineSchedule, paramGroups, Trainer } from '@openeurollm/optim';
import { getBackend, manualSeed, tensor } from '@openeurollm/tensor';
import { trainBpeTokenizer } from '@openeurollm/tokenizer';

const smoke = process.argv.includes('--smoke');
const languages = smoke ? ['en', 'de'] : ['en', 'de', 'fr', 'it', 'es', 'pl'];
const out = mkdtempSync(join(tmpdir(), 'oellm-example-'));
console.log(`backend: ${getBackend().name}; output in ${out}`);

// 1. a tokenizer trained on the corpus's train split (languages weighted equally by default)
const docs = await euCorpusDocuments({ split: 'train', languages });
const tokenizer = await trainBpeTokenizer(docs, {
  vocabSize: smoke ? 400 : 2048,
  specialTokens: ['<|endoftext|>'],
});

// 2. the data pipeline: every stage records what it kept and removed in the ledger
const p = pipeline(
  euCorpus({ languages }),
  normalize(),
  identifyLanguage({ threshold: 0.5 }),
  qualityFilter(),
  exactDedup(),
  splitByHash({ validation: 0.05 }),
);
const { ledger } = await packIndexedDataset(p, tokenizer, {
  outPrefix: join(out, 'corpus'),
  bySplit: true,
});
console.log('documents kept:', ledger.totals().out.docs, 'of', ledger.totals().records);

// 3. batches for the Trainer: any object with next(), state() and setState() will do
const contextLength = smoke ? 32 : 64;
const batchSize = smoke ? 4 : 16;
class Windows {
  constructor(dataset, seed) {
    this.dataset = dataset;
    this.loader = dataset.loader({ batchSize, contextLength, seed });
  }
  next() {
    const { tokens, shape } = this.loader.next(); // [batchSize, contextLength + 1]
    const rows = Array.from({ length: shape[0] }, (_, b) =>
      Array.from(tokens.subarray(b * shape[1], (b + 1) * shape[1])),
    );
    return {
      input: tensor(
        rows.map((r) => r.slice(0, -1)),
        { dtype: 'int32' },
      ),
      target: tensor(
        rows.map((r) => r.slice(1)),
        { dtype: 'int32' },
      ),
    };
  }
  state() {
    return this.loader.state();
  }
  setState(state) {
    this.loader = this.dataset.loader({ batchSize, contextLength, state });
  }
}
const train = IndexedDataset.open(join(out, 'corpus.train'));

// 4. the model and the training loop
manualSeed(0);
const model = new CausalLM({
  arch: 'llama',
  vocabSize: tokenizer.vocabSize,
  contextLength,
  dModel: smoke ? 32 : 96,
  nLayers: smoke ? 1 : 2,
  nHeads: 4,
  tieEmbeddings: true,
  eosTokenId: tokenizer.tokenToId('<|endoftext|>'),
});
const steps = smoke ? 20 : 400;
const trainer = new Trainer({
  model,
  data: new Windows(train, 0),
  optimizer: new AdamW(paramGroups(model, { weightDecay: 0.1 }), { lr: 1e-2, betas: [0.9, 0.95] }),
  schedule: cosineSchedule({
    warmupSteps: Math.floor(steps / 20),
    totalSteps: steps,
    minLrRatio: 0.1,
  }),
  maxSteps: steps,
  maxGradNorm: 1,
  checkpointEvery: Math.floor(steps / 2),
  outDir: join(out, 'run'),
  onLog: (r) => {
    if (r.step % Math.floor(steps / 5) === 0)
      console.log(`step ${r.step}: loss ${r.loss.toFixed(3)}`);
  },
});
const summary = await trainer.train();
console.log(`trained ${summary.steps} steps, ${Math.round(summary.tokensPerSecond)} tokens/s`);

// 5. samples, and the model as a Hugging Face folder (with the tokenizer)
for (const prompt of ['All human beings', 'Alle Menschen']) {
  const [ids] = model.generate(tokenizer.encodeIds(prompt), {
    maxNewTokens: 16,
    temperature: 0.8,
    topK: 40,
    seed: 1,
  });
  console.log(`${prompt} -> ${tokenizer.decode(ids)}`);
}
saveModel(model, join(out, 'model'), { tokenizer });
const again = loadModel(join(out, 'model'));
assert.equal(again.config.vocabSize, tokenizer.vocabSize);
assert.ok(
  summary.loss < Math.log(tokenizer.vocabSize),
  'the loss went below that of a uniform guess',
);

// 6. the EU AI Act public summary of the training content, from the ledger
const { json } = trainingContentSummary(ledger, { model: { name: 'example' } });
console.log('languages in the summary:', json.general.modalities.text.languages.length);
train.close();
