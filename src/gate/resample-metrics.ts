// Classification metrics straight from a confusion matrix, for bootstrap resampling:
// thousands of resamples per gate, so no allocation and no validation in the hot path.
// Semantics match the report's metrics (scikit-learn, zero_division=0, macro averages
// over all labels including ones absent from both arrays).

export const RESAMPLABLE_METRICS = [
  'accuracy', 'precision_macro', 'recall_macro', 'f1_macro',
  'precision_weighted', 'recall_weighted', 'f1_weighted', 'f1_micro',
] as const;

export type ResamplableMetric = (typeof RESAMPLABLE_METRICS)[number];

export function isResamplable(name: string): name is ResamplableMetric {
  return (RESAMPLABLE_METRICS as readonly string[]).includes(name);
}

/** Per-example cell index (trueClass * k + predictedClass) into a row-major k x k confusion matrix. */
export function confusionCodes(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): Int32Array {
  const codes = new Int32Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) codes[i] = yTrue[i] * k + yPred[i];
  return codes;
}

const f1 = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * Writes the RESAMPLABLE_METRICS of a row-major k x k confusion matrix (rows = true class)
 * into `out`, in that order. Counts may be bootstrap multiplicities.
 */
export function metricsFromConfusion(conf: ArrayLike<number>, k: number, out: Float64Array): Float64Array {
  let total = 0, correct = 0;
  let pMacro = 0, rMacro = 0, fMacro = 0, pWeighted = 0, rWeighted = 0, fWeighted = 0;
  for (let c = 0; c < k; c++) {
    let support = 0, predicted = 0;
    for (let j = 0; j < k; j++) {
      support += conf[c * k + j];
      predicted += conf[j * k + c];
    }
    const tp = conf[c * k + c];
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f = f1(precision, recall);
    total += support;
    correct += tp;
    pMacro += precision; rMacro += recall; fMacro += f;
    pWeighted += precision * support; rWeighted += recall * support; fWeighted += f * support;
  }
  const accuracy = total === 0 ? 0 : correct / total;
  out[0] = accuracy;
  out[1] = pMacro / k;
  out[2] = rMacro / k;
  out[3] = fMacro / k;
  out[4] = total === 0 ? 0 : pWeighted / total;
  out[5] = total === 0 ? 0 : rWeighted / total;
  out[6] = total === 0 ? 0 : fWeighted / total;
  // Single-label multiclass: micro precision = micro recall = accuracy.
  out[7] = accuracy;
  return out;
}

/** Metrics of one prediction array, by name (for repeats that carry predictions but no metrics). */
export function metricsOf(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): Record<ResamplableMetric, number> {
  const conf = new Float64Array(k * k);
  const codes = confusionCodes(yTrue, yPred, k);
  for (let i = 0; i < codes.length; i++) conf[codes[i]]++;
  const values = metricsFromConfusion(conf, k, new Float64Array(RESAMPLABLE_METRICS.length));
  return Object.fromEntries(RESAMPLABLE_METRICS.map((m, i) => [m, values[i]])) as Record<ResamplableMetric, number>;
}
