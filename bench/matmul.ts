/**
 * matmul GFLOP/s of the js backend next to ml-matrix's `mmul` and a naive triple loop, in one
 * run, on the same inputs. Run with `npm run bench` (or `npm run bench -- matmul`).
 */
import { getBackend, noGrad, randn, setBackend, type Tensor } from '@openeurollm/tensor';
import { Matrix } from 'ml-matrix';
import { printTable, time } from './util.js';

const SHAPES: [number, number, number][] = [
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [1024, 256, 1024], // [1024x256] x [256x1024]
];

function naive(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

function toMatrix(data: Float32Array, rows: number, cols: number): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, data[i * cols + j]);
  return m;
}

export function benchMatmul(backend = 'js'): void {
  setBackend(backend);
  const rows: string[][] = [];
  for (const [m, k, n] of SHAPES) {
    const a: Tensor = randn([m, k]);
    const b: Tensor = randn([k, n]);
    const flops = 2 * m * n * k;
    const ours = time(() => noGrad(() => a.matmul(b).data()));
    const ad = a.data() as Float32Array;
    const bd = b.data() as Float32Array;
    const A = toMatrix(ad, m, k);
    const B = toMatrix(bd, k, n);
    const ml = time(() => A.mmul(B));
    const nv = time(() => naive(ad, bd, m, k, n));
    const g = (s: number) => flops / s / 1e9;
    rows.push([
      `[${m}x${k}]x[${k}x${n}]`,
      g(ours).toFixed(2),
      g(ml).toFixed(2),
      g(nv).toFixed(2),
      (ml / ours).toFixed(2),
      (nv / ours).toFixed(2),
    ]);
  }
  printTable(
    `matmul, float32, ${getBackend().name} backend vs ml-matrix mmul (float64) vs naive loop, GFLOP/s (best of runs)`,
    [
      'shape',
      getBackend().name,
      'ml-matrix',
      'naive',
      `${getBackend().name}/ml-matrix`,
      `${getBackend().name}/naive`,
    ],
    rows,
  );
}
