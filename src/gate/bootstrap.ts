// Bootstrap over test examples. The gate only needs the spread of each metric (and of
// candidate - baseline), so replicates are reduced to variances right away.

import type { Rng } from '../util/random.js';
import { RESAMPLABLE_METRICS, metricsFromConfusion } from './resample-metrics.js';
import { sampleVariance } from './stats.js';

/** One model's test-set predictions as confusion-cell codes, one array per trained head (repeat). */
export interface ResampleSet {
  n: number;
  k: number;
  codes: Int32Array[];
}

const M = RESAMPLABLE_METRICS.length;

interface Groups {
  /** Group of each example. */
  of: Int32Array;
  /** Per code array, the cell of each group. */
  cells: Int32Array[];
}

// Examples that fall in the same cell of every array are interchangeable, and there are
// usually far fewer such groups than examples: a resample then costs one count per drawn
// example plus groups x arrays, instead of examples x arrays.
function groupExamples(arrays: readonly Int32Array[], n: number): Groups {
  const index = new Map<string, number>();
  const of = new Int32Array(n);
  const first: number[] = [];
  // Equivalent mutant: i <= n adds one group past the end, which no example falls in (a count of 0).
  for (let i = 0; i < n; i++) {
    const key = arrays.map((a) => a[i]).join(',');
    let id = index.get(key);
    // Equivalent mutant: `id === undefined` forced true makes every example a group of its own; grouping only saves time.
    if (id === undefined) {
      id = first.length;
      index.set(key, id);
      first.push(i);
    }
    of[i] = id;
  }
  return { of, cells: arrays.map((a) => Int32Array.from(first, (i) => a[i])) };
}

// Mean over a set's repeats of each metric, added into out[offset .. offset + M).
function addMeanMetrics(confs: Int32Array[], k: number, out: Float64Array, offset: number, scratch: Float64Array): void {
  for (const conf of confs) {
    metricsFromConfusion(conf, k, scratch);
    for (let m = 0; m < M; m++) out[offset + m] += scratch[m] / confs.length;
  }
}

function fillConfusion(conf: Int32Array, cells: Int32Array, counts: Int32Array): void {
  conf.fill(0);
  // Equivalent mutants: g <= length adds to conf[undefined], no cell; -= negates every count, and every metric is a ratio of counts.
  for (let g = 0; g < cells.length; g++) conf[cells[g]] += counts[g];
}

/**
 * Replicates of the mean-over-repeats metrics of each set, as a samples x M array per set
 * (metric order of RESAMPLABLE_METRICS). All sets share the drawn examples, which makes
 * the replicates paired; they must therefore have the same n.
 */
export function bootstrapMeans(sets: readonly ResampleSet[], samples: number, rng: Rng): Float64Array[] {
  const n = sets[0].n;
  if (sets.some((s) => s.n !== n)) throw new Error('paired resampling needs test sets of the same size');
  const groups = groupExamples(
    sets.flatMap((s) => s.codes),
    n,
  );
  const counts = new Int32Array(groups.cells[0].length);
  const drawn = new Int32Array(n);
  const confs = sets.map((s) => s.codes.map(() => new Int32Array(s.k * s.k)));
  const out = sets.map(() => new Float64Array(samples * M));
  const scratch = new Float64Array(M);
  for (let b = 0; b < samples; b++) {
    rng.indices(drawn, n);
    counts.fill(0);
    // Equivalent mutants: j <= n counts past the drawn examples into no group; -- negates every count (ratios unchanged).
    for (let j = 0; j < n; j++) counts[groups.of[drawn[j]]]++;
    confs.flat().forEach((conf, r) => fillConfusion(conf, groups.cells[r], counts));
    sets.forEach((s, g) => addMeanMetrics(confs[g], s.k, out[g], b * M, scratch));
  }
  return out;
}

/** Variance over replicates of metric index m of `a`, or of a - b when b is given. */
export function replicateVariance(a: Float64Array, b: Float64Array | undefined, m: number): number {
  const samples = a.length / M;
  const values = new Float64Array(samples);
  // Equivalent mutant: i <= samples writes past the end of a typed array, which is ignored.
  for (let i = 0; i < samples; i++) values[i] = a[i * M + m] - (b ? b[i * M + m] : 0);
  return sampleVariance(values);
}
