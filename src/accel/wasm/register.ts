// Our kernels in front of stock wasm's. Its Conv2DBackpropInput and Tile (used by the batch-norm
// gradient) are plain loops, as is a BatchMatMul with a transposed operand (every dense-layer
// gradient): these are composed of ops wasm runs fast. Products whose operands are new every call
// (BatchMatMul, 1x1 FusedConv2D), sums and means over outer axes, and a depthwise convolution with
// one filter per channel in training (forward, input and filter gradients) go to our own kernels.
// Each replacement keeps the kernel it replaced, so that turning acceleration off puts it back.
import { tf } from '../../backend/tf.js';
import { input } from '../../backend/wasm-gradients.js';
import { conv2dInputGrad } from '../../backend/wasm-grad-conv.js';
import { tileByBroadcast } from './grad-tile.js';
import { seenBefore, trainingMatMul } from './matmul.js';
import { computeOnHeap, recordingGradients } from '../tfjs-internals.js';
import {
  depthwiseFilterGradInto,
  depthwiseForwardInto,
  depthwiseInputGradInto,
  type DepthwiseGeometry,
} from '../kernels/shared-kernels.js';
import { trainingConv2D } from './conv1x1.js';
import { columnMean, columnSum } from './sum.js';
import { sharedIdentity } from './identity.js';
import { setClipGradient } from './clip-grad.js';

type KernelParams = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];

/** What each replaced kernel was, to put back. */
const stockKernels = new Map<string, tf.KernelConfig>();

/**
 * Puts our kernels in front of wasm's. Idempotent. Call after the backend set-up registered the
 * gradient kernels stock wasm lacks (backend/wasm-gradients.ts): two of those get a fast path here.
 */
export function registerAccelKernels(): void {
  replaceStock(tf.Conv2DBackpropInput, conv2dBackpropInput);
  replaceStock(tf.DepthwiseConv2dNativeBackpropFilter, depthwiseBackpropFilter);
  replaceStock(tf.DepthwiseConv2dNativeBackpropInput, depthwiseBackpropInput);
  replaceStock(tf.Tile, tileByBroadcast);
  replaceStock(tf.BatchMatMul, trainingMatMul);
  replaceStock(tf.FusedConv2D, trainingConv2D);
  replaceStock(tf.FusedDepthwiseConv2D, trainingDepthwise);
  replaceStock(tf.Sum, columnSum);
  replaceStock(tf.Mean, columnMean);
  replaceStock(tf.Identity, sharedIdentity);
  setClipGradient(true);
}

/** Puts wasm's own kernels back (acceleration off after it was on, in the same process). */
export function restoreStockKernels(): void {
  for (const [kernelName, stock] of stockKernels) {
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel(stock);
  }
  stockKernels.clear();
  setClipGradient(false);
}

/** Puts `fast` in front of wasm's own kernel, which it may hand the call to. */
function replaceStock(kernelName: string, fast: (params: KernelParams, stock: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (!stock || stockKernels.has(kernelName)) return;
  stockKernels.set(kernelName, stock);
  const kernelFunc: tf.KernelFunc = (params) => fast(params, stock.kernelFunc);
  // setupFunc stays: it binds the native function that the stock kernel still calls.
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
}

/** NHWC tensors through conv2dInputGrad; anything else to wasm's own kernel. */
function conv2dBackpropInput(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = params.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { dy, filter } = params.inputs;
  if (dataFormat === 'NCHW' || !(dy instanceof tf.Tensor) || !(filter instanceof tf.Tensor)) return stock(params);
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode);
  return tf.tidy(() => conv2dInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, info));
}

function depthwiseBackpropFilter(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, attrs, backend } = params;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const x = input(inputs.x, 'x');
  const dy = input(inputs.dy, 'dy');
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true);
  if (info.outChannels !== info.inChannels || x.dtype !== 'float32' || dy.dtype !== 'float32') return stock(params);
  // One filter per channel (every MobileNet): a direct pass of our kernel.
  return computeOnHeap(backend, filterShape, [x, dy], (dw, xv, dyv) => depthwiseFilterGradInto(dw, xv, dyv, depthwiseGeometry(info)));
}

function depthwiseBackpropInput(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, attrs, backend } = params;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const dy = input(inputs.dy, 'dy');
  const filter = input(inputs.filter, 'filter');
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, true);
  if (info.outChannels !== info.inChannels || dy.dtype !== 'float32' || filter.dtype !== 'float32') return stock(params);
  // One filter per channel: a direct pass of our kernel, where the transposed convolution padded
  // dy, turned the filter and had XNNPACK pack that new filter every step.
  return computeOnHeap(backend, inputShape, [dy, filter], (dx, dyv, fv) => depthwiseInputGradInto(dx, dyv, fv, depthwiseGeometry(info)));
}

/**
 * wasm's FusedDepthwiseConv2D for a layer in training (a filter new every call, recorded for a
 * gradient, one filter per channel, linear): a direct pass of our kernel, where XNNPACK would
 * pack the filter first, for a packing it never reuses. Everything else stays with XNNPACK.
 */
function trainingDepthwise(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x, filter, bias, preluActivationWeights } = params.inputs as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
    bias?: tf.TensorInfo;
    preluActivationWeights?: tf.TensorInfo;
  };
  const { strides, pad, dilations, dataFormat, dimRoundingMode, activation } = params.attrs as unknown as tf.FusedDepthwiseConv2DAttrs;
  const plain = (t: tf.TensorInfo | undefined) => t === undefined || (t instanceof tf.Tensor && t.dtype === 'float32');
  if (
    !plain(x) ||
    !plain(filter) ||
    !plain(bias) ||
    preluActivationWeights ||
    (activation ?? 'linear') !== 'linear' ||
    dataFormat !== 'NHWC'
  )
    return stock(params);
  if (!recordingGradients() || filter.shape[3] !== 1 || (bias && bias.shape.length !== 1) || seenBefore(filter as tf.Tensor))
    return stock(params);
  const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, true);
  return computeOnHeap(params.backend, info.outShape, bias ? [x, filter, bias] : [x, filter], (y, xv, fv, bv) =>
    depthwiseForwardInto(y, xv, fv, bv, depthwiseGeometry(info)),
  );
}

/** Where a depthwise convolution's windows fall, as our kernels take it. */
function depthwiseGeometry(info: tf.backend_util.Conv2DInfo): DepthwiseGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
