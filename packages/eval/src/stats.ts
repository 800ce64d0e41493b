/** Means and standard errors as lm-evaluation-harness reports them. */

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1) / sqrt(n); NaN for fewer than two values. */
export function stderrOfMean(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mu = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - mu) ** 2;
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
}
