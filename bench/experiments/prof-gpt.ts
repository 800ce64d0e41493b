/**
 * Profiling helper: a few GPT steps on one backend (default native), for
 * `node --import tsx --cpu-prof bench/experiments/prof-gpt.ts [backend]`.
 */
import { gptStep } from '../gpt-step.js';

console.log(gptStep({ steps: 3, backend: process.argv[2] ?? 'native' }));
