/**
 * Loop shapes shared by the gpu backend's kernels: sums accumulated in blocks (float32 partial
 * sums of 64 terms, 4 per statement, then a running total: error grows with the number of
 * blocks, not of terms) and the batched matrix product built on them.
 */
import type { MatmulParams } from '../backend.js';
import { divmod, type KernelSource, lit } from './codegen.js';

const BLOCK = 64;
const UNROLL = 4;

/**
 * Emits `sum over j in [0, count) of term(j)` and returns the variable holding it; `term` gets
 * the float index as source text. `count` is a literal, so loop bounds are constants.
 */
export function sumLoop(src: KernelSource, count: number, term: (j: string) => string): string {
  const acc = src.let('0.0');
  const blocks = Math.floor(count / BLOCK);
  if (blocks > 0) {
    const jb = src.fresh('jb');
    const jq = src.fresh('jq');
    const s = src.fresh('s');
    const j0 = src.fresh('j');
    src.line(`for (let ${jb} = 0; ${jb} < ${blocks}; ${jb}++) {`);
    src.line(`let ${s} = 0.0;`);
    src.line(`for (let ${jq} = 0; ${jq} < ${BLOCK / UNROLL}; ${jq}++) {`);
    src.line(`let ${j0} = ${jb} * ${lit(BLOCK)} + ${jq} * ${lit(UNROLL)};`);
    const terms = [0, 1, 2, 3].map((u) => term(u === 0 ? j0 : `(${j0} + ${lit(u)})`));
    src.line(`${s} += ${terms.join(' + ')};`);
    src.line('}');
    src.line(`${acc} += ${s};`);
    src.line('}');
  }
  const start = blocks * BLOCK;
  const rest = count - start;
  const groups = Math.floor(rest / UNROLL);
  if (groups > 0) {
    const jq = src.fresh('jq');
    const j0 = src.fresh('j');
    src.line(`for (let ${jq} = 0; ${jq} < ${groups}; ${jq}++) {`);
    src.line(`let ${j0} = ${lit(start)} + ${jq} * ${lit(UNROLL)};`);
    const terms = [0, 1, 2, 3].map((u) => term(u === 0 ? j0 : `(${j0} + ${lit(u)})`));
    src.line(`${acc} += ${terms.join(' + ')};`);
    src.line('}');
  }
  for (let j = start + groups * UNROLL; j < count; j++) src.line(`${acc} += ${term(lit(j))};`);
  return acc;
}

/**
 * Source of out[b, r, c] = sum_p op(A)[b, r, p] op(B)[b, p, c] over the [batch, m, n] output,
 * reading buffers `a` and `b` (gpu.js kernels compute one output element per thread; the inner
 * product is unrolled 4-wide in blocks of 64, see `sumLoop`).
 */
export function matmulSource(src: KernelSource, p: MatmulParams, a = 'a', b = 'b'): string {
  const { m, n, k } = p;
  const [q, col] = divmod(src, 'i', n);
  const [t, row] = divmod(src, q, m);
  const aBase = src.let(`${t} * ${lit(p.aBatchStride)} + ${p.transA ? row : `${row} * ${lit(k)}`}`);
  const bBase = src.let(`${t} * ${lit(p.bBatchStride)} + ${p.transB ? `${col} * ${lit(k)}` : col}`);
  const aStep = p.transA ? m : 1;
  const bStep = p.transB ? 1 : n;
  const at = (j: string) => (aStep === 1 ? `${aBase} + ${j}` : `${aBase} + ${j} * ${lit(aStep)}`);
  const bt = (j: string) => (bStep === 1 ? `${bBase} + ${j}` : `${bBase} + ${j} * ${lit(bStep)}`);
  return sumLoop(src, k, (j) => `${a}[${at(j)}] * ${b}[${bt(j)}]`);
}
