// The training objective: softmax cross-entropy with optional label smoothing and per-class
// weights, with Keras semantics (each example weighted by its class, then the mean over the batch).
import { tf } from '../backend/tf.js';
import { ConfigError } from '../errors.js';
import { didYouMeanSuffix } from '../spec/did-you-mean.js';

/** Per-example loss weights come from this, indexed by label; undefined means all 1. */
export function classWeightVector(
  spec: 'balanced' | Record<string, number> | undefined,
  labels: string[],
  y: Int32Array,
): Float32Array | undefined {
  if (spec === undefined) return undefined;
  if (spec === 'balanced') return balancedWeights(labels.length, y);
  const out = new Float32Array(labels.length).fill(1);
  for (const [label, weight] of Object.entries(spec)) {
    const i = labels.indexOf(label);
    if (i < 0) {
      const known = `expected one of ${labels.map((l) => `"${l}"`).join(', ')}`;
      throw new ConfigError(`train.class_weights.${label}: unknown label${didYouMeanSuffix(label, labels) || `; ${known}`}`);
    }
    out[i] = weight;
  }
  return out;
}

/** scikit-learn's "balanced": n / (classes x count); a class absent from train gets 0. */
export function balancedWeights(k: number, y: Int32Array): Float32Array {
  const counts = new Float64Array(k);
  for (const label of y) counts[label]++;
  return Float32Array.from(counts, (c) => (c === 0 ? 0 : y.length / (k * c)));
}

/**
 * Mean over the batch of w_i * CE(targets_i, softmax(logits_i)), where the targets are the one-hot
 * labels mixed with a uniform distribution: (1 - smoothing) * onehot + smoothing / classes.
 * No tidy inside: it runs under tf.variableGrads; callers tidy.
 */
export function trainingLoss(logits: tf.Tensor2D, oneHot: tf.Tensor2D, smoothing: number, weights?: tf.Tensor1D): tf.Scalar {
  const k = logits.shape[1];
  const targets = smoothing > 0 ? oneHot.mul(1 - smoothing).add(smoothing / k) : oneHot;
  const perExample = targets.mul(tf.logSoftmax(logits)).sum(1).neg();
  return (weights ? perExample.mul(weights) : perExample).mean() as tf.Scalar;
}
