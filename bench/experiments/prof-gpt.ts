import { gptStep } from '../gpt-step.js';
console.log(gptStep({ steps: 3, backend: process.env.B ?? 'native' }));
