import type { Tensor } from '@openeurollm/tensor';

/**
 * Collects the temporaries of one update so they are released together (device backends free
 * memory at once instead of waiting for the garbage collector).
 */
export class Scratch {
  private readonly temps: Tensor[] = [];

  /** Marks `t` as a temporary and returns it. */
  t(t: Tensor): Tensor {
    this.temps.push(t);
    return t;
  }

  /** Disposes every temporary except those in `keep`. */
  release(...keep: Tensor[]): void {
    for (const t of this.temps) if (!keep.includes(t)) t.dispose();
    this.temps.length = 0;
  }
}
