/**
 * Experiment: js GEMM variants, checked against the naive loop before being timed.
 * v1 = the first kernel (4 rows share each B load, C rows accumulated in memory; shown for
 *      full 4-row blocks only, so it is checked on sizes that are multiples of 4).
 * v2 = packed panels, 4x4 register-blocked micro-kernel over a k-block (now in the js backend).
 * Each is checked against a naive triple loop before it is timed.
 * Run: npx tsx bench/experiments/gemm-js-v2.ts
 */
import { time } from '../util.js';

function v1(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, k: number) {
  const KB = 256,
    JB = 512;
  for (let p0 = 0; p0 < k; p0 += KB) {
    const p1 = Math.min(k, p0 + KB);
    for (let j0 = 0; j0 < n; j0 += JB) {
      const j1 = Math.min(n, j0 + JB);
      for (let i = 0; i + 4 <= m; i += 4) {
        const c0 = i * n,
          c1 = c0 + n,
          c2 = c1 + n,
          c3 = c2 + n,
          a0r = i * k;
        for (let p = p0; p < p1; p++) {
          const a0 = A[a0r + p],
            a1 = A[a0r + k + p],
            a2 = A[a0r + 2 * k + p],
            a3 = A[a0r + 3 * k + p];
          const bp = p * n;
          for (let j = j0; j < j1; j++) {
            const b = B[bp + j];
            C[c0 + j] += a0 * b;
            C[c1 + j] += a1 * b;
            C[c2 + j] += a2 * b;
            C[c3 + j] += a3 * b;
          }
        }
      }
    }
  }
}

function v2(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, k: number) {
  const KC = 256;
  const NR = 4,
    MR = 4;
  const bp = new Float64Array(KC * n); // packed B block: panels of NR columns, p-major inside
  const ap = new Float64Array(KC * MR);
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    // pack B[p0:p0+kc, :] into panels
    for (let j0 = 0; j0 < n; j0 += NR) {
      const base = j0 * kc;
      for (let p = 0; p < kc; p++) {
        const row = (p0 + p) * n;
        for (let jj = 0; jj < NR; jj++) bp[base + p * NR + jj] = j0 + jj < n ? B[row + j0 + jj] : 0;
      }
    }
    for (let i0 = 0; i0 < m; i0 += MR) {
      const mr = Math.min(MR, m - i0);
      for (let p = 0; p < kc; p++)
        for (let ii = 0; ii < MR; ii++) ap[p * MR + ii] = ii < mr ? A[(i0 + ii) * k + p0 + p] : 0;
      for (let j0 = 0; j0 < n; j0 += NR) {
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0,
          c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0,
          c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        const base = j0 * kc;
        for (let p = 0; p < kc; p++) {
          const o = base + p * 4,
            q = p * 4;
          const b0 = bp[o],
            b1 = bp[o + 1],
            b2 = bp[o + 2],
            b3 = bp[o + 3];
          const a0 = ap[q],
            a1 = ap[q + 1],
            a2 = ap[q + 2],
            a3 = ap[q + 3];
          c00 += a0 * b0;
          c01 += a0 * b1;
          c02 += a0 * b2;
          c03 += a0 * b3;
          c10 += a1 * b0;
          c11 += a1 * b1;
          c12 += a1 * b2;
          c13 += a1 * b3;
          c20 += a2 * b0;
          c21 += a2 * b1;
          c22 += a2 * b2;
          c23 += a2 * b3;
          c30 += a3 * b0;
          c31 += a3 * b1;
          c32 += a3 * b2;
          c33 += a3 * b3;
        }
        const cs = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let ii = 0; ii < mr; ii++) {
          const r = (i0 + ii) * n + j0;
          for (let jj = 0; jj < NR && j0 + jj < n; jj++) C[r + jj] += cs[ii * 4 + jj];
        }
      }
    }
  }
}

for (const [m, k, n] of [
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [1024, 256, 1024],
  [36, 53, 29],
]) {
  const A = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
  const B = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
  const ref = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      for (let p = 0; p < k; p++) ref[i * n + j] += A[i * k + p] * B[p * n + j];
  const c1 = new Float32Array(m * n);
  v1(A, B, c1, m, n, k);
  const c2 = new Float32Array(m * n);
  v2(A, B, c2, m, n, k);
  let err = 0;
  let err1 = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ref[i] - c2[i]));
    err1 = Math.max(err1, Math.abs(ref[i] - c1[i]));
  }
  if (err > 1e-3 || (m % 4 === 0 && err1 > 1e-3)) throw new Error(`wrong result at ${m}x${k}x${n}`);
  const f = (2 * m * n * k) / 1e9;
  const t1 = time(() => v1(A, B, new Float32Array(m * n), m, n, k), 1);
  const t2 = time(() => v2(A, B, new Float32Array(m * n), m, n, k), 1);
  console.log(
    `${m}x${k}x${n}: v1 ${(f / t1).toFixed(2)} GFLOP/s, v2 ${(f / t2).toFixed(2)} GFLOP/s, max diff ${err.toExponential(1)}`,
  );
}
