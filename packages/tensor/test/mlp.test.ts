/** A 2-layer MLP trained with plain SGD, written only against the public API. */
import { describe, expect, it } from 'vitest';
import { manualSeed, mean, noGrad, randn, type Tensor, tensor, zeros } from '../src/index.js';

/** tanh MLP: x [N, inputs] -> [N, outputs]; parameters replaced by each SGD step. */
function mlp(inputs: number, hidden: number, outputs: number) {
  let params: Tensor[] = [
    randn([inputs, hidden]).mul(Math.sqrt(1 / inputs)),
    zeros([hidden]),
    randn([hidden, outputs]).mul(Math.sqrt(1 / hidden)),
    zeros([outputs]),
  ].map((p) => p.detach().requiresGrad_());
  return {
    forward(x: Tensor): Tensor {
      const [w1, b1, w2, b2] = params;
      return x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
    },
    step(lr: number): void {
      params = noGrad(() => params.map((p) => p.sub(p.grad!.mul(lr)).requiresGrad_()));
    },
  };
}

function fit(
  net: ReturnType<typeof mlp>,
  x: Tensor,
  y: Tensor,
  steps: number,
  lr: number,
): number[] {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = mean(net.forward(x).sub(y).pow(2));
    loss.backward();
    net.step(lr);
    losses.push(loss.item());
  }
  return losses;
}

describe('a 2-layer MLP with plain SGD', () => {
  it('fits XOR', () => {
    manualSeed(0);
    const x = tensor([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const y = tensor([[0], [1], [1], [0]]);
    const net = mlp(2, 8, 1);
    const losses = fit(net, x, y, 600, 0.3);
    expect(losses.at(-1)).toBeLessThan(0.01);
    const pred = Array.from(net.forward(x).data()).map((v) => (v > 0.5 ? 1 : 0));
    expect(pred).toEqual([0, 1, 1, 0]);
  });

  it('fits a small regression (y = sin(x) on [-3, 3])', () => {
    manualSeed(1);
    const grid = Float32Array.from({ length: 64 }, (_, i) => -3 + (6 * i) / 63);
    const x = tensor(grid, { shape: [64, 1] });
    const y = x.sin();
    const net = mlp(1, 16, 1);
    const losses = fit(net, x, y, 2000, 0.05);
    expect(losses.at(-1)).toBeLessThan(0.01);
    expect(losses.at(-1)!).toBeLessThan(losses[0] / 20);
  });
});
