// Where a convolution's windows fall on its input, as pads and crops of NHWC tensors. Only rank-4
// slices here: wasm runs slices of higher rank in a slow generic loop.
import { tf } from './tf.js';

export type ConvInfo = tf.backend_util.Conv2DInfo;

/** x padded as the convolution pads it, and cut to the rows and columns its windows reach. */
export function windowExtent(x: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const rows = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight;
  const cols = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth;
  const { top, left } = info.padInfo;
  return padOrCrop(x, [top, rows - top - x.shape[1]], [left, cols - left - x.shape[2]]);
}

/**
 * The input of a transposed convolution: dy spread by the strides, padded so that a stride-1
 * 'valid' convolution with the turned filter gives back the forward input's size.
 */
export function transposedInput(dy: tf.Tensor4D, info: ConvInfo): tf.Tensor4D {
  const spread = interleaveZeros(dy, info.strideHeight, info.strideWidth);
  const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
  const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
  const bottom = info.inHeight + info.effectiveFilterHeight - 1 - top - spread.shape[1];
  const right = info.inWidth + info.effectiveFilterWidth - 1 - left - spread.shape[2];
  return padOrCrop(spread, [top, bottom], [left, right]);
}

/** dy with stride-1 zeros after each row and column: [n, oh * sh, ow * sw, c]. */
function interleaveZeros(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const spread = tf.pad(dy.reshape([n, oh, 1, ow, 1, c]), [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  return spread.as4D(n, oh * sh, ow * sw, c);
}

/** Pads the spatial axes by the positive amounts, then cuts the negative ones off. */
export function padOrCrop(x: tf.Tensor4D, rows: [number, number], cols: [number, number]): tf.Tensor4D {
  const amounts = [...rows, ...cols];
  const grow = (v: number): number => Math.max(v, 0);
  const cut = (v: number): number => Math.max(-v, 0);
  const padded = amounts.some((v) => v > 0)
    ? tf.pad(x, [
        [0, 0],
        [grow(rows[0]), grow(rows[1])],
        [grow(cols[0]), grow(cols[1])],
        [0, 0],
      ])
    : x;
  if (!amounts.some((v) => v < 0)) return padded;
  const [n, h, w, c] = padded.shape;
  const size = [n, h - cut(rows[0]) - cut(rows[1]), w - cut(cols[0]) - cut(cols[1]), c];
  return tf.slice(padded, [0, cut(rows[0]), cut(cols[0]), 0], size);
}
