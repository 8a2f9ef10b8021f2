// Runs the head over a feature matrix and turns the outputs into metrics.
import { tf } from '../backend/tf.js';
import { classificationMetrics, crossEntropy, type ClassificationResult } from '../metrics/classification.js';
import type { FeatureMatrix } from '../features/extract.js';
import type { Head } from './head.js';
import { headTrainee, type Trainee } from './trainee.js';

export interface Predictions {
  /** Softmax probabilities, row-major [rows, classes]. */
  probs: Float32Array;
  yPred: Int32Array;
}

export async function predictTrainee(t: Trainee, x: FeatureMatrix, numClasses: number): Promise<Predictions> {
  const probs = new Float32Array(x.rows * numClasses);
  for (let start = 0; start < x.rows; start += t.evalBatch) {
    const n = Math.min(t.evalBatch, x.rows - start);
    const out = tf.tidy(() => {
      const xb = tf.tensor2d(x.data.subarray(start * x.dim, (start + n) * x.dim), [n, x.dim]);
      return tf.softmax(t.logits(xb, { dropout: 0 }));
    });
    probs.set((await out.data()) as Float32Array, start * numClasses);
    out.dispose();
  }
  return { probs, yPred: argmaxRows(probs, numClasses) };
}

export function argmaxRows(probs: Float32Array, k: number): Int32Array {
  const rows = probs.length / k;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[r * k + c] > probs[r * k + best]) best = c;
    out[r] = best;
  }
  return out;
}

export interface Evaluation extends ClassificationResult {
  loss: number;
  predictions: Predictions;
}

export async function evaluateHead(head: Head, x: FeatureMatrix, y: Int32Array, labels: string[]): Promise<Evaluation> {
  return evaluateTrainee(headTrainee(head), x, y, labels);
}

export async function evaluateTrainee(t: Trainee, x: FeatureMatrix, y: Int32Array, labels: string[]): Promise<Evaluation> {
  const predictions = await predictTrainee(t, x, labels.length);
  const result = classificationMetrics(y, predictions.yPred, labels);
  return { ...result, loss: crossEntropy(predictions.probs, labels.length, y), predictions };
}
