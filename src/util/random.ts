// Seeded randomness, the one module for it. Every random choice of a run derives from the spec's
// seed through here, never from Math.random, so the same spec gives the same run, and a gate
// evaluated twice on the same inputs gives the same intervals (a rerun of CI cannot flip a verdict
// through resampling alone). Two generators, each kept because results are pinned to its stream:
// mulberry32 (createRng) for training, splits and sweeps; sfc32 (Rng, createStreamRng) for the
// gate's resampling, where it is about twice as fast and the bootstrap draws millions of indices.
// No tensors here: the gate imports it.

/** mulberry32: small, fast, good enough for shuffles, splits and initialisation. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent seed for a named purpose ("split", "init", epoch 3 ...). */
export function deriveSeed(seed: number, ...parts: Array<string | number>): number {
  let h = 2166136261 ^ seed;
  for (const ch of parts.join('/')) {
    h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fisher-Yates shuffle of 0..n-1. */
export function permutation(n: number, rng: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

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
    let a = s[0] | 0,
      b = s[1] | 0,
      c = s[2] | 0,
      d = s[3] | 0;
    const scale = n / 4294967296;
    for (let i = 0; i < out.length; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (((c << 21) | (c >>> 11)) + t) | 0;
      out[i] = ((t >>> 0) * scale) | 0;
    }
    s[0] = a;
    s[1] = b;
    s[2] = c;
    s[3] = d;
    return out;
  }
}

/** The gate's generator: sfc32, `stream` separating independent draws from one seed. */
export function createStreamRng(seed: number, stream = 0): Rng {
  return new Rng(seed, stream);
}
