// Convolution gradients written as ops that wasm runs natively and fast: XNNPACK convolutions and
// matrix products, plus pads, transposes and reshapes. Tensors are NHWC.
import { tf } from './tf.js';
import { transposedInput, windowExtent, type ConvInfo } from './wasm-grad-geometry.js';

/**
 * dW of conv2d. With batch and channels swapped, the sum over images and output positions is
 * itself a convolution: of the input, with dy as the filter, dilated by the stride.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  if (isPointwise(info)) {
    const [cin, cout] = [x.shape[3], dy.shape[3]];
    const m = x.size / cin;
    // With acceleration, our BatchMatMul reads the transposed operand in place (accel/wasm/matmul.ts).
    return tf.matMul(x.as2D(m, cin), dy.as2D(m, cout), true, false).reshape(info.filterShape);
  }
  const xt = tf.transpose(windowExtent(x, info), [3, 1, 2, 0]);
  const kernel = tf.transpose(dy, [1, 2, 0, 3]);
  const dw = tf.conv2d(xt, kernel, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
  return tf.transpose(dw, [1, 2, 0, 3]);
}

/** dx of conv2d: the transposed convolution, with the filter turned by 180 degrees. */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const [, , cin, cout] = filter.shape;
  if (isPointwise(info)) {
    const m = dy.size / cout;
    return tf.matMul(dy.as2D(m, cout), tf.transpose(filter.as2D(cin, cout))).reshape(info.inShape);
  }
  const turned = tf.transpose(turnedHalfCircle(filter), [0, 1, 3, 2]);
  return tf.conv2d(transposedInput(dy, info), turned, 1, 'valid');
}

/**
 * dW of a depthwise convolution: as for conv2d, with (image, channel) pairs as the channels of
 * one image, then summed over the images.
 */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = info.filterShape;
  const [n, oh, ow] = dy.shape;
  const extent = windowExtent(x, info);
  const xt = tf.transpose(extent, [1, 2, 0, 3]).as4D(1, extent.shape[1], extent.shape[2], n * channels);
  const kernel =
    multiplier === 1 ? tf.transpose(dy, [1, 2, 0, 3]) : tf.transpose(dy.reshape([n, oh, ow, channels, multiplier]), [1, 2, 0, 3, 4]);
  // The forward op has a stride or a dilation, never both: here they trade places.
  const strides: [number, number] = [info.dilationHeight, info.dilationWidth];
  const dilations: [number, number] = [info.strideHeight, info.strideWidth];
  const perImage = tf.depthwiseConv2d(xt, kernel.as4D(oh, ow, n * channels, multiplier), strides, 'valid', 'NHWC', dilations);
  return tf.sum(perImage.reshape([kh * kw, n, channels * multiplier]), 1).reshape(info.filterShape);
}

/** dx of a depthwise convolution: the transposed convolution, with the filter turned by 180 degrees. */
export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = info.filterShape;
  const [n, h, w] = info.inShape;
  const turned = turnedHalfCircle(filter).as4D(kh, kw, channels * multiplier, 1);
  const dilations: [number, number] = [info.dilationHeight, info.dilationWidth];
  const dx = tf.depthwiseConv2d(transposedInput(dy, info), turned, 1, 'valid', 'NHWC', dilations);
  return multiplier === 1 ? dx : dx.reshape([n, h, w, channels, multiplier]).sum(4);
}

/** A 1x1, stride 1, unpadded convolution: a matrix product over every pixel. */
function isPointwise(info: ConvInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  const unit = info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1;
  return unit && top === 0 && bottom === 0 && left === 0 && right === 0;
}

/**
 * The filter turned by 180 degrees, i.e. reversed along height and width: its kh * kw planes in
 * reverse order. Copied plane by plane, because wasm's Reverse takes about half a millisecond for
 * a 3x3x960 filter.
 */
function turnedHalfCircle(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = filter.shape;
  const data = filter.dataSync() as Float32Array;
  const plane = data.length / (kh * kw);
  const turned = new Float32Array(data.length);
  for (let p = 0; p < kh * kw; p++) turned.set(data.subarray(p * plane, (p + 1) * plane), (kh * kw - 1 - p) * plane);
  return tf.tensor4d(turned, filter.shape);
}
