import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the browser-safe core; node: core + file I/O
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  splitting: true,
  shims: true,
  external: [/^node:/, /^@openeurollm\//],
});
