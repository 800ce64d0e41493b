/**
 * sgemm GFLOP/s of the native backend (through the public API: `a.matmul(b)`, output
 * allocation included) next to OpenBLAS's cblas_sgemm, at 1 and 2 threads, in one run.
 */
import { getBackend, noGrad, randn, setBackend, setNumThreads } from '@openeurollm/tensor';
import { openblasSgemm } from './anchors.js';
import { printTable, time } from './util.js';

export const SGEMM_SHAPES: [number, number, number][] = [
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [2048, 2048, 2048],
  [1024, 256, 1024],
  [1024, 1024, 256],
  [1024, 256, 8192],
];

export function benchSgemm(): void {
  try {
    setBackend('native');
  } catch (e) {
    console.log(`\nsgemm: skipped, the native backend is not available (${(e as Error).message})`);
    return;
  }
  const rows: string[][] = [];
  const anchor = new Map<string, number>();
  const notes: string[] = [];
  for (const threads of [1, 2]) {
    const ob = openblasSgemm(SGEMM_SHAPES, threads);
    if (ob.missing) notes.push(`OpenBLAS: ${ob.missing}`);
    for (const r of ob.rows ?? []) anchor.set(`${r.m}x${r.k}x${r.n}@${threads}`, r.gflops);
  }
  for (const threads of [1, 2]) {
    setNumThreads(threads);
    // warm the new pool, the JIT and the kernels' scratch buffers before timing
    noGrad(() => randn([512, 512]).matmul(randn([512, 512])));
    for (const [m, k, n] of SGEMM_SHAPES) {
      const a = randn([m, k]);
      const b = randn([k, n]);
      const s = time(() => noGrad(() => a.matmul(b)), 1);
      const ours = (2 * m * n * k) / s / 1e9;
      const ob = anchor.get(`${m}x${k}x${n}@${threads}`);
      rows.push([
        `[${m}x${k}]x[${k}x${n}]`,
        String(threads),
        ours.toFixed(1),
        ob ? ob.toFixed(1) : 'n/a',
        ob ? (ours / ob).toFixed(2) : 'n/a',
      ]);
    }
  }
  const info = getBackend().info();
  printTable(
    `sgemm, float32, GFLOP/s (best of runs): native (${String(info.gemmKernel)} kernel) vs OpenBLAS cblas_sgemm`,
    ['shape', 'threads', 'native', 'OpenBLAS', 'native/OpenBLAS'],
    rows,
  );
  for (const n of notes) console.log(n);
}
