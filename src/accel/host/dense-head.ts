// One training step's arithmetic for the dense head, on arrays in our kernels' memory: forward
// with dropout and ReLU, softmax cross-entropy (label smoothing, class weights), and the gradient
// of every kernel and bias. The function is head.ts's headLogits under loss.ts's trainingLoss,
// differentiated by hand. Products run in the gemm kernel; the rest is loops over small arrays.
import { createKernels, type Kernels } from '../kernels/kernels.js';

export interface LayerSpace {
  inDim: number;
  outDim: number;
  kernel: Float32Array; // [inDim, outDim], row-major, as the variable stores it
  bias: Float32Array;
  kernelGrad: Float32Array;
  biasGrad: Float32Array;
  /** The layer's input for the batch, after dropout: [rows, inDim]. Layer 0's is filled by the caller. */
  input: Float32Array;
  /** Pre-activation output: [rows, outDim]. */
  z: Float32Array;
  /** Gradient of the loss with respect to z. */
  dz: Float32Array;
  /** Layers above the first: the kernel transposed, and the gradient with respect to the input. */
  kernelT?: Float32Array;
  inputGrad?: Float32Array;
}

export interface HeadSpace {
  layers: LayerSpace[];
  kernels: Kernels;
  /** Optimizer slots of each weight array (kernel, bias, per layer), `slotCount` each. */
  slots: Float32Array[][];
}

export interface LossSettings {
  /** Label of each row. */
  labels: Int32Array;
  smoothing: number;
  /** Loss weight per class, when class weights are set. */
  classWeights?: Float32Array;
}

/** Arrays for a head of the given widths ([input, hidden..., classes]) and batches up to maxRows. */
export function allocateHeadSpace(widths: number[], maxRows: number, slotCount: number): HeadSpace {
  const lengths: number[] = [];
  const take = (n: number): number => lengths.push(n) - 1;
  const plan = widths.slice(1).map((outDim, i) => {
    const inDim = widths[i];
    const weights = [inDim * outDim, outDim];
    return {
      inDim,
      outDim,
      at: [...weights, ...weights, maxRows * inDim, maxRows * outDim, maxRows * outDim].map(take),
      above: i > 0 ? [inDim * outDim, maxRows * inDim].map(take) : undefined,
      slots: weights.map((n) => Array.from({ length: slotCount }, () => take(n))),
    };
  });
  const kernels = createKernels(lengths);
  const a = kernels.arrays;
  const layers = plan.map(({ inDim, outDim, at, above }) => {
    const [kernel, bias, kernelGrad, biasGrad, input, z, dz] = at.map((i) => a[i]);
    return {
      inDim,
      outDim,
      kernel,
      bias,
      kernelGrad,
      biasGrad,
      input,
      z,
      dz,
      kernelT: above && a[above[0]],
      inputGrad: above && a[above[1]],
    };
  });
  return { layers, kernels, slots: plan.flatMap((p) => p.slots.map((s) => s.map((i) => a[i]))) };
}

export const weightArrays = (space: HeadSpace): Float32Array[] => space.layers.flatMap((l) => [l.kernel, l.bias]);
export const gradientArrays = (space: HeadSpace): Float32Array[] => space.layers.flatMap((l) => [l.kernelGrad, l.biasGrad]);

/**
 * Forward and backward over the first `rows` rows of layer 0's input; fills every gradient and
 * returns the batch's mean weighted loss. `masks[i]` (0 or 1 / (1 - rate)) multiplies layer i's
 * input for i > 0; layer 0's input comes already masked.
 */
export function headGradients(space: HeadSpace, rows: number, masks: Array<Float32Array | undefined>, loss: LossSettings): number {
  const { layers, kernels } = space;
  layers.forEach((layer, i) => {
    if (i > 0) reluInto(layer.input, layers[i - 1].z, rows * layer.inDim, masks[i]);
    kernels.gemm(layer.z, layer.input, layer.kernel, rows, layer.inDim, layer.outDim);
    addBias(layer.z, layer.bias, rows);
  });
  const top = layers[layers.length - 1];
  const value = softmaxCrossEntropy(top.z, top.dz, rows, top.outDim, loss);
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    kernels.gemm(layer.kernelGrad, layer.input, layer.dz, layer.inDim, rows, layer.outDim, true);
    columnSums(layer.biasGrad, layer.dz, rows, layer.outDim);
    if (i === 0) break;
    // Back through the input: the product with the kernel, then the mask, then the ReLU below.
    const { kernelT, inputGrad } = layer as Required<LayerSpace>;
    transposeInto(kernelT, layer.kernel, layer.inDim, layer.outDim);
    kernels.gemm(inputGrad, layer.dz, kernelT, rows, layer.outDim, layer.inDim);
    const below = layers[i - 1];
    const mask = masks[i];
    for (let j = 0; j < rows * layer.inDim; j++) below.dz[j] = below.z[j] > 0 ? (mask ? inputGrad[j] * mask[j] : inputGrad[j]) : 0;
  }
  return value;
}

/**
 * Mean over rows of w_row * CE(targets, softmax(logits)), targets = (1 - s) onehot + s / k; writes
 * its gradient with respect to the logits, w_row (softmax - targets) / rows (targets sum to 1).
 */
function softmaxCrossEntropy(logits: Float32Array, dLogits: Float32Array, rows: number, k: number, settings: LossSettings): number {
  const { labels, smoothing, classWeights } = settings;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[o + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[o + j] - max);
    const logSum = Math.log(sum) + max;
    const w = classWeights ? classWeights[labels[r]] : 1;
    let rowLoss = 0;
    for (let j = 0; j < k; j++) {
      const target = (j === labels[r] ? 1 - smoothing : 0) + smoothing / k;
      const logP = logits[o + j] - logSum;
      rowLoss -= target * logP;
      dLogits[o + j] = (w * (Math.exp(logP) - target)) / rows;
    }
    total += w * rowLoss;
  }
  return total / rows;
}

function reluInto(out: Float32Array, z: Float32Array, n: number, mask: Float32Array | undefined): void {
  for (let j = 0; j < n; j++) out[j] = z[j] > 0 ? (mask ? z[j] * mask[j] : z[j]) : 0;
}

function addBias(z: Float32Array, bias: Float32Array, rows: number): void {
  const n = bias.length;
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) z[r * n + j] += bias[j];
}

function columnSums(out: Float32Array, a: Float32Array, rows: number, cols: number): void {
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) sums[j] += a[r * cols + j];
  out.set(sums);
}

function transposeInto(out: Float32Array, a: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
}
