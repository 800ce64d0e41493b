/** Runs the GPT training-step benchmark in its own process (clean peak RSS); prints JSON. */
import { causalLmStep, gptStep } from './gpt-step.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const run = arg('impl', 'ops') === 'causallm' ? causalLmStep : gptStep;
const result = run({ steps: Number(arg('steps', '5')), backend: arg('backend', 'native') });
console.log(JSON.stringify(result));
