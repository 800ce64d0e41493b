import { defineConfig } from 'tsup';

export default defineConfig({
  // index: the library (run configs, model cards, the commands as functions);
  // cli: the `oellm` executable (src/cli.ts starts with a shebang, which esbuild keeps)
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  shims: true,
  external: [/^@openeurollm\//, 'commander', 'yaml', 'zod'],
});
