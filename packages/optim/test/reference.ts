/**
 * Float64 reference optimizers, written from the formulas of torch.optim's documentation
 * (independently of the package): one `step(p, g)` updates `p` in place.
 */

export interface RefOptimizer {
  /** Read at each step, like a param group's lr. */
  lr: number;
  step(p: Float64Array, g: Float64Array): void;
}

export interface RefSGD {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export function refSGD(h: RefSGD): RefOptimizer {
  const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = h;
  let buf: Float64Array | null = null;
  return {
    lr: h.lr,
    step(p, g) {
      const lr = this.lr;
      const d = g.map((gi, i) => gi + weightDecay * p[i]);
      if (momentum !== 0) {
        if (buf === null) buf = Float64Array.from(d);
        else for (let i = 0; i < d.length; i++) buf[i] = momentum * buf[i] + (1 - dampening) * d[i];
        for (let i = 0; i < d.length; i++) d[i] = nesterov ? d[i] + momentum * buf[i] : buf[i];
      }
      for (let i = 0; i < p.length; i++) p[i] -= lr * d[i];
    },
  };
}

export interface RefAdam {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /** AdamW's decoupled decay instead of Adam's L2 term. */
  decoupled: boolean;
}

export function refAdam(h: RefAdam): RefOptimizer {
  const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false } = h;
  const [b1, b2] = betas;
  let m: Float64Array | null = null;
  let v: Float64Array | null = null;
  let vmax: Float64Array | null = null;
  let t = 0;
  return {
    lr: h.lr,
    step(p, g) {
      const lr = this.lr;
      t += 1;
      m ??= new Float64Array(p.length);
      v ??= new Float64Array(p.length);
      vmax ??= new Float64Array(p.length);
      for (let i = 0; i < p.length; i++) {
        let gi = g[i];
        if (h.decoupled) p[i] *= 1 - lr * weightDecay;
        else gi += weightDecay * p[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        vmax[i] = Math.max(vmax[i], v[i]);
        const mhat = m[i] / (1 - b1 ** t);
        const vhat = (amsgrad ? vmax[i] : v[i]) / (1 - b2 ** t);
        p[i] -= (lr * mhat) / (Math.sqrt(vhat) + eps);
      }
    },
  };
}
