// Seeded pseudo-random numbers, so a gate evaluated twice on the same inputs gives the
// same intervals (and a rerun of CI cannot flip a verdict through resampling alone).

// Mixes the user's seed and a stream number into a 32-bit state, so nearby seeds
// (42, 43) and different streams do not produce correlated sequences.
function mixSeed(seed: number, stream: number): number {
  let h = (Math.floor(Math.abs(seed)) % 4294967296) ^ Math.imul(stream + 1, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** mulberry32: tiny, fast and good enough for resampling. */
export class Rng {
  private state: number;

  constructor(seed: number, stream = 0) {
    this.state = mixSeed(seed, stream);
  }

  /** Uniform in [0, 1). */
  next(): number {
    const s = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Fills `out` with uniform indices in [0, n), the same stream as next() would give.
   * One tight loop keeps the state in a register: the bootstrap's hot path.
   */
  indices(out: Int32Array, n: number): Int32Array {
    let s = this.state;
    const scale = n / 4294967296;
    for (let i = 0; i < out.length; i++) {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      out[i] = (((t ^ (t >>> 14)) >>> 0) * scale) | 0;
    }
    this.state = s;
    return out;
  }
}

export function createRng(seed: number, stream = 0): Rng {
  return new Rng(seed, stream);
}
