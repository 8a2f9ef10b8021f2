// The convolution gradients that stock wasm lacks, written as ops that wasm runs natively (XNNPACK
// matMul and depthwise convolution, fast pad/slice/multiply/sum). Tensors are NHWC.
import { tf } from './tf.js';
import { padForTaps, taps, type ConvInfo } from './wasm-grad-taps.js';

/** dW of conv2d: the input's taps (im2col) times dy, as one matrix product. */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  const cout = info.filterShape[3];
  const m = n * info.outHeight * info.outWidth;
  const dy2d = dy.as2D(m, cout);
  if (isPointwise(info)) return transposedProduct(x.as2D(m, cin), dy2d).reshape(info.filterShape);
  // Channels first, so that each tap is a [cin, m] block and the blocks stack along axis 0 in the
  // filter's (row, col, cin) order.
  const xt = tf.transpose(x, [3, 0, 1, 2]).as4D(cin * n, h, w, 1);
  const cols = tf.concat(taps(padForTaps(xt, info), info).map((t) => t.reshape([cin, m])), 0);
  return tf.matMul(cols, dy2d).reshape(info.filterShape);
}

/** A 1x1, stride 1, unpadded convolution: a matrix product over every pixel. */
function isPointwise(info: ConvInfo): boolean {
  const { top, bottom, left, right } = info.padInfo;
  const unit = info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1;
  return unit && top === 0 && bottom === 0 && left === 0 && right === 0;
}

/** aᵀ·b. wasm's matMul has no fast path for a transposed operand: transpose the smaller one first. */
function transposedProduct(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor {
  if (a.size <= b.size) return tf.matMul(tf.transpose(a), b);
  return tf.transpose(tf.matMul(tf.transpose(b), a));
}

/** dW of a depthwise convolution: per channel, each tap times dy, summed over batch and space. */
export function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const [, , channels, multiplier] = info.filterShape;
  const [n, oh, ow] = dy.shape;
  const grouped = multiplier === 1 ? dy : dy.reshape([n, oh, ow, channels, multiplier]);
  const sums = taps(padForTaps(x, info), info).map((t) => {
    const spread = multiplier === 1 ? t : t.reshape([n, oh, ow, channels, 1]);
    return tf.sum(tf.mul(spread, grouped), [0, 1, 2]);
  });
  return tf.stack(sums).reshape(info.filterShape);
}

/**
 * dx of a depthwise convolution: the transposed convolution, i.e. a stride-1 depthwise convolution
 * of dy (zeros between its rows and columns when strided) with the filter turned by 180 degrees.
 */
export function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const [kh, kw, channels, multiplier] = info.filterShape;
  const [n, h, w] = info.inShape;
  const spread = interleaveZeros(dy, info.strideHeight, info.strideWidth);
  const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
  const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
  const bottom = h + info.effectiveFilterHeight - 1 - top - spread.shape[1];
  const right = w + info.effectiveFilterWidth - 1 - left - spread.shape[2];
  const padded = padOrCrop(spread, [top, bottom], [left, right]);
  const turned = tf.reverse(filter, [0, 1]).reshape([kh, kw, channels * multiplier, 1]);
  const dx = tf.depthwiseConv2d(padded, turned as tf.Tensor4D, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
  return multiplier === 1 ? dx : dx.reshape([n, h, w, channels, multiplier]).sum(4);
}

/** dy with stride-1 zeros after each row and column: [n, oh * sh, ow * sw, c]. */
function interleaveZeros(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const spread = tf.pad(dy.reshape([n, oh, 1, ow, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return spread.reshape([n, oh * sh, ow * sw, c]);
}

/** Pads the spatial axes by the positive amounts, then cuts the negative ones off. */
function padOrCrop(x: tf.Tensor4D, rows: [number, number], cols: [number, number]): tf.Tensor4D {
  const grow = (v: number): number => Math.max(v, 0);
  const cut = (v: number): number => Math.max(-v, 0);
  const padded = rows.some((v) => v > 0) || cols.some((v) => v > 0)
    ? tf.pad(x, [[0, 0], rows.map(grow) as [number, number], cols.map(grow) as [number, number], [0, 0]])
    : x;
  if (![...rows, ...cols].some((v) => v < 0)) return padded;
  const [n, ph, pw, c] = padded.shape;
  const size = [n, ph - cut(rows[0]) - cut(rows[1]), pw - cut(cols[0]) - cut(cols[1]), c];
  return tf.slice(padded, [0, cut(rows[0]), cut(cols[0]), 0], size);
}
