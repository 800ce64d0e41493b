import { Generator } from '../random.js';
import { shapeToString } from '../shape.js';
import { fromHost, noGrad, Tensor } from '../tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step; default 1e-3. */
  eps?: number;
  /** An entry passes when |analytic - numeric| <= atol + rtol * |numeric|; both 2e-3 by default. */
  atol?: number;
  rtol?: number;
  /** Seed of the random projection of the output. */
  seed?: number;
  /** Check at most this many elements per input (evenly spaced); default all. */
  maxElements?: number;
}

export interface GradcheckFailure {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  checked: number;
  failures: GradcheckFailure[];
}

/**
 * Compares the autograd gradient of `fn` with central finite differences.
 *
 * The output is reduced to a scalar by a fixed random projection L = sum(out * r) (r seeded,
 * summed in float64 on the host), so every output element's gradient takes part. For each
 * checked element x_j of each input that requires grad, the numeric derivative is
 * (L(x_j + eps) - L(x_j - eps)) / (2 eps), with the step taken as actually representable in
 * float32. Inputs that do not require grad are held fixed.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const {
    eps = 1e-3,
    atol = 2e-3,
    rtol = 2e-3,
    seed = 1234,
    maxElements = Number.POSITIVE_INFINITY,
  } = options;
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`gradcheck: input ${i} is not a Tensor`);
  });
  const host = inputs.map((t) => t.data());
  const build = (data: ArrayLike<number>[]) =>
    inputs.map((t, i) => {
      const copy = t.dtype === 'int32' ? Int32Array.from(data[i]) : Float32Array.from(data[i]);
      const x = fromHost(t.backend, copy, t.shape);
      if (t.requiresGrad) x.requiresGrad = true;
      return x;
    });

  // analytic gradients through autograd
  const xs = build(host);
  const out = fn(...xs);
  if (!(out instanceof Tensor) || out.dtype !== 'float32')
    throw new Error('gradcheck: fn must return a float32 Tensor');
  const gen = new Generator(seed);
  const r = new Float64Array(out.size);
  for (let i = 0; i < r.length; i++) r[i] = gen.uniform() * 2 - 1;
  const loss = (o: Tensor) => {
    const d = o.data();
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i] * r[i];
    return s;
  };
  out.backward(fromHost(out.backend, Float32Array.from(r), out.shape));
  const analytic = xs.map((x) =>
    x.requiresGrad ? (x.grad ? x.grad.data() : new Float32Array(x.size)) : null,
  );

  const failures: GradcheckFailure[] = [];
  let maxAbsError = 0;
  let checked = 0;
  noGrad(() => {
    inputs.forEach((t, i) => {
      const an = analytic[i];
      if (!t.requiresGrad || !an) return;
      const n = t.size;
      const step = Number.isFinite(maxElements) ? Math.max(1, Math.floor(n / maxElements)) : 1;
      for (let j = 0; j < n; j += step) {
        const data = host.map((h) => h.slice());
        const x0 = host[i][j];
        const xp = Math.fround(x0 + eps);
        const xm = Math.fround(x0 - eps);
        data[i][j] = xp;
        const lp = loss(fn(...build(data)));
        data[i][j] = xm;
        const lm = loss(fn(...build(data)));
        const numeric = (lp - lm) / (xp - xm);
        const err = Math.abs(an[j] - numeric);
        checked++;
        if (!(err <= atol + rtol * Math.abs(numeric)))
          failures.push({ input: i, index: j, analytic: an[j], numeric });
        if (err > maxAbsError || Number.isNaN(err))
          maxAbsError = Number.isNaN(err) ? Number.NaN : err;
      }
    });
  });
  return { ok: failures.length === 0, maxAbsError, checked, failures };
}

/** gradcheck that throws, naming the first mismatches, when the gradients disagree. */
export function assertGradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const res = gradcheck(fn, inputs, options);
  if (!res.ok) {
    const lines = res.failures
      .slice(0, 5)
      .map(
        (f) =>
          `input ${f.input} ${shapeToString(inputs[f.input].shape)} element ${f.index}: autograd ${f.analytic}, finite difference ${f.numeric}`,
      );
    throw new Error(
      `gradcheck: ${res.failures.length} of ${res.checked} gradient entries disagree\n  ${lines.join('\n  ')}`,
    );
  }
  return res;
}
