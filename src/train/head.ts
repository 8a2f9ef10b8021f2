// The new classification head as plain variables: dense layers (ReLU between), softmax at the end.
// Owning the forward pass keeps dropout and initialisation seeded, which Keras layers in TF.js do not.
import { tf } from '../backend/tf.js';
import { createRng, deriveSeed } from '../util/random.js';

export interface DenseParams {
  kernel: tf.Variable; // [in, out]
  bias: tf.Variable; // [out]
}

export interface Head {
  layers: DenseParams[];
  /** Standardisation of the input features (train mean / std), folded into the first layer on export. */
  mean: Float32Array;
  std: Float32Array;
}

export interface HeadShape {
  inputDim: number;
  hidden: number[];
  numClasses: number;
}

/**
 * Glorot-uniform hidden kernels from the seeded generator, zero biases (the Keras defaults), and a
 * zero output kernel, as in Big Transfer: the head starts at the uniform prediction, so where a
 * linear head ends depends on the data, not on the draw (on Fashion-MNIST features this cut the
 * spread of a linear head's test accuracy over 8 seeds from 3.5 to 0.5 points).
 */
export function initHead(shape: HeadShape, norm: { mean: Float32Array; std: Float32Array }, seed: number): Head {
  const widths = [shape.inputDim, ...shape.hidden, shape.numClasses];
  const layers = widths.slice(1).map((out, i) => {
    const fanIn = widths[i];
    const limit = Math.sqrt(6 / (fanIn + out));
    const rng = createRng(deriveSeed(seed, 'init', i));
    const values = new Float32Array(fanIn * out);
    if (i < widths.length - 2) for (let k = 0; k < values.length; k++) values[k] = (rng() * 2 - 1) * limit;
    return {
      // Unnamed: engine-wide names would clash when repeats hold several heads at once.
      kernel: tf.variable(tf.tensor2d(values, [fanIn, out]), true),
      bias: tf.variable(tf.zeros([out]), true),
    };
  });
  return { layers, mean: norm.mean, std: norm.std };
}

export interface ForwardOptions {
  dropout: number;
  /** When set, dropout is applied with masks drawn from this seed. */
  dropoutSeed?: number;
}

/** Logits for a batch of raw (unstandardised) features. */
export function headLogits(head: Head, x: tf.Tensor2D, opts: ForwardOptions): tf.Tensor2D {
  let h: tf.Tensor2D = x.sub(tf.tensor1d(head.mean)).div(tf.tensor1d(head.std));
  head.layers.forEach((layer, i) => {
    if (opts.dropout > 0 && opts.dropoutSeed !== undefined) h = dropout(h, opts.dropout, dropoutSeedOf(opts.dropoutSeed, i));
    h = h.matMul(layer.kernel).add(layer.bias);
    if (i < head.layers.length - 1) h = tf.relu(h);
  });
  return h;
}

/**
 * Inverted dropout with the mask drawn here, already scaled by 1 / (1 - rate): one upload and one
 * multiply. tf.randomUniform draws element by element through a slower generator and needs a
 * comparison and two more ops, which together cost a quarter of a head step on wasm.
 */
function dropout(x: tf.Tensor2D, rate: number, seed: number): tf.Tensor2D {
  return x.mul(tf.tensor2d(dropoutMask(x.size, rate, seed), x.shape));
}

/**
 * A dropout mask: 0 or 1 / (1 - rate) per element, element i kept when the i-th draw of
 * createRng(seed) is >= rate. The generator is inlined and compared as an integer (u / 2^32 >= rate
 * exactly when u >= rate * 2^32): a step draws one number per input of every layer, and the call
 * per draw cost more than the rest of a head step's loops together.
 */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  const kept = 1 / (1 - rate);
  const threshold = rate * 4294967296;
  const mask = new Float32Array(size);
  let a = seed >>> 0;
  for (let i = 0; i < size; i++) {
    // mulberry32, as in createRng.
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    if ((t ^ (t >>> 14)) >>> 0 >= threshold) mask[i] = kept;
  }
  return mask;
}

/** The seed of layer `layer`'s mask in the step seeded `stepSeed`. */
export const dropoutSeedOf = (stepSeed: number, layer: number): number => deriveSeed(stepSeed, layer);

export function headVariables(head: Head): tf.Variable[] {
  return head.layers.flatMap((l) => [l.kernel, l.bias]);
}

export function disposeHead(head: Head): void {
  headVariables(head).forEach((v) => v.dispose());
}

/** Per-feature mean and std of the training features; constant features get std 1. */
export function featureStats(data: Float32Array, rows: number, dim: number): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dim; d++) {
      const v = data[r * dim + d];
      mean[d] += v;
      sq[d] += v * v;
    }
  }
  const m = new Float32Array(dim);
  const s = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    m[d] = mean[d] / rows;
    const variance = sq[d] / rows - m[d] * m[d];
    s[d] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  return { mean: m, std: s };
}
