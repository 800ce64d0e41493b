import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the browser-safe core; node: core + files (task files, metrics.jsonl, reports)
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // no code splitting: tsup's split CommonJS output turns `import('vega')` into
  // `require('vega')`, which fails (vega is ESM with top-level await); esbuild's own CommonJS
  // output keeps the dynamic import. In Node both module systems load node.*, so nothing is
  // loaded twice.
  splitting: false,
  shims: true,
  external: [/^node:/, /^@openeurollm\//, 'vega', 'vega-lite', 'hyparquet'],
});
