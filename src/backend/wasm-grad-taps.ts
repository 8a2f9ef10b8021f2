// The taps of a convolution window, cut from a padded input with slices and reshapes only:
// wasm's StridedSlice is a slow generic loop, its Slice and Pad are fast copies.
import { tf } from './tf.js';

export type ConvInfo = tf.backend_util.Conv2DInfo;

/**
 * `x` ([A, H, W, B]: any layout whose axes 1 and 2 are the spatial ones) padded as the convolution
 * pads it, plus what the last tap of a strided window needs at the bottom and right edges.
 */
export function padForTaps(x: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  const rows = (info.filterHeight - 1) * info.dilationHeight + info.outHeight * info.strideHeight;
  const cols = (info.filterWidth - 1) * info.dilationWidth + info.outWidth * info.strideWidth;
  const below = Math.max(bottom, rows - x.shape[1] - top);
  const after = Math.max(right, cols - x.shape[2] - left);
  if (top === 0 && left === 0 && below <= 0 && after <= 0) return x;
  return tf.pad(x, [[0, 0], [top, Math.max(below, 0)], [left, Math.max(after, 0)], [0, 0]]);
}

/** The input seen by filter tap (row, col) at every output position: [A, outH, outW, B]. */
export function tap(padded: tf.Tensor4D, row: number, col: number, info: ConvInfo): tf.Tensor4D {
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const [a, , , b] = padded.shape;
  const begin = [0, row * info.dilationHeight, col * info.dilationWidth, 0];
  if (sh === 1 && sw === 1) return tf.slice(padded, begin, [a, oh, ow, b]);
  // Every stride-th row and column: split each spatial axis into (position, phase), keep phase 0.
  const block = tf.slice(padded, begin, [a, oh * sh, ow * sw, b]).reshape([a, oh, sh, ow, sw, b]);
  return tf.slice(block, [0, 0, 0, 0, 0, 0], [a, oh, 1, ow, 1, b]).reshape([a, oh, ow, b]);
}

/** Every tap of the window, row-major as a filter stores them. */
export function taps(padded: tf.Tensor4D, info: ConvInfo): tf.Tensor4D[] {
  const out: tf.Tensor4D[] = [];
  for (let r = 0; r < info.filterHeight; r++) for (let c = 0; c < info.filterWidth; c++) out.push(tap(padded, r, c, info));
  return out;
}
