// Stock wasm has no kernels for the filter gradients of convolutions nor the input gradient of a
// depthwise one, so no convolution layer could train on it. These are composed of ops wasm runs
// natively (wasm-grad-conv.ts). They are backend set-up, not acceleration: without them phase two
// cannot train on wasm at all. The accelerated kernels (src/accel/) may sit in front of them.
import { tf } from './tf.js';
import { conv2dFilterGrad, depthwiseFilterGrad, depthwiseInputGrad } from './wasm-grad-conv.js';

type KernelParams = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];

/** Registers the missing gradient kernels for 'wasm'. Idempotent; keeps any wasm already has. */
export function registerWasmGradients(): void {
  const missing: Record<string, tf.KernelFunc> = {
    [tf.Conv2DBackpropFilter]: conv2dBackpropFilter,
    [tf.DepthwiseConv2dNativeBackpropFilter]: depthwiseBackpropFilter,
    [tf.DepthwiseConv2dNativeBackpropInput]: depthwiseBackpropInput,
  };
  for (const [kernelName, kernelFunc] of Object.entries(missing)) {
    if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  }
}

/**
 * The engine passes the op's own tensors, and takes a returned Tensor as the output as it is. Ops
 * run inside a kernel are not taped, and tidy frees everything but the result.
 */
export function input(info: tf.TensorInfo | undefined, name: string): tf.Tensor4D {
  if (!(info instanceof tf.Tensor)) throw new Error(`wasm gradient kernel: input ${name} is not a tensor of this engine`);
  return info as tf.Tensor4D;
}

function conv2dBackpropFilter({ inputs, attrs }: KernelParams): tf.Tensor {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x = input(inputs.x, 'x');
  const dy = input(inputs.dy, 'dy');
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, format);
  return tf.tidy(() => {
    if (format === 'channelsLast') return conv2dFilterGrad(x, dy, info);
    return conv2dFilterGrad(tf.transpose(x, [0, 2, 3, 1]), tf.transpose(dy, [0, 2, 3, 1]), info);
  });
}

function depthwiseBackpropFilter({ inputs, attrs }: KernelParams): tf.Tensor {
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const x = input(inputs.x, 'x');
  const dy = input(inputs.dy, 'dy');
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode, true);
  return tf.tidy(() => depthwiseFilterGrad(x, dy, info));
}

function depthwiseBackpropInput({ inputs, attrs }: KernelParams): tf.Tensor {
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const dy = input(inputs.dy, 'dy');
  const filter = input(inputs.filter, 'filter');
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, true);
  return tf.tidy(() => depthwiseInputGrad(dy, filter, info));
}
