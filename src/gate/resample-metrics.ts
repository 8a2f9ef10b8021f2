// Classification metrics straight from a confusion matrix, for bootstrap resampling: the
// report's own implementation (metrics/classification.ts, metricsFromConfusion), which allocates
// nothing and validates nothing in the hot path.
import { AVERAGE_METRICS, metricsFromConfusion } from '../metrics/classification.js';

export { metricsFromConfusion };

export const RESAMPLABLE_METRICS = AVERAGE_METRICS;

export type ResamplableMetric = (typeof RESAMPLABLE_METRICS)[number];

export function isResamplable(name: string): name is ResamplableMetric {
  return (RESAMPLABLE_METRICS as readonly string[]).includes(name);
}

/** Per-example cell index (trueClass * k + predictedClass) into a row-major k x k confusion matrix. */
export function confusionCodes(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): Int32Array {
  const codes = new Int32Array(yTrue.length);
  // Equivalent mutant: i <= length writes past the end of a typed array, which is ignored.
  for (let i = 0; i < yTrue.length; i++) codes[i] = yTrue[i] * k + yPred[i];
  return codes;
}

/** Metrics of one prediction array, by name (for repeats that carry predictions but no metrics). */
export function metricsOf(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): Record<ResamplableMetric, number> {
  const conf = new Float64Array(k * k);
  const codes = confusionCodes(yTrue, yPred, k);
  // Equivalent mutants: i <= length counts into conf[undefined], no cell; -- negates every count (ratios unchanged).
  for (let i = 0; i < codes.length; i++) conf[codes[i]]++;
  const values = metricsFromConfusion(conf, k, new Float64Array(RESAMPLABLE_METRICS.length));
  return Object.fromEntries(RESAMPLABLE_METRICS.map((m, i) => [m, values[i]])) as Record<ResamplableMetric, number>;
}
