// Small seeded networks and batches whose training can be compared across backends.
import { tf } from '../../src/backend/tf.js';

export interface TinyNet {
  model: tf.LayersModel;
  x: tf.Tensor;
  y: tf.Tensor;
}

/** A deterministic stream of uniform numbers in [-0.5, 0.5) (a 32-bit LCG). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function values(n: number, rnd: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rnd() * scale);
}

/** Seeded kernels; biases and batch-norm parameters keep their constant defaults. */
function seedWeights(model: tf.LayersModel, rnd: () => number): void {
  model.weights.forEach((w) => {
    if (!/kernel/.test(w.originalName)) return;
    const shape = w.shape as number[];
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    w.write(tf.tensor(values(tf.util.sizeFromShape(shape), rnd, 2 * Math.sqrt(3 / fanIn)), shape));
  });
}

function labels(n: number, classes: number, rnd: () => number): tf.Tensor {
  return tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: n }, () => Math.floor((rnd() + 0.5) * classes)),
      'int32',
    ),
    classes,
  );
}

export function denseNet(): TinyNet {
  const rnd = seeded(1);
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [32], units: 64, activation: 'relu' }), tf.layers.dense({ units: 10 })],
  });
  seedWeights(model, rnd);
  return { model, x: tf.tensor2d(values(64 * 32, rnd, 2), [64, 32]), y: labels(64, 10, rnd) };
}

export function convNet(): TinyNet {
  const rnd = seeded(2);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU({ maxValue: 6 }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 5 }),
    ],
  });
  seedWeights(model, rnd);
  return { model, x: tf.tensor4d(values(16 * 16 * 16 * 3, rnd, 2), [16, 16, 16, 3]), y: labels(16, 5, rnd) };
}

/** The loss of each of `steps` Adam steps on the current backend (read with data(), not dataSync()). */
export async function trainLosses(build: () => TinyNet, steps: number): Promise<number[]> {
  const { model, x, y } = build();
  const optimizer = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
    );
    losses.push((await (loss as tf.Scalar).data())[0]);
    loss?.dispose();
  }
  optimizer.dispose();
  tf.dispose([x, y]);
  model.dispose();
  return losses;
}
