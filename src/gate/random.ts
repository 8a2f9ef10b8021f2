// Seeded pseudo-random numbers, so a gate evaluated twice on the same inputs gives the
// same intervals (and a rerun of CI cannot flip a verdict through resampling alone).

// Mixes the user's seed and a salt into 32 bits, so nearby seeds (42, 43) start far apart.
function mix32(seed: number, salt: number): number {
  let h = (Math.floor(Math.abs(seed)) % 4294967296) ^ Math.imul(salt + 1, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast counting generator): passes PractRand, and is
 * about twice as fast as mulberry32 here, which matters because the bootstrap draws
 * millions of indices per gate.
 */
export class Rng {
  private readonly s = new Int32Array(4);

  constructor(seed: number, stream = 0) {
    for (let i = 0; i < 4; i++) this.s[i] = mix32(seed, stream * 4 + i);
    for (let i = 0; i < 12; i++) this.next(); // let the seed bits spread
  }

  /** Uniform in [0, 1). */
  next(): number {
    const s = this.s;
    const t = (((s[0] + s[1]) | 0) + s[3]) | 0;
    s[3] = (s[3] + 1) | 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) | 0;
    s[2] = (((s[2] << 21) | (s[2] >>> 11)) + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /**
   * Fills `out` with uniform indices in [0, n), the same stream as next() scaled to n.
   * The bootstrap's hot path: one tight loop with the state in locals.
   */
  indices(out: Int32Array, n: number): Int32Array {
    const s = this.s;
    let a = s[0] | 0, b = s[1] | 0, c = s[2] | 0, d = s[3] | 0;
    const scale = n / 4294967296;
    for (let i = 0; i < out.length; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (((c << 21) | (c >>> 11)) + t) | 0;
      out[i] = ((t >>> 0) * scale) | 0;
    }
    s[0] = a; s[1] = b; s[2] = c; s[3] = d;
    return out;
  }
}

export function createRng(seed: number, stream = 0): Rng {
  return new Rng(seed, stream);
}
