/**
 * The basic layers. Weight layouts follow PyTorch (Linear: [out, in]) and, for GPT-2's
 * projections, Hugging Face's Conv1D ([in, out]), so state dicts load without transposes.
 */
import {
  dropout,
  embedding,
  type Generator,
  layerNorm,
  ones,
  randn,
  rmsNorm,
  type Tensor,
  zeros,
} from '@openeurollm/tensor';
import { Module } from './module.js';

/** How a layer's weights start: normal(0, std) from `generator` (the global one if absent). */
export interface InitOptions {
  std?: number;
  generator?: Generator;
}

function normal(shape: number[], init: InitOptions): Tensor {
  const w = randn(shape, { generator: init.generator });
  return init.std === undefined || init.std === 1 ? w : w.mul(init.std).detach();
}

/** y = x W^T + b, W of shape [outFeatures, inFeatures] (torch.nn.Linear). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: InitOptions & { bias?: boolean } = {},
  ) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    // PyTorch's default (kaiming-uniform-like) scale is replaced by an explicit std: the models
    // here always pass the std their paper uses; 1/sqrt(in) is a sane default otherwise
    const std = options.std ?? 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter(
      'weight',
      normal([outFeatures, inFeatures], { ...options, std }),
    );
    this.bias =
      options.bias === false ? null : this.registerParameter('bias', zeros([outFeatures]));
  }

  forward(x: Tensor): Tensor {
    const y = x.matmul(this.weight.mT); // [..., in] @ [in, out]
    return this.bias ? y.add(this.bias) : y;
  }
}

/** Hugging Face's Conv1D (GPT-2): y = x W + b with W of shape [inFeatures, outFeatures]. */
export class Conv1D extends Module {
  weight: Tensor;
  bias: Tensor;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: InitOptions = {},
  ) {
    super();
    checkSize('Conv1D', 'inFeatures', inFeatures);
    checkSize('Conv1D', 'outFeatures', outFeatures);
    this.weight = this.registerParameter(
      'weight',
      normal([inFeatures, outFeatures], { std: 0.02, ...options }),
    );
    this.bias = this.registerParameter('bias', zeros([outFeatures]));
  }

  forward(x: Tensor): Tensor {
    return x.matmul(this.weight).add(this.bias);
  }
}

/** A lookup table of `num` vectors of size `dim`. */
export class Embedding extends Module {
  weight: Tensor;

  constructor(
    readonly num: number,
    readonly dim: number,
    options: InitOptions = {},
  ) {
    super();
    checkSize('Embedding', 'num', num);
    checkSize('Embedding', 'dim', dim);
    this.weight = this.registerParameter('weight', normal([num, dim], { std: 1, ...options }));
  }

  /** int32 ids [...] -> [..., dim] */
  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight);
  }
}

/** Layer normalization over the last axis, with a learned scale and shift. */
export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;

  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    checkSize('LayerNorm', 'dim', dim);
    this.weight = this.registerParameter('weight', ones([dim]));
    this.bias = this.registerParameter('bias', zeros([dim]));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/** RMS normalization over the last axis (Llama), with a learned scale. */
export class RMSNorm extends Module {
  weight: Tensor;

  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    checkSize('RMSNorm', 'dim', dim);
    this.weight = this.registerParameter('weight', ones([dim]));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, { weight: this.weight, eps: this.eps });
  }
}

/** Inverted dropout while training; the identity in eval mode or with p = 0. */
export class Dropout extends Module {
  constructor(
    readonly p = 0.1,
    readonly generator?: Generator,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, { training: true, generator: this.generator });
  }
}

export function checkSize(layer: string, field: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`${layer}: ${field} must be a positive integer, got ${String(n)}`);
  }
}
