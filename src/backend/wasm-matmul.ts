// wasm's BatchMatMul sends a product with a transposed operand to a plain triple loop; only the
// untransposed case reaches XNNPACK. Every dense-layer gradient is such a product (dW = x^T dy,
// dx = dy W^T), which made them 6 to 8 times slower than the forward product. Transposing the
// operand first (a cheap copy) and multiplying untransposed gives the same product, fast.
import { tf } from './tf.js';

type KernelParams = Parameters<tf.KernelFunc>[0];

export function matMulWithoutTransposes(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { transposeA, transposeB } = params.attrs as unknown as tf.BatchMatMulAttrs;
  const { a, b } = params.inputs;
  if ((!transposeA && !transposeB) || !(a instanceof tf.Tensor) || !(b instanceof tf.Tensor)) return stock(params);
  return tf.tidy(() => tf.matMul(transposeA ? swapLastTwo(a) : a, transposeB ? swapLastTwo(b) : b));
}

function swapLastTwo(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}
