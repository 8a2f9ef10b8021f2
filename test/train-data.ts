// Small seeded data sets for the training tests: Gaussian clusters, one per class.
import type { LabelledFeatures } from '../src/train/loop.js';
import { createRng } from '../src/util/random.js';

export interface ClusterOptions {
  /** Training examples per class; their count sets the number of classes. */
  perClass: number[];
  /** Validation examples per class (balanced). */
  valPerClass: number;
  dim: number;
  /** Distance of each class centre from the origin, in standard deviations. */
  separation: number;
  seed: number;
}

/** Class c is centred at `separation` along axis c (mod dim), with unit noise. */
export function clusters(o: ClusterOptions): { train: LabelledFeatures; val: LabelledFeatures; labels: string[] } {
  const rng = createRng(o.seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const make = (counts: number[]): LabelledFeatures => {
    const rows = counts.reduce((a, b) => a + b, 0);
    const data = new Float32Array(rows * o.dim);
    const y = new Int32Array(rows);
    let r = 0;
    counts.forEach((n, c) => {
      for (let i = 0; i < n; i++, r++) {
        y[r] = c;
        for (let d = 0; d < o.dim; d++) data[r * o.dim + d] = normal() + (d === c % o.dim ? o.separation : 0);
      }
    });
    return { x: { rows, dim: o.dim, data }, y };
  };
  return {
    train: make(o.perClass),
    val: make(o.perClass.map(() => o.valPerClass)),
    labels: o.perClass.map((_, c) => `c${c}`),
  };
}
