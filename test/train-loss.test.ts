// The training objective: label smoothing and class weights as defined, and what balanced class
// weights do for a minority class.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { tf } from '../src/backend/tf.js';
import { ConfigError } from '../src/errors.js';
import { SpecSchema } from '../src/spec/schema.js';
import { evaluateHead } from '../src/train/evaluate.js';
import { trainHead } from '../src/train/loop.js';
import { balancedWeights, classWeightVector, trainingLoss } from '../src/train/loss.js';
import { silentLogger } from '../src/util/log.js';
import { clusters } from './train-data.js';

beforeAll(async () => {
  await selectBackend('cpu', silentLogger);
});

const LOGITS = [
  [2, 0, -1],
  [0.5, 1.5, 0],
];
const LABELS = [0, 2];

/** Cross-entropy of one row against a target distribution, in float64. */
function ce(logits: number[], target: number[]): number {
  const max = Math.max(...logits);
  const logZ = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
  return -target.reduce((s, t, i) => s + t * (logits[i] - logZ), 0);
}

function loss(smoothing: number, weights?: number[]): number {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.tensor1d(LABELS, 'int32'), 3) as tf.Tensor2D;
    const w = weights ? tf.tensor1d(weights) : undefined;
    return trainingLoss(tf.tensor2d(LOGITS), oneHot, smoothing, w).dataSync()[0];
  });
}

describe('training loss', () => {
  it('is the mean softmax cross-entropy without smoothing or weights', () => {
    const expected = (ce(LOGITS[0], [1, 0, 0]) + ce(LOGITS[1], [0, 0, 1])) / 2;
    expect(loss(0)).toBeCloseTo(expected, 5);
  });

  it('label smoothing mixes smoothing / classes of a uniform distribution into the targets', () => {
    const e = 0.1;
    const t = (label: number) => [0, 1, 2].map((c) => (c === label ? 1 - e : 0) + e / 3);
    const expected = (ce(LOGITS[0], t(0)) + ce(LOGITS[1], t(2))) / 2;
    expect(loss(e)).toBeCloseTo(expected, 5);
    expect(loss(e)).not.toBeCloseTo(loss(0), 3);
  });

  it('weights each example, then takes the mean over the batch (Keras sample weights)', () => {
    const expected = (2 * ce(LOGITS[0], [1, 0, 0]) + 0.5 * ce(LOGITS[1], [0, 0, 1])) / 2;
    expect(loss(0, [2, 0.5])).toBeCloseTo(expected, 5);
  });
});

describe('class weights', () => {
  it('balanced gives n / (classes x count), and 0 to a class with no examples', () => {
    const w = balancedWeights(3, Int32Array.from([0, 0, 0, 1]));
    expect(Array.from(w)).toEqual([4 / 9, 4 / 3, 0].map(Math.fround));
  });

  it('maps { label: weight } onto label indices; unnamed labels weigh 1', () => {
    const w = classWeightVector({ dog: 3 }, ['cat', 'dog', 'bird'], Int32Array.from([0, 1]));
    expect(Array.from(w ?? [])).toEqual([1, 3, 1]);
    expect(classWeightVector(undefined, ['a'], Int32Array.from([0]))).toBeUndefined();
  });

  it('rejects an unknown label with the key path and a suggestion (exit 2)', () => {
    const run = () => classWeightVector({ dgo: 3 }, ['cat', 'dog'], Int32Array.from([0]));
    expect(run).toThrow(ConfigError);
    expect(run).toThrow('train.class_weights.dgo: unknown label; did you mean "dog"?');
    expect(() => classWeightVector({ zebra: 1 }, ['cat', 'dog'], Int32Array.from([0]))).toThrow('expected one of "cat", "dog"');
  });

  it('balanced weights raise the recall of a rare class over unweighted training', async () => {
    // 380 vs 20 examples of two overlapping classes; judged on a balanced set.
    const data = clusters({ perClass: [380, 20], valPerClass: 200, dim: 4, separation: 1.5, seed: 11 });
    const recallOfRare = async (class_weights?: 'balanced') => {
      const spec = SpecSchema.shape.train.parse({ epochs: 15, learning_rate: 0.01, early_stopping: false, class_weights });
      const r = await trainHead(data.train, data.val, {
        train: spec,
        head: { hidden: [], dropout: 0 },
        labels: data.labels,
        seed: 5,
        log: silentLogger,
      });
      return (await evaluateHead(r.head, data.val.x, data.val.y, data.labels)).perClass[1].recall;
    };
    const plain = await recallOfRare();
    const balanced = await recallOfRare('balanced');
    expect(plain).toBeLessThan(0.5);
    expect(balanced).toBeGreaterThan(plain + 0.3);
  });
});
