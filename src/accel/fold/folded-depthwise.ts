// A depthwise convolution (channel multiplier 1) with the BatchNormalization after it folded in
// (and the ReLU or ReLU6 after that), as one op with a gradient of its own (fold-ops.ts), for
// layers that train (phase two). Its gradients are the convolution's own, those the tape ran: on
// wasm our kernels (accel/wasm/register.ts).
import { tf } from '../../backend/tf.js';
import type { DepthwiseGeometry } from '../index.js';
import { type FoldActivation, foldedConvolution, type FoldWeights, registeredGradient, scaleColumns } from './fold-ops.js';

/** The folded depthwise convolution of x, its kernel [height, width, channels, 1]: see foldedConvolution. */
export function foldedDepthwise(
  x: tf.Tensor4D,
  w: FoldWeights,
  activation: FoldActivation,
  inputGradient: boolean,
  geometry: DepthwiseGeometry,
): tf.Tensor4D {
  const { strides, pad, dilations } = geometry;
  const channels = w.kernel.shape[2] as number;
  return foldedConvolution(x, w, activation, inputGradient, {
    // s scales the channels, the kernel's third axis (its fourth, the multiplier, is 1).
    filter: (kernel, s) => scaleColumns(kernel, s.reshape([channels, 1])),
    forward: (input, filter, shift) =>
      // The op's type leaves explicit padding out; its kernels take it (as in inference.ts).
      tf.fused.depthwiseConv2d({ x: input, filter: filter as tf.Tensor4D, strides, pad: pad as 'valid', dilations, bias: shift }),
    backward: (g, _g2, xs, _ks, filterS) => {
      const of = registeredGradient(tf.DepthwiseConv2dNative, g, [xs, filterS], { strides, pad, dilations });
      return { dFilter: of.filter().reshape([filterS.size / channels, channels]), dx: inputGradient ? of.x() : undefined };
    },
  });
}
