// Classification metrics with scikit-learn's semantics (zero_division=0), so the
// numbers in reports and merge gates match what data scientists compute offline.
// Pure: no I/O, no tensors; callers pass plain class-index arrays.

export interface PerClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface AverageMetrics {
  accuracy: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  precision_weighted: number;
  recall_weighted: number;
  f1_weighted: number;
  f1_micro: number;
}

/** Rows are true classes, columns predicted classes. */
export interface ConfusionMatrix {
  labels: string[];
  matrix: number[][];
}

export interface ClassificationResult {
  metrics: AverageMetrics;
  perClass: PerClassMetrics[];
  confusion: ConfusionMatrix;
}

// Keras clips probabilities to [epsilon, 1 - epsilon] before taking the log.
const PROB_EPSILON = 1e-7;

function checkNumClasses(numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`numClasses must be a positive integer, got ${numClasses}`);
  }
}

function checkIndices(name: string, values: ArrayLike<number>, numClasses: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new Error(`${name}[${i}] = ${v} is not a class index in 0..${numClasses - 1}`);
    }
  }
}

function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): void {
  checkNumClasses(numClasses);
  if (yTrue.length !== yPred.length) {
    throw new Error(`yTrue and yPred differ in length: ${yTrue.length} vs ${yPred.length}`);
  }
  if (yTrue.length === 0) throw new Error('cannot compute metrics on empty arrays');
  checkIndices('yTrue', yTrue, numClasses);
  checkIndices('yPred', yPred, numClasses);
}

/** The averaged metrics, in the order metricsFromConfusion writes them. */
export const AVERAGE_METRICS = [
  'accuracy',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'precision_weighted',
  'recall_weighted',
  'f1_weighted',
  'f1_micro',
] as const satisfies ReadonlyArray<keyof AverageMetrics>;

/** Per-class values, written by metricsFromConfusion when asked. */
export interface PerClassArrays {
  precision: Float64Array;
  recall: Float64Array;
  f1: Float64Array;
  support: Float64Array;
}

// f1 with sklearn's zero_division=0: an undefined ratio counts as 0, not NaN.
const f1 = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * The one implementation of the metrics: writes AVERAGE_METRICS of a row-major k x k confusion
 * matrix (rows = true class) into `out`, in that order, and the per-class values into `perClass`
 * when given. Counts may be bootstrap multiplicities. The gate's resampling calls it thousands of
 * times per gate, so it allocates nothing and validates nothing. Macro averages include classes
 * absent from both arrays (as 0), as sklearn does with labels=range(K); weighted ones are 0 when no
 * class has support.
 */
export function metricsFromConfusion(conf: ArrayLike<number>, k: number, out: Float64Array, perClass?: PerClassArrays): Float64Array {
  let total = 0,
    correct = 0;
  let pMacro = 0,
    rMacro = 0,
    fMacro = 0,
    pWeighted = 0,
    rWeighted = 0,
    fWeighted = 0;
  for (let c = 0; c < k; c++) {
    let support = 0,
      predicted = 0;
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
    pMacro += precision;
    rMacro += recall;
    fMacro += f;
    pWeighted += precision * support;
    rWeighted += recall * support;
    fWeighted += f * support;
    if (perClass) {
      perClass.precision[c] = precision;
      perClass.recall[c] = recall;
      perClass.f1[c] = f;
      perClass.support[c] = support;
    }
  }
  const accuracy = total === 0 ? 0 : correct / total;
  out[0] = accuracy;
  out[1] = pMacro / k;
  out[2] = rMacro / k;
  out[3] = fMacro / k;
  out[4] = total === 0 ? 0 : pWeighted / total;
  out[5] = total === 0 ? 0 : rWeighted / total;
  out[6] = total === 0 ? 0 : fWeighted / total;
  // Single-label multiclass: micro precision = micro recall = accuracy, pooled over all K labels.
  out[7] = f1(accuracy, accuracy);
  return out;
}

export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkPair(yTrue, yPred, numClasses);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]][yPred[i]]++;
  return matrix;
}

export function classificationMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels: readonly string[]): ClassificationResult {
  const k = labels.length;
  if (k === 0) throw new Error('labels must name at least one class');
  const matrix = confusionMatrix(yTrue, yPred, k);
  const per: PerClassArrays = {
    precision: new Float64Array(k),
    recall: new Float64Array(k),
    f1: new Float64Array(k),
    support: new Float64Array(k),
  };
  const values = metricsFromConfusion(matrix.flat(), k, new Float64Array(AVERAGE_METRICS.length), per);
  const metrics = Object.fromEntries(AVERAGE_METRICS.map((m, i) => [m, values[i]])) as unknown as AverageMetrics;
  const perClass = labels.map((label, c) => ({
    label,
    precision: per.precision[c],
    recall: per.recall[c],
    f1: per.f1[c],
    support: per.support[c],
  }));
  return { metrics, perClass, confusion: { labels: [...labels], matrix } };
}

/**
 * Mean negative log-likelihood of the true class. `probs` is row-major,
 * yTrue.length rows of numClasses probabilities each.
 */
export function crossEntropy(probs: ArrayLike<number>, numClasses: number, yTrue: ArrayLike<number>): number {
  checkNumClasses(numClasses);
  const n = yTrue.length;
  if (n === 0) throw new Error('cannot compute cross-entropy on empty arrays');
  if (probs.length !== n * numClasses) {
    throw new Error(`probs has ${probs.length} values, expected ${n} rows x ${numClasses} classes = ${n * numClasses}`);
  }
  checkIndices('yTrue', yTrue, numClasses);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i * numClasses + yTrue[i]];
    if (Number.isNaN(p)) throw new Error(`probs[${i * numClasses + yTrue[i]}] is NaN`);
    total -= Math.log(Math.min(Math.max(p, PROB_EPSILON), 1 - PROB_EPSILON));
  }
  return total / n;
}
