// Runs in the browser: fetches a model folder (config.json, model.safetensors, tokenizer.json),
// rebuilds the model and the tokenizer from the packages' browser-safe cores, and generates.
import { CausalLM, fromHfConfig, loadTensors } from '@openeurollm/nn';
import { getBackend } from '@openeurollm/tensor';
import { Tokenizer } from '@openeurollm/tokenizer';

const $ = (id) => document.getElementById(id);

async function fetchModel(base) {
  const get = async (name, as) => {
    const res = await fetch(`${base}/${name}`);
    if (!res.ok) throw new Error(`${base}/${name}: HTTP ${res.status}`);
    return as === 'json' ? res.json() : new Uint8Array(await res.arrayBuffer());
  };
  const [config, tokenizerJson, weights] = await Promise.all([
    get('config.json', 'json'),
    get('tokenizer.json', 'json'),
    get('model.safetensors', 'bytes'),
  ]);
  const model = new CausalLM(fromHfConfig(config));
  const state = loadTensors(weights);
  if (model.config.tieEmbeddings) delete state['lm_head.weight'];
  model.loadStateDict(state, { strict: false });
  return { model, tokenizer: Tokenizer.fromJSON(tokenizerJson) };
}

/** Continues `prompt`; the same seed gives the same text as in Node. */
export function continueText({ model, tokenizer }, prompt, { maxNewTokens = 24, seed = 0 } = {}) {
  const ids = tokenizer.encodeIds(prompt);
  const [out] = model.generate(ids, { maxNewTokens, temperature: 0.8, topK: 40, seed });
  return tokenizer.decode(out, { skipSpecialTokens: true });
}

async function start() {
  const t0 = performance.now();
  const loaded = await fetchModel('model');
  $('status').textContent =
    `model loaded in ${Math.round(performance.now() - t0)} ms on the ${getBackend().name} backend`;
  const run = () => {
    const t = performance.now();
    $('output').textContent = continueText(loaded, $('prompt').value, {
      seed: Number($('seed').value),
    });
    $('timing').textContent = `${Math.round(performance.now() - t)} ms`;
  };
  $('go').addEventListener('click', run);
  run();
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  $('status').textContent = `error: ${e.message}`;
  document.body.dataset.error = e.message;
});
