// wasm's Identity copies the tensor into new memory. The engine runs it for every tensor it saves
// for the backward pass (about 180 copies a step when fine-tuning MobileNetV2's top blocks), yet no
// wasm kernel writes into its inputs: like the cpu backend's, this Identity shares the data and
// counts one more reference to it, as wasm's own Reshape does.
import { tf } from '../../backend/tf.js';

type KernelParams = Parameters<tf.KernelFunc>[0];

export function sharedIdentity(params: KernelParams, stock: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = params.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return stock(params);
  (params.backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
