import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the browser-safe core; node: core + the native backend; testing: gradcheck & co.;
  // gpu: the opt-in gpu.js backend (gpu.js is an optional peer, never bundled)
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    testing: 'src/testing/index.ts',
    gpu: 'src/gpu.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  splitting: true,
  shims: true,
  external: [/^node:/, 'node-gyp-build', 'gpu.js'],
});
