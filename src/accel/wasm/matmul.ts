// wasm's BatchMatMul, made fast for training. Two problems with the stock kernel:
// - A product with a transposed operand goes to a plain triple loop; only the untransposed case
//   reaches XNNPACK. Every dense-layer gradient is such a product (dW = x^T dy, dx = dy W^T),
//   6 to 8 times slower than the forward product.
// - XNNPACK packs the right operand before multiplying and keeps the packing for the next call
//   with the same tensor. In training both operands are new every call (activations, gradients,
//   updated weights), so every call pays for a packing it never reuses: in a fine-tune step of
//   MobileNetV2's top blocks, 4 to 7 ms per 1x1-convolution gradient product.
// Large products without a batch therefore run in our own kernel (kernels/kernels.wat), which reads
// its operands in place, the left one transposed if need be; other transposed products transpose
// first and go to XNNPACK. A right operand seen before (a frozen layer's weights, batch after batch)
// goes to XNNPACK, whose packing is then reused: copying a large kernel into ours every batch would
// cost more. Both sum each product in order in float32, so the route never changes a result
// (tested).
import { fitsMultiplyInto, multiplyInto } from '../kernels/shared-kernels.js';
import { tf } from '../../backend/tf.js';
import { computeOnHeap } from '../tfjs-internals.js';

type KernelParams = Parameters<tf.KernelFunc>[0];

/** Below this many multiply-adds the copies in and out cost more than the packing saved. */
export const OWN_KERNEL_MIN_MACS = 1 << 20;

export function trainingMatMul(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { transposeA, transposeB } = params.attrs as unknown as tf.BatchMatMulAttrs;
  const { a, b } = params.inputs;
  if (!(a instanceof tf.Tensor) || !(b instanceof tf.Tensor)) return stock(params);
  const own = ownKernelProduct(params.backend, a, b, transposeA, transposeB);
  if (own) return own;
  if (!transposeA && !transposeB) return stock(params);
  return tf.tidy(() => tf.matMul(transposeA ? swapLastTwo(a) : a, transposeB ? swapLastTwo(b) : b));
}

/** The product in our kernel, or undefined where it does not apply (a batch, a small product). */
function ownKernelProduct(
  backend: unknown,
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo | undefined {
  const single = (t: tf.Tensor) => t.dtype === 'float32' && (t.rank === 2 || (t.rank === 3 && t.shape[0] === 1));
  if (!single(a) || !single(b)) return undefined;
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const n = transposeB ? rb : cb;
  if (m * k * n < OWN_KERNEL_MIN_MACS || !fitsMultiplyInto(m * k + k * n + m * n) || seenBefore(b)) return undefined;
  // The kernel reads its left operand transposed in place; a transposed right one is copied first.
  const right = transposeB ? tf.tidy(() => swapLastTwo(b)) : b;
  const batch = Math.max(a.rank, b.rank) - 2;
  const out = computeOnHeap(backend, [...new Array<number>(batch).fill(1), m, n], [a, right], (c, av, bv) =>
    multiplyInto(c, av, bv, m, k, n, { transposeA }),
  );
  if (right !== b) right.dispose();
  return out;
}

const rightOperands = new WeakSet<object>();

/** Whether `t`'s data was the right operand of an earlier product (or filter); remembers it if not. */
export function seenBefore(t: tf.Tensor): boolean {
  const id = t.dataId as object;
  if (rightOperands.has(id)) return true;
  rightOperands.add(id);
  return false;
}

function swapLastTwo(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}
