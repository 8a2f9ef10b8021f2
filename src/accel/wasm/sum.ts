// wasm's Sum and Mean over axes that are not the innermost ones, the shape of every bias and
// BatchNorm gradient (dy summed over images and pixels, per channel), of a depthwise filter's
// (summed over images), of batch statistics and of global average pooling. The stock kernels
// reduce along the innermost axis only, so they first transpose the whole tensor; here our kernel
// sums down the columns in place, in the same order and float32 precision as the stock kernels'
// loop, and a mean divides that sum by the count as they do (tested bit for bit).
import { sumColumnsInto } from '../kernels/shared-kernels.js';
import { tf } from '../../backend/tf.js';
import { computeOnHeap } from '../tfjs-internals.js';

type KernelParams = Parameters<tf.KernelFunc>[0];

const product = (dims: number[]): number => dims.reduce((p, q) => p * q, 1);

export const columnSum = (params: KernelParams, stock: tf.KernelFunc) => columnReduce(params, stock, false);
export const columnMean = (params: KernelParams, stock: tf.KernelFunc) => columnReduce(params, stock, true);

function columnReduce(params: KernelParams, stock: tf.KernelFunc, mean: boolean): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = params.inputs;
  const { axis, keepDims } = params.attrs as unknown as tf.SumAttrs; // Mean's attributes are the same
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32' || x.rank < 2) return stock(params);
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const [first, last] = [axes[0], axes[axes.length - 1]];
  // One run of neighbouring axes, with at least one axis after it (innermost axes need no transpose).
  if (axes.length === 0 || last - first !== axes.length - 1 || last === x.rank - 1) return stock(params);
  const shape: number[] = x.shape;
  const [blocks, rows, columns] = [product(shape.slice(0, first)), product(shape.slice(first, last + 1)), product(shape.slice(last + 1))];
  const outShape = shape.flatMap((d, i) => (i < first || i > last ? [d] : keepDims ? [1] : []));
  return computeOnHeap(params.backend, outShape, [x], (reduced, values) => {
    sumColumnsInto(reduced, values, blocks, rows, columns);
    // float32 division (the double quotient of two float32 values, rounded once, is exactly that).
    if (mean) for (let i = 0; i < reduced.length; i++) reduced[i] /= rows;
  });
}
