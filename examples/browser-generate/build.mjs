// Bundles src/app.mjs for browsers: the packages' `import` (browser-safe) entries, no Node built-ins.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/app.mjs'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: 'dist/app.js',
  sourcemap: true,
  logLevel: 'warning',
});
console.log('bundled dist/app.js');
