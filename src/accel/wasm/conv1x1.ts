// wasm's FusedConv2D for the 1x1 convolutions of a layer in training. Such a layer's filter is new
// every call (the weights change each step, and phase two folds BatchNorm into them), yet XNNPACK
// packs a filter before convolving with it, for a packing it never reuses. A 1x1 convolution with
// stride 1 is a matrix product of the pixels [N*H*W x Cin] by the filter [Cin x Cout], so it runs
// in our kernel (kernels/kernels.wat), on helper threads, the way it runs a training BatchMatMul.
// Each output starts from the bias and adds its products in order in float32 as XNNPACK's does, so
// the route never changes a result (tested). Only a convolution recorded for gradients takes this
// route, and TF.js fuses nothing but a linear activation there: in inference (feature extraction)
// the filters are frozen, and XNNPACK, which packs each once and reuses it, is faster on those
// shapes. A filter seen before stays with XNNPACK in training too.
import { fitsMultiplyInto, multiplyInto } from '../kernels/shared-kernels.js';
import { tf } from '../../backend/tf.js';
import { computeOnHeap, recordingGradients } from '../tfjs-internals.js';
import { OWN_KERNEL_MIN_MACS, seenBefore } from './matmul.js';

type KernelParams = Parameters<tf.KernelFunc>[0];

export function trainingConv2D(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  return ownKernelConv(params) ?? stock(params);
}

function ownKernelConv({ inputs, attrs, backend }: KernelParams): tf.TensorInfo | undefined {
  const { x, filter, bias, preluActivationWeights } = inputs;
  const { strides, pad, dilations, dataFormat, dimRoundingMode, activation } = attrs as unknown as tf.FusedConv2DAttrs;
  if (!(x instanceof tf.Tensor) || !(filter instanceof tf.Tensor) || preluActivationWeights) return undefined;
  if ((activation ?? 'linear') !== 'linear' || dataFormat !== 'NHWC' || x.dtype !== 'float32' || filter.dtype !== 'float32')
    return undefined;
  if (x.rank !== 4 || filter.shape[0] !== 1 || filter.shape[1] !== 1) return undefined;
  if (bias && (!(bias instanceof tf.Tensor) || bias.rank !== 1 || bias.dtype !== 'float32')) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
  );
  const { padInfo } = info;
  const unit = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  if (!unit || padInfo.top || padInfo.bottom || padInfo.left || padInfo.right) return undefined;
  const rows = info.batchSize * info.inHeight * info.inWidth;
  const [k, n] = [info.inChannels, info.outChannels];
  if (rows * k * n < OWN_KERNEL_MIN_MACS || !fitsMultiplyInto(rows * k + k * n + n + rows * n)) return undefined;
  if (!recordingGradients() || seenBefore(filter)) return undefined;
  return computeOnHeap(backend, info.outShape, bias ? [x, filter, bias] : [x, filter], (y, xv, fv, bv) =>
    multiplyInto(y, xv, fv, rows, k, n, { bias: bv }),
  );
}
