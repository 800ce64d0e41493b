/**
 * Causal self-attention pieces shared by the models: rotary position embeddings (RoPE, in
 * Hugging Face's rotate-half layout), the key/value cache used by generation, and the masked
 * attention itself with grouped-query heads.
 */
import { cat, noGrad, scaledDotProductAttention, type Tensor, tensor } from '@openeurollm/tensor';

/** cos and sin tables [contextLength, headDim] for RoPE, computed once per model. */
export class RotaryTable {
  readonly cos: Tensor;
  readonly sin: Tensor;

  constructor(
    readonly headDim: number,
    readonly contextLength: number,
    readonly theta: number,
  ) {
    const half = headDim / 2;
    const cos = new Float32Array(contextLength * headDim);
    const sin = new Float32Array(contextLength * headDim);
    // inv_freq[i] = theta^(-2i/d), in float32 as transformers computes it
    const invFreq = new Float32Array(half);
    for (let i = 0; i < half; i++) invFreq[i] = 1 / theta ** ((2 * i) / headDim);
    for (let p = 0; p < contextLength; p++) {
      for (let i = 0; i < half; i++) {
        const a = Math.fround(p * invFreq[i]);
        const c = Math.cos(a);
        const s = Math.sin(a);
        // the two halves of a head share each frequency (rotate-half layout)
        cos[p * headDim + i] = cos[p * headDim + i + half] = c;
        sin[p * headDim + i] = sin[p * headDim + i + half] = s;
      }
    }
    this.cos = tensor(cos).reshape([contextLength, headDim]);
    this.sin = tensor(sin).reshape([contextLength, headDim]);
  }

  /** Rotates x [B, H, T, headDim] for positions start .. start + T - 1. */
  apply(x: Tensor, start: number): Tensor {
    const T = x.shape[2];
    if (start + T > this.contextLength) {
      throw new Error(
        `rotary embedding: positions up to ${start + T} exceed contextLength ${this.contextLength}`,
      );
    }
    const half = this.headDim / 2;
    const cos = this.cos.narrow(0, start, T); // [T, hd], broadcast over B and H
    const sin = this.sin.narrow(0, start, T);
    const x1 = x.narrow(-1, 0, half);
    const x2 = x.narrow(-1, half, half);
    const rotated = cat([x2.neg(), x1], -1); // rotate_half(x)
    return x.mul(cos).add(rotated.mul(sin));
  }
}

/** Keys and values of the positions seen so far, per layer (generation only, no autograd). */
export class KVCache {
  private keys: (Tensor | null)[];
  private values: (Tensor | null)[];

  constructor(readonly nLayers: number) {
    this.keys = new Array(nLayers).fill(null);
    this.values = new Array(nLayers).fill(null);
  }

  /** Number of cached positions. */
  get length(): number {
    return this.keys[0]?.shape[2] ?? 0;
  }

  /** Appends k, v [B, KV, T, hd] of `layer`; returns the whole cached k, v. */
  update(layer: number, k: Tensor, v: Tensor): [Tensor, Tensor] {
    return noGrad(() => {
      const pk = this.keys[layer];
      const pv = this.values[layer];
      const nk = pk ? cat([pk, k], 2) : k.contiguous();
      const nv = pv ? cat([pv, v], 2) : v.contiguous();
      this.keys[layer] = nk;
      this.values[layer] = nv;
      return [nk, nv];
    });
  }
}

/**
 * Causal attention of q [B, H, T, hd] over k, v [B, KV, S, hd] where the first S - T keys
 * are cached positions before the queries. KV heads are repeated to H (grouped-query).
 */
export function causalAttention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const [B, H, T, hd] = q.shape;
  const KV = k.shape[1];
  const S = k.shape[2];
  if (KV !== H) {
    const rep = H / KV;
    // [B, KV, S, hd] -> [B, KV, rep, S, hd] -> [B, H, S, hd]: each KV head serves rep queries
    k = k.unsqueeze(2).expand([B, KV, rep, S, hd]).reshape([B, H, S, hd]);
    v = v.unsqueeze(2).expand([B, KV, rep, S, hd]).reshape([B, H, S, hd]);
  }
  const past = S - T;
  if (past === 0) return scaledDotProductAttention(q, k, v, { causal: true });
  if (T === 1) return scaledDotProductAttention(q, k, v);
  // query i sits at position past + i and sees keys 0 .. past + i
  const mask = new Int32Array(T * S);
  for (let i = 0; i < T; i++) for (let j = 0; j <= past + i; j++) mask[i * S + j] = 1;
  return scaledDotProductAttention(q, k, v, {
    mask: tensor(mask, { dtype: 'int32' }).reshape([T, S]),
  });
}
