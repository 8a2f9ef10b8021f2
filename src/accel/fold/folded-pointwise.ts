// A 1x1 convolution with the BatchNormalization after it folded in (and the ReLU or ReLU6 after
// that), as one op with a gradient of its own (fold-ops.ts), for layers that train (phase two).
// Most of the weights of MobileNetV2's top blocks are in such convolutions. The tape computed the
// convolution's gradient for its input even where nothing below trains: at the split, a product
// as large as the layer's own. Here the backward pass runs one product for the filter and one for
// the input, only when asked.
import { tf } from '../../backend/tf.js';
import { heapKernels } from '../tfjs-internals.js';
import { type FoldActivation, foldedConvolution, type FoldWeights, scaleColumns } from './fold-ops.js';

export type { FoldActivation, FoldWeights };

/** The folded 1x1 convolution (stride 1, no padding) of x: see foldedConvolution. */
export function foldedPointwise(x: tf.Tensor4D, w: FoldWeights, activation: FoldActivation, inputGradient: boolean): tf.Tensor4D {
  return foldedConvolution(x, w, activation, inputGradient, {
    filter: scaleColumns,
    forward: (input, filter, shift) => tf.fused.conv2d({ x: input, filter: filter as tf.Tensor4D, strides: 1, pad: 'valid', bias: shift }),
    backward: (_g, g2, xs, ks, filterS, sS) => {
      const [cin, cout] = [ks.shape[2] as number, ks.shape[3] as number];
      const rows = g2.shape[0] as number;
      // On wasm both products run in our kernel (accel/wasm/matmul.ts).
      const dFilter = tf.matMul(xs.reshape([rows, cin]), g2, true, false);
      const dx = inputGradient ? tf.matMul(g2, transposedFilter(filterS, ks, sS, cin, cout)).reshape(xs.shape) : undefined;
      return { dFilter, dx };
    },
  });
}

/**
 * (W s) transposed, [out x in], the right operand of the input gradient: on wasm made from W and s
 * by our kernel in one pass (each entry the same product as in W s), elsewhere a transpose of the
 * folded filter.
 */
function transposedFilter(filter: tf.Tensor, w: tf.Tensor, s: tf.Tensor, cin: number, cout: number): tf.Tensor {
  const heap = heapKernels(tf.backend());
  if (!heap) return tf.transpose(filter.reshape([cin, cout]));
  return heap.tensors([[cout, cin]], (out) => heap.kernels.scaleColumnsTransposed(heap.offset(w), heap.offset(s), out, cin, cout))[0];
}
