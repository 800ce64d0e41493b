/**
 * Source text of gpu.js kernels. Every kernel is generated for one shape: sizes, strides and
 * offsets are written into the source as literals, so loop bounds are constants (as WebGL 1
 * shaders require) and the device caches one compiled kernel per distinct source.
 *
 * Index arithmetic runs in float32 (what a WebGL 1 shader has), exact for integers below 2^24;
 * the device refuses larger tensors. Quotients are corrected after the division so that an
 * inexact GPU division never picks the wrong element.
 */

/** Largest element count whose indices float32 arithmetic represents exactly. */
export const MAX_ELEMENTS = 2 ** 24;

/** A float literal that both GLSL and JavaScript read as a float (`3.0`, `0.5`, `1e-7`). */
export function lit(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`gpu backend: cannot write ${x} into a kernel source`);
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Builds the body of a kernel: `let` statements and a returned expression. */
export class KernelSource {
  private readonly lines: string[] = [];
  private count = 0;

  constructor(readonly params: readonly string[]) {}

  /** Declares a fresh variable holding `expr`; returns its name. */
  let(expr: string): string {
    const name = `t${this.count++}`;
    this.lines.push(`let ${name} = ${expr};`);
    return name;
  }

  /** A fresh variable name (for loop counters and variables declared in loops). */
  fresh(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  line(code: string): void {
    this.lines.push(code);
  }

  /** The kernel function's source; `i` is the index of the element this thread writes. */
  build(result: string): string {
    return [
      `function (${this.params.join(', ')}) {`,
      'const i = this.thread.x;',
      ...this.lines,
      `return ${result};`,
      '}',
    ].join('\n');
  }
}

/**
 * Emits `q = floor(v / d)` and `r = v - q d` for an integer-valued `v >= 0` and integer `d >= 1`;
 * returns the two variable names. One correction step fixes a quotient that an approximate
 * division put one off.
 */
export function divmod(src: KernelSource, v: string, d: number): [string, string] {
  if (d === 1) return [v, '0.0'];
  const dl = lit(d);
  const q = src.let(`Math.floor((${v} + 0.5) / ${dl})`);
  const r = src.let(`${v} - ${q} * ${dl}`);
  src.line(`if (${r} < 0.0) { ${q} = ${q} - 1.0; ${r} = ${r} + ${dl}; }`);
  src.line(`if (${r} >= ${dl}) { ${q} = ${q} + 1.0; ${r} = ${r} - ${dl}; }`);
  return [q, r];
}

/** Coordinates of flat row-major index `v` in `shape` (variable names, or literals for size-1 dims). */
export function coords(src: KernelSource, v: string, shape: readonly number[]): string[] {
  const out = new Array<string>(shape.length);
  let rem = v;
  for (let k = shape.length - 1; k >= 1; k--) {
    const [q, r] = divmod(src, rem, shape[k]);
    out[k] = r;
    rem = q;
  }
  if (shape.length > 0) out[0] = rem;
  return out;
}

/** `sum(c[k] * strides[k]) + offset` as source, skipping zero strides. */
export function linear(c: readonly string[], strides: readonly number[], offset: number): string {
  const terms: string[] = [];
  if (offset !== 0) terms.push(lit(offset));
  for (let k = 0; k < c.length; k++) {
    if (strides[k] === 0 || c[k] === '0.0') continue;
    terms.push(strides[k] === 1 ? c[k] : `${c[k]} * ${lit(strides[k])}`);
  }
  return terms.length > 0 ? terms.join(' + ') : '0.0';
}

/**
 * Drops size-1 dimensions and merges neighbours that every view walks contiguously, so that
 * fewer coordinates need a division. Returns the reduced shape and each view's strides.
 */
export function coalesce(
  shape: readonly number[],
  stridesList: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const dims: number[] = [];
  for (let k = 0; k < shape.length; k++) if (shape[k] !== 1) dims.push(k);
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (const k of dims) {
    const last = outShape.length - 1;
    const merge = last >= 0 && stridesList.every((s, v) => outStrides[v][last] === s[k] * shape[k]);
    if (merge) {
      outShape[last] *= shape[k];
      stridesList.forEach((s, v) => {
        outStrides[v][last] = s[k];
      });
    } else {
      outShape.push(shape[k]);
      stridesList.forEach((s, v) => {
        outStrides[v].push(s[k]);
      });
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Row-major strides of `shape`. */
export function denseStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k];
  }
  return s;
}

export interface StridedRead {
  strides: readonly number[];
  offset: number;
}

/**
 * Index expressions of several strided views read at output element `i` of `shape` (a
 * row-major walk). Views that are walked contiguously read at `offset + i`; the others share
 * one set of coordinates.
 */
export function stridedIndices(
  src: KernelSource,
  shape: readonly number[],
  views: readonly StridedRead[],
): string[] {
  const c = coalesce(
    shape,
    views.map((v) => v.strides),
  );
  const dense = denseStrides(c.shape);
  const isDense = (s: readonly number[]) => s.every((x, k) => x === dense[k]);
  let cs: string[] | null = null;
  return views.map((v, j) => {
    if (isDense(c.strides[j])) return v.offset === 0 ? 'i' : `${lit(v.offset)} + i`;
    cs ??= coords(src, 'i', c.shape);
    return linear(cs, c.strides[j], v.offset);
  });
}

/** Rounds toward zero, as a cast from float32 to int32 does. */
export function truncExpr(e: string): string {
  return `(${e} < 0.0 ? Math.ceil(${e}) : Math.floor(${e}))`;
}

// ------------------------------------------------------------------ math with care for float32

/** tanh without overflow: a Taylor series near 0 (no cancellation), 1 - 2/(e^2x + 1) elsewhere. */
export function tanhOf(src: KernelSource, x: string): string {
  const a = src.let(`Math.abs(${x})`);
  const s = src.let(`${a} * ${a}`);
  const series = src.let(
    `${a} * (1.0 + ${s} * (-0.3333333333333333 + ${s} * (0.13333333333333333 + ${s} * (-0.05396825396825397 + ${s} * (0.021869488536155203 - ${s} * 0.008863235529902197)))))`,
  );
  const far = src.let(`${a} > 20.0 ? 1.0 : 1.0 - 2.0 / (Math.exp(2.0 * ${a}) + 1.0)`);
  const t = src.let(`${a} < 0.4 ? ${series} : ${far}`);
  return `(${x} < 0.0 ? -${t} : ${t})`;
}

/** The logistic function with the exp of a non-positive number only. */
export function sigmoidOf(src: KernelSource, x: string): string {
  const e = src.let(`Math.exp(-Math.abs(${x}))`);
  return `(${x} >= 0.0 ? 1.0 / (1.0 + ${e}) : ${e} / (1.0 + ${e}))`;
}

/** erf by the Numerical Recipes erfc fit (relative error below 1.2e-7), as the js backend. */
export function erfOf(src: KernelSource, x: string): string {
  const z = src.let(`Math.abs(${x})`);
  const t = src.let(`1.0 / (1.0 + 0.5 * ${z})`);
  const poly = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398,
    1.48851587, -0.82215223, 0.17087277,
  ];
  let p = lit(poly[poly.length - 1]);
  for (let k = poly.length - 2; k >= 1; k--) p = `${lit(poly[k])} + ${t} * (${p})`;
  const r = src.let(`${t} * Math.exp(-${z} * ${z} + ${lit(poly[0])} + ${t} * (${p}))`);
  return `(${x} >= 0.0 ? 1.0 - ${r} : ${r} - 1.0)`;
}

/** a ** b with JavaScript's answers for negative bases and integer exponents. */
export function powOf(src: KernelSource, a: string, b: string): string {
  const m = src.let(`Math.pow(Math.abs(${a}), ${b})`);
  const odd = src.let(`${b} - 2.0 * Math.floor(${b} * 0.5)`);
  const neg = src.let(`${b} == Math.floor(${b}) ? (${odd} == 1.0 ? -${m} : ${m}) : (0.0 / 0.0)`);
  return `(${b} == 0.0 ? 1.0 : (${b} == 1.0 ? ${a} : (${b} == 2.0 ? ${a} * ${a} : (${a} < 0.0 ? ${neg} : (${a} == 0.0 ? (${b} > 0.0 ? 0.0 : 1.0 / ${a}) : ${m})))))`;
}
