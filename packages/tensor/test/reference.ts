/**
 * Independent float64 reference implementations for the conformance suite: plain loops over
 * index tuples, written from the definitions, sharing no code with the library.
 */

export interface Arr {
  shape: number[];
  data: number[];
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

export function unravel(i: number, shape: readonly number[]): number[] {
  const st = strides(shape);
  return shape.map((_, d) => Math.floor(i / st[d]) % shape[d]);
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  const st = strides(shape);
  return idx.reduce((acc, v, d) => acc + v * st[d], 0);
}

export function map(a: Arr, f: (x: number) => number): Arr {
  return { shape: a.shape.slice(), data: a.data.map(f) };
}

/** NumPy broadcasting by index arithmetic. */
export function zip(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const n = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(n - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array(n - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const data: number[] = [];
  for (let i = 0; i < size(shape); i++) {
    const idx = unravel(i, shape);
    const ia = ravel(
      idx.map((v, d) => (pa[d] === 1 ? 0 : v)),
      pa,
    );
    const ib = ravel(
      idx.map((v, d) => (pb[d] === 1 ? 0 : v)),
      pb,
    );
    data.push(f(a.data[ia], b.data[ib]));
  }
  return { shape, data };
}

/** Reduces the listed axes with f over the values found there. */
export function reduce(
  a: Arr,
  axes: number[],
  f: (vals: number[]) => number,
  keepdim = false,
): Arr {
  const keptShape = a.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, d) => (axes.includes(d) ? 0 : v));
    const key = ravel(idx, keptShape);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(a.data[i]);
  }
  const data: number[] = [];
  for (let k = 0; k < size(keptShape); k++) data.push(f(groups.get(k) ?? []));
  return { shape: keepdim ? keptShape : a.shape.filter((_, i) => !axes.includes(i)), data };
}

export function permute(a: Arr, perm: number[]): Arr {
  const shape = perm.map((p) => a.shape[p]);
  const data: number[] = [];
  for (let i = 0; i < size(shape); i++) {
    const idx = unravel(i, shape);
    const src = new Array(a.shape.length);
    perm.forEach((p, d) => {
      src[p] = idx[d];
    });
    data.push(a.data[ravel(src, a.shape)]);
  }
  return { shape, data };
}

/** Row-wise operation over the last axis. */
export function rows(a: Arr, f: (row: number[]) => number[]): Arr {
  const c = a.shape[a.shape.length - 1];
  const data: number[] = [];
  for (let r = 0; r < a.data.length / c; r++) data.push(...f(a.data.slice(r * c, r * c + c)));
  return { shape: a.shape.slice(), data };
}

export function softmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

/** erf by its Maclaurin series / continued fraction, to ~1e-12 (independent of the library). */
export function erf(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export function bmm(a: Arr, b: Arr): Arr {
  const m = a.shape[a.shape.length - 2];
  const k = a.shape[a.shape.length - 1];
  const n = b.shape[b.shape.length - 1];
  const ba = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const pa = [...new Array(nb - ba.length).fill(1), ...ba];
  const pb = [...new Array(nb - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const data: number[] = [];
  for (let t = 0; t < size(batch); t++) {
    const idx = unravel(t, batch);
    const oa = ravel(
      idx.map((v, d) => (pa[d] === 1 ? 0 : v)),
      pa,
    );
    const ob = ravel(
      idx.map((v, d) => (pb[d] === 1 ? 0 : v)),
      pb,
    );
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++)
          s += a.data[oa * m * k + i * k + p] * b.data[ob * k * n + p * n + j];
        data.push(s);
      }
    }
  }
  return { shape: [...batch, m, n], data };
}
