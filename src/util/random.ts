// Seeded randomness. Every random choice of a run derives from the spec's seed through here,
// never from Math.random, so the same spec gives the same run.

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
