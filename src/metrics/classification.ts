// Classification metrics with scikit-learn's semantics (zero_division=0), so the
// numbers in reports and merge gates match what data scientists compute offline.
// Pure: no I/O, no tensors; callers pass plain class-index arrays.

export interface PerClassMetrics { label: string; precision: number; recall: number; f1: number; support: number }

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
export interface ConfusionMatrix { labels: string[]; matrix: number[][] }

export interface ClassificationResult { metrics: AverageMetrics; perClass: PerClassMetrics[]; confusion: ConfusionMatrix }

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

// x / y with sklearn's zero_division=0: an undefined ratio counts as 0, not NaN.
function ratio(x: number, y: number): number {
  return y === 0 ? 0 : x / y;
}

function f1(precision: number, recall: number): number {
  const denom = precision + recall;
  return denom === 0 ? 0 : (2 * precision * recall) / denom;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

// Support-weighted mean; sklearn returns 0 when no class has support.
function weightedMean(values: readonly number[], weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  // Never true today: callers refuse empty arrays, so the supports add up to n > 0.
  if (total === 0) return 0;
  return values.reduce((acc, v, i) => acc + v * weights[i], 0) / total;
}

export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkPair(yTrue, yPred, numClasses);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]][yPred[i]]++;
  return matrix;
}

export function classificationMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  labels: readonly string[],
): ClassificationResult {
  const k = labels.length;
  if (k === 0) throw new Error('labels must name at least one class');
  const matrix = confusionMatrix(yTrue, yPred, k);

  const tp = matrix.map((row, c) => row[c]);
  const support = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = matrix[0].map((_, c) => matrix.reduce((acc, row) => acc + row[c], 0));

  const precision = tp.map((t, c) => ratio(t, predicted[c]));
  const recall = tp.map((t, c) => ratio(t, support[c]));
  const f1s = precision.map((p, c) => f1(p, recall[c]));

  const tpSum = tp.reduce((a, b) => a + b, 0);
  // Micro averages pool counts over all K labels, so they equal accuracy here.
  const microP = ratio(tpSum, predicted.reduce((a, b) => a + b, 0));
  const microR = ratio(tpSum, support.reduce((a, b) => a + b, 0));

  const metrics: AverageMetrics = {
    accuracy: tpSum / yTrue.length,
    // Macro averages include classes absent from both arrays (as 0), as sklearn does with labels=range(K).
    precision_macro: mean(precision),
    recall_macro: mean(recall),
    f1_macro: mean(f1s),
    precision_weighted: weightedMean(precision, support),
    recall_weighted: weightedMean(recall, support),
    f1_weighted: weightedMean(f1s, support),
    f1_micro: f1(microP, microR),
  };

  const perClass = labels.map((label, c) => ({
    label,
    precision: precision[c],
    recall: recall[c],
    f1: f1s[c],
    support: support[c],
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
