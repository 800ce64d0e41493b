/**
 * The random number generator behind `rand`, `randn`, `randint`, `dropout` and weight init.
 *
 * Algorithm (documented so other implementations can repeat it bit for bit):
 * - State: xoshiro128** (Blackman & Vigna), four 32-bit words.
 * - Seeding: `manualSeed(n)` takes an integer seed, reduces it to 32 bits (`n >>> 0`), and fills
 *   the four state words with four successive outputs of SplitMix32
 *   (`z += 0x9e3779b9; z = (z ^ z>>>16) * 0x21f0aaad; z = (z ^ z>>>15) * 0x735a2d97; z ^ z>>>15`).
 * - `uniform()`: the top 24 bits of one 32-bit output times 2^-24, in [0, 1), exact in float32.
 * - `normal()`: Box-Muller on two uniforms, `sqrt(-2 ln(1 - u1)) * cos(2 pi u2)` (the sine half
 *   is not cached, so each normal consumes exactly two outputs).
 * - `int(low, high)`: rejection sampling on 32-bit outputs so every value is equally likely.
 *
 * Random values are always drawn on the host and uploaded, so every backend gets the same
 * numbers for the same seed.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    if (!Number.isFinite(seed))
      throw new Error(`manualSeed: seed must be a finite number, got ${seed}`);
    let z = Math.trunc(seed) >>> 0;
    const next = () => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
      t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned output of xoshiro128**. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  uniform(): number {
    return (this.nextUint32() >>> 8) * 5.9604644775390625e-8;
  }

  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [low, high). */
  int(low: number, high: number): number {
    const range = high - low;
    if (range <= 0 || range > 0x100000000) {
      throw new Error(
        `randint: need low < high with a range of at most 2^32, got [${low}, ${high})`,
      );
    }
    const limit = 0x100000000 - (0x100000000 % range);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return low + (x % range);
    }
  }

  /** Snapshot of the state (four uint32 words), for checkpoints. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w))) {
      throw new Error('Generator.setState: expected four 32-bit integers');
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((w) => w >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The process-wide default generator (seed 0 until `manualSeed` is called). */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, so results repeat across runs and backends. */
export function manualSeed(seed: number): void {
  defaultGenerator.seed(seed);
}
