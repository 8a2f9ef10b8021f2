// Bootstrap over test examples. The gate only needs the spread of each metric (and of
// candidate - baseline), so replicates are reduced to variances right away.

import type { Rng } from './random.js';
import { RESAMPLABLE_METRICS, metricsFromConfusion } from './resample-metrics.js';
import { sampleVariance } from './stats.js';

/** One model's test-set predictions as confusion-cell codes, one array per trained head (repeat). */
export interface ResampleSet {
  n: number;
  k: number;
  codes: Int32Array[];
}

const M = RESAMPLABLE_METRICS.length;

// Mean over a set's repeats of each metric, added into out[offset .. offset + M).
function addMeanMetrics(confs: Int32Array[], k: number, out: Float64Array, offset: number, scratch: Float64Array): void {
  for (const conf of confs) {
    metricsFromConfusion(conf, k, scratch);
    for (let m = 0; m < M; m++) out[offset + m] += scratch[m] / confs.length;
  }
}

// Confusion counts of one resample: conf[cell of each drawn example]++.
function countCells(codes: Int32Array, drawn: Int32Array, conf: Int32Array): void {
  conf.fill(0);
  for (let j = 0; j < drawn.length; j++) conf[codes[drawn[j]]]++;
}

/**
 * Replicates of the mean-over-repeats metrics of each set, as a samples x M array per set
 * (metric order of RESAMPLABLE_METRICS). All sets share the drawn examples, which makes
 * the replicates paired; they must therefore have the same n.
 */
export function bootstrapMeans(sets: readonly ResampleSet[], samples: number, rng: Rng): Float64Array[] {
  const n = sets[0].n;
  if (sets.some((s) => s.n !== n)) throw new Error('paired resampling needs test sets of the same size');
  const out = sets.map(() => new Float64Array(samples * M));
  const confs = sets.map((s) => s.codes.map(() => new Int32Array(s.k * s.k)));
  const allCodes = sets.flatMap((s) => s.codes);
  const allConfs = confs.flat();
  const scratch = new Float64Array(M);
  const drawn = new Int32Array(n);
  for (let b = 0; b < samples; b++) {
    rng.indices(drawn, n);
    for (let r = 0; r < allCodes.length; r++) countCells(allCodes[r], drawn, allConfs[r]);
    sets.forEach((s, g) => addMeanMetrics(confs[g], s.k, out[g], b * M, scratch));
  }
  return out;
}

/** Variance over replicates of metric index m of `a`, or of a - b when b is given. */
export function replicateVariance(a: Float64Array, b: Float64Array | undefined, m: number): number {
  const samples = a.length / M;
  const values = new Float64Array(samples);
  for (let i = 0; i < samples; i++) values[i] = a[i * M + m] - (b ? b[i * M + m] : 0);
  return sampleVariance(values);
}
